# bench/sections/04-wipe.sh — make bench, section 4: wipe speed. rm -rf of
# a tree of WIPE_DIRS x WIPE_FILES_PER_DIR small files (built by
# bench/mktree.c) vs monocache's own wipe of an identical tree (monocache
# rm --force of a locked cache, and the release when an unlocked cache's
# tree ends), WIPE_ROUNDS interleaved rounds, on tmpfs by default (WIPE_DIR
# chooses the file system; see choose_wipe_base why).
# Sourced by bench/run.sh (which defines what it uses); runs the section.
# Sets wipe_tmp, which bench/run.sh removes at its end.

# Room a tree takes on tmpfs: a page per file and its inode, rounded up; and
# what must stay free beside it.
WIPE_BYTES_PER_FILE=4608
WIPE_SPARE_KIB=65536

# Where the trees go: WIPE_DIR if set; else /dev/shm when it is a tmpfs with
# room; else the temporary directory. tmpfs because it is fast and steady: on
# the ext4 of this project's VMs (no journal) a tree built right after
# another was deleted takes 10-30 s instead of 3 s (ext4 skips recently
# deleted inodes one by one), and the same deletion measured 0.9 s to 40 s
# from one try to the next, which drowns the comparison. The caches of this
# section live on the same file system (a MONOCACHE_ROOT of their own), so
# rm -rf and monocache delete the same kind of tree.
choose_wipe_base() {
    local need_kib=$((WIPE_DIRS * WIPE_FILES_PER_DIR * WIPE_BYTES_PER_FILE / BYTES_PER_KIB + WIPE_SPARE_KIB))
    local free_kib

    if [ -n "$WIPE_DIR" ]; then
        echo "$WIPE_DIR"
        return
    fi
    if [ -d /dev/shm ] && [ -w /dev/shm ] && [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
        free_kib=$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')
        if [ "${free_kib:-0}" -gt "$need_kib" ]; then
            echo /dev/shm
            return
        fi
    fi
    echo "$tmp"
}

# wipe_once rm|ours|release: builds a tree of WIPE_DIRS x WIPE_FILES_PER_DIR
# files (timed apart, for the record), then times its removal.
wipe_once() {
    local how=$1
    local tree=$wipe_tmp/tree
    local idfile=$wipe_tmp/id
    local b0 b1 t0 t1 id stamp

    b0=$EPOCHREALTIME
    case $how in
        rm)
            "$MKTREE" "$tree" "$WIPE_DIRS" "$WIPE_FILES_PER_DIR" > /dev/null || return 1
            b1=$EPOCHREALTIME
            t0=$EPOCHREALTIME
            rm -rf "$tree" || return 1
            t1=$EPOCHREALTIME
            [ ! -e "$tree" ] || return 1
            ;;
        ours)
            # A locked cache outlives its tree; rm --force wipes it through
            # the same code as a release (rename to a tombstone, then wipe).
            MONOCACHE_ROOT=$wipe_root "$MC_BIN" run --lock -- sh -c \
                'echo "$MONOCACHE_ID" > "$1" && exec "$2" "$MONOCACHE_PATH" "$3" "$4"' \
                sh "$idfile" "$MKTREE" "$WIPE_DIRS" "$WIPE_FILES_PER_DIR" > /dev/null || return 1
            b1=$EPOCHREALTIME
            id=$(cat "$idfile")
            [ -n "$id" ] && [ -d "$wipe_root/cache/$id" ] || return 1
            t0=$EPOCHREALTIME
            MONOCACHE_ROOT=$wipe_root "$MC_BIN" rm --force "$id" || return 1
            t1=$EPOCHREALTIME
            [ ! -e "$wipe_root/cache/$id" ] || return 1
            ;;
        release)
            # An unlocked cache, wiped when its tree ends: from the moment the
            # program finished filling it to the moment monocache run returns
            # (run, the last holder, waits for the release).
            stamp=$(MONOCACHE_ROOT=$wipe_root "$MC_BIN" run -- sh -c \
                'echo "$MONOCACHE_ID" > "$1" && exec "$2" "$MONOCACHE_PATH" "$3" "$4"' \
                sh "$idfile" "$MKTREE" "$WIPE_DIRS" "$WIPE_FILES_PER_DIR") || return 1
            t1=$EPOCHREALTIME
            t0=$stamp
            b1=$stamp
            id=$(cat "$idfile")
            [ -n "$id" ] && [ ! -e "$wipe_root/cache/$id" ] || return 1
            ;;
    esac
    add "wipe.$how" "$(elapsed "$t0" "$t1")"
    add wipe.build "$(elapsed "$b0" "$b1")"
}

# wipe_round HOW ROUND: one wipe_once, then nothing of it left.
wipe_round() {
    local status=0

    wipe_once "$1" || status=1
    rm -rf "$wipe_tmp/tree" "$wipe_tmp/id"
    return "$status"
}

measure_wipe() {
    local rm ours release

    if [ "$helpers_ok" != 1 ]; then
        failed "wipe: bench/mktree.c did not compile"
        return
    fi
    interleave "$WIPE_ROUNDS" "rm ours release" wipe_round
    if [ "$interleave_failed" -gt 0 ]; then
        failed "wipe: $interleave_failed of $interleave_runs runs failed"
    fi
    rm=$(sample wipe.rm median)
    ours=$(sample wipe.ours median)
    release=$(sample wipe.release median)
    paired wipe.ours wipe.rm wipe.pair.ours
    paired wipe.release wipe.rm wipe.pair.release
    printf 'wipe %s files: rm -rf %ss  monocache rm --force %ss  release at tree end %ss  -> rm--force/rm-rf %s (goal <= %s), release/rm-rf %s\n' \
        "$((WIPE_DIRS * WIPE_FILES_PER_DIR))" "$(fmt "$rm" 1 3)" "$(fmt "$ours" 1 3)" \
        "$(fmt "$release" 1 3)" "$(ratio "$ours" "$rm")" "$GOAL_WIPE_RATIO" "$(ratio "$release" "$rm")"
    printf '    paired: rm--force/rm-rf %s, release/rm-rf %s\n' \
        "$(fmt "$(sample wipe.pair.ours median)" 1 3)" "$(fmt "$(sample wipe.pair.release median)" 1 3)"
    printf '    [min..max] rm -rf %s  rm --force %s  release %s (%s rounds); building a tree took %ss (median)\n' \
        "$(range wipe.rm 1 3)" "$(range wipe.ours 1 3)" "$(range wipe.release 1 3)" \
        "$WIPE_ROUNDS" "$(fmt "$(sample wipe.build median)" 1 1)"
}

wipe_base=$(choose_wipe_base)
wipe_tmp=$(mktemp -d "$wipe_base/mc-bench-wipe.XXXXXX") || wipe_tmp=
section "4. wipe speed: $WIPE_DIRS dirs x $WIPE_FILES_PER_DIR files of 1-100 bytes, on $(stat -f -c %T "$wipe_base" 2>/dev/null) ($wipe_base; set WIPE_DIR to choose)"
if [ -n "$wipe_tmp" ]; then
    chmod "$PRIVATE_DIR_MODE" "$wipe_tmp"
    wipe_root=$wipe_tmp/root
    measure_wipe
else
    failed "wipe: cannot make a directory in $wipe_base"
fi
