# bench/sections/03-memory.sh — make bench, section 3: resident memory of
# one process (cat reading its own /proc/self/status, smaps_rollup and
# smaps; RSS_ROUNDS probes) with no preload, the empty preload and
# libmonocache.so on the fast path: VmRSS, private dirty, and the resident
# pages of the preloaded library; and the tree's watcher's.
# Sourced by bench/run.sh (which defines what it uses); runs the section.

# Inside one cache tree: cat reads its own status, smaps_rollup and smaps.
# Prints "<config> <VmRSS> <Private_Dirty> <Rss of the preloaded library's
# own mappings>" lines (KiB), then "watcher ..." for the tree's watcher (its
# pid is the last field of the lock file).
RSS_AWK='
/^VmRSS:/ { rss = $2 }
/^Private_Dirty:/ && !dirty_seen { dirty = $2; dirty_seen = 1 }
/^[0-9a-f]+-[0-9a-f]+ / { in_lib = lib != "" && substr($NF, length($NF) - length(lib) + 1) == lib }
/^Rss:/ && in_lib { lib_rss += $2 }
END { print config, rss, dirty, lib_rss + 0 }
'
# The three configurations in the order of rotate (see bench/lib.sh).
RSS_SCRIPT='
rounds=$1 empty=$2 lib=$3 program=$4
probe() {
    LD_PRELOAD=$2 cat /proc/self/status /proc/self/smaps_rollup /proc/self/smaps |
        awk -v config="$1" -v lib="${2##*/}" "$program"
}
r=0
while [ $r -lt "$rounds" ]; do
    case $((r % 3)) in
        0) probe none ""; probe empty "$empty"; probe mono "$lib" ;;
        1) probe empty "$empty"; probe mono "$lib"; probe none "" ;;
        2) probe mono "$lib"; probe none ""; probe empty "$empty" ;;
    esac
    r=$((r + 1))
done
pid=$(cut -c2- "$MONOCACHE_ROOT/run/$MONOCACHE_ID.lock" | awk "{ print \$3 }")
if [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; then
    cat "/proc/$pid/status" "/proc/$pid/smaps_rollup" |
        awk -v config=watcher -v lib= "$program"
fi
'

measure_rss() {
    local out=$tmp/rss
    local config rss dirty lib line

    if ! "$MC_BIN" run -- sh -c "$RSS_SCRIPT" sh "$RSS_ROUNDS" "$EMPTY" "$MC_LIB" "$RSS_AWK" \
        > "$out"; then
        failed "memory probes failed"
        return
    fi
    while read -r config rss dirty lib; do
        if is_number "$rss" && is_number "$dirty" && is_number "$lib"; then
            add "rss.$config" "$rss"
            add "dirty.$config" "$dirty"
            add "librss.$config" "$lib"
        fi
    done < "$out"
    if [ ! -s "$tmp/samples/rss.mono" ] || [ ! -s "$tmp/samples/rss.empty" ]; then
        failed "no VmRSS read"
        return
    fi
    printf 'VmRSS of one process (cat): none %s KiB  empty %s KiB  monocache %s KiB  -> monocache - empty %s KiB (goal < %s KiB)\n' \
        "$(sample rss.none median)" "$(sample rss.empty median)" "$(sample rss.mono median)" \
        "$(difference "$(sample rss.mono median)" "$(sample rss.empty median)")" "$GOAL_RSS_KIB"
    printf '    steadier parts: private dirty none %s, empty %s, monocache %s KiB (monocache - empty %s); resident pages of the preloaded library itself: empty.so %s, libmonocache.so %s KiB\n' \
        "$(sample dirty.none median)" "$(sample dirty.empty median)" "$(sample dirty.mono median)" \
        "$(difference "$(sample dirty.mono median)" "$(sample dirty.empty median)")" \
        "$(sample librss.empty median)" "$(sample librss.mono median)"
    printf '    [min..max] VmRSS none %s..%s  empty %s..%s  monocache %s..%s (%s rounds; min monocache - min empty %s KiB)\n' \
        "$(sample rss.none min)" "$(sample rss.none max)" "$(sample rss.empty min)" \
        "$(sample rss.empty max)" "$(sample rss.mono min)" "$(sample rss.mono max)" "$RSS_ROUNDS" \
        "$(difference "$(sample rss.mono min)" "$(sample rss.empty min)")"
    line=$(grep '^watcher ' "$out")
    if [ -n "$line" ]; then
        set -- $line
        echo "    watcher (one per cache tree, not per process): VmRSS $2 KiB, private dirty $3 KiB"
    else
        echo "    watcher: not found (no pid in the lock file?)"
    fi
}

section "3. resident memory per process (fast path, inside a cache tree)"
measure_rss
