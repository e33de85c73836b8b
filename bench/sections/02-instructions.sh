# bench/sections/02-instructions.sh — make bench, section 2: instructions
# (callgrind, if valgrind is installed; CALLGRIND_ROUNDS runs) and system
# calls (strace, if installed) of one /bin/true with no preload, the empty
# preload and libmonocache.so, all inside one cache tree so that the
# environment is the same; checks that the preloaded run took the fast path
# (no watcher was asked). Deterministic: the noise-free view of section 1.
# Sourced by bench/run.sh (which defines what it uses); runs the section.

# Runs inside one cache tree (so every configuration sees the same
# environment and the inherited descriptor); LD_PRELOAD alone differs.
CALLGRIND_SCRIPT='
out=$1 rounds=$2 empty=$3 lib=$4
vg() {
    LD_PRELOAD=$2 valgrind --tool=callgrind --callgrind-out-file="$1" /bin/true 2>/dev/null
}
r=0
while [ $r -lt "$rounds" ]; do
    vg "$out/none.$r" "" || exit 1
    vg "$out/empty.$r" "$empty" || exit 1
    vg "$out/mono.$r" "$lib" || exit 1
    r=$((r + 1))
done
ls "$MONOCACHE_ROOT/cache" | wc -l > "$out/caches"
'

measure_callgrind() {
    local out=$tmp/callgrind
    local config r file
    local fastpath=1

    mkdir -p "$out"
    if ! "$MC_BIN" run -- sh -c "$CALLGRIND_SCRIPT" sh "$out" "$CALLGRIND_ROUNDS" "$EMPTY" \
        "$MC_LIB"; then
        failed "callgrind runs failed"
        return
    fi
    for ((r = 0; r < CALLGRIND_ROUNDS; r++)); do
        for config in none empty mono; do
            add "ir.$config" "$(callgrind_part "$out/$config.$r" TOTAL)"
            add "ir.ldso.$config" "$(callgrind_part "$out/$config.$r" ld-linux-x86-64.so.2)"
            add "ir.libc.$config" "$(callgrind_part "$out/$config.$r" libc.so.6)"
        done
        file=$out/mono.$r
        add "ir.own.mono" "$(callgrind_part "$file" "/${MC_LIB##*/}")"
        # The fast path: the shim ran, parsed the inherited MONOCACHE_HOLD
        # (mc_hold_parse is never inlined: it is in another file), and never
        # asked a watcher for a cache.
        if ! grep -q 'mc_shim_init' "$file" || ! grep -q 'mc_hold_parse' "$file" ||
            grep -q 'mc_ask_watcher' "$file"; then
            fastpath=0
        fi
    done
    if [ "$(sample ir.mono min)" = 0 ] || [ "$(sample ir.none min)" = 0 ]; then
        failed "callgrind wrote no instruction counts"
        return
    fi
    report_three "instructions (one /bin/true, Ir)" ir 1 "" 0 " (informative)"
    printf '    extra Ir of monocache over empty: %s, of which ld.so %s, libc %s, libmonocache.so itself %s\n' \
        "$(difference "$(sample ir.mono median)" "$(sample ir.empty median)")" \
        "$(difference "$(sample ir.ldso.mono median)" "$(sample ir.ldso.empty median)")" \
        "$(difference "$(sample ir.libc.mono median)" "$(sample ir.libc.empty median)")" \
        "$(sample ir.own.mono median)"
    if [ "$fastpath" = 1 ]; then
        echo "    fast path checked: the preloaded /bin/true adopted the inherited cache and" \
            "started no watcher (caches under the root during the runs: $(cat "$out/caches"))"
    else
        echo "    !! the preloaded /bin/true did NOT take the fast path (or no symbols):" \
            "the monocache figure is not the fast path"
    fi
}

# System calls of one /bin/true, per configuration, inside one cache tree.
STRACE_SCRIPT='
out=$1 empty=$2 lib=$3
LD_PRELOAD= strace -o "$out/none" /bin/true || exit 1
LD_PRELOAD=$empty strace -o "$out/empty" /bin/true || exit 1
LD_PRELOAD=$lib strace -o "$out/mono" /bin/true || exit 1
'

# "<count> <name>" of the system calls in an strace -o file.
syscall_counts() {
    sed -n 's/^\([a-z_0-9]*\)(.*/\1/p' "$1" | sort | uniq -c
}

measure_syscalls() {
    local out=$tmp/strace
    local none empty mono extra

    mkdir -p "$out"
    if ! "$MC_BIN" run -- sh -c "$STRACE_SCRIPT" sh "$out" "$EMPTY" "$MC_LIB" 2>/dev/null; then
        failed "strace runs failed"
        return
    fi
    none=$(syscall_counts "$out/none" | awk '{ n += $1 } END { print n + 0 }')
    empty=$(syscall_counts "$out/empty" | awk '{ n += $1 } END { print n + 0 }')
    mono=$(syscall_counts "$out/mono" | awk '{ n += $1 } END { print n + 0 }')
    extra=$( { syscall_counts "$out/empty" | awk '{ print -$1, $2 }'
               syscall_counts "$out/mono"; } |
        awk '{ d[$2] += $1 } END { for (n in d) if (d[n]) printf "%s%+d\n", n, d[n] }' |
        sort | paste -s -d ' ')
    echo "system calls (one /bin/true, strace): none $none  empty $empty  monocache $mono" \
        " -> monocache - empty $((mono - empty)): ${extra:-none}"
}

section "2. instructions (callgrind) and system calls, one /bin/true inside a cache tree"
if have valgrind; then
    measure_callgrind
else
    echo "instructions: skipped, valgrind is not installed"
fi
if have strace; then
    measure_syscalls
else
    echo "system calls: skipped, strace is not installed"
fi
