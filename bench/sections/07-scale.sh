# bench/sections/07-scale.sh — make bench, section 7: scale. Roots holding
# SCALE_SIZES locked caches (meta.json only, made by a script): SCALE_TREES
# back-to-back creations there vs in an empty root (SCALE_ROUNDS
# interleaved rounds), SCALE_LIST_ROUNDS runs of `monocache gc` and of
# `monocache ls` in each (and the time to ls's first cache line).
# Sourced by bench/run.sh (which defines what it uses); runs the section.
# Sets scale_tmp while its roots exist, which bench/run.sh removes at its end.

# Where the big roots go: tmpfs by default (/dev/shm), because making 100,000
# directories and files on a slow disk takes minutes and measures the disk;
# what is measured here is monocache's share.
scale_base=${SCALE_DIR:-}
if [ -z "$scale_base" ]; then
    scale_base=$tmp
    [ -d /dev/shm ] && [ -w /dev/shm ] && scale_base=/dev/shm
fi

# make_root DIR N: a monocache root holding N locked caches.
make_root() {
    python3 - "$1" "$2" <<'PY'
import json, os, sys, uuid
root, count = sys.argv[1], int(sys.argv[2])
os.makedirs(root + "/cache", mode=0o700)
os.makedirs(root + "/run", mode=0o700)
os.chmod(root, 0o700)
open(root + "/run/.monocache-run", "w").write("monocache run directory\n")
for _ in range(count):
    cid = str(uuid.uuid4())
    os.mkdir(root + "/cache/" + cid, 0o700)
    with open(root + "/cache/" + cid + "/meta.json", "w") as f:
        json.dump({"id": cid, "created": "2026-01-01T00:00:00Z", "locked": True}, f)
PY
}

# trees_once ROOT NAME: SCALE_TREES creations of a cache in ROOT, one after
# another, as a sample of NAME.
trees_once() {
    local t0 t1 i

    t0=$EPOCHREALTIME
    for ((i = 0; i < SCALE_TREES; i++)); do
        MONOCACHE_ROOT=$1 LD_PRELOAD=$MC_LIB /bin/true || return 1
    done
    t1=$EPOCHREALTIME
    add "$2" "$(elapsed "$t0" "$t1")"
}

# trees_round empty|SIZE ROUND: trees_once in that root.
trees_round() {
    local root=$scale_tmp/r$1

    [ "$1" = empty ] && root=$scale_tmp/empty
    trees_once "$root" "scale.trees.$1"
}

# first_line ROOT NAME: time until ls prints its first cache line.
first_line() {
    local t0 line
    t0=$EPOCHREALTIME
    line=$(MONOCACHE_ROOT=$1 "$MC_BIN" ls | sed -n '2{p;q}')
    [ -n "$line" ] || return 1
    add "$2" "$(elapsed "$t0" "$EPOCHREALTIME")"
}

measure_scale() {
    local size round root
    local bad=0

    scale_tmp=$(mktemp -d "$scale_base/mc-bench-scale.XXXXXX") || {
        failed "scale: cannot make a directory in $scale_base"
        return
    }
    make_root "$scale_tmp/empty" 0
    for size in $SCALE_SIZES; do
        if ! make_root "$scale_tmp/r$size" "$size"; then
            failed "scale: cannot make a root of $size caches"
            return
        fi
    done
    interleave "$SCALE_ROUNDS" "empty $SCALE_SIZES" trees_round
    [ "$interleave_failed" -gt 0 ] && failed "scale: $interleave_failed tree loops failed"
    printf '    %-58s %9s s\n' "$SCALE_TREES creations, empty root (median)" \
        "$(fmt "$(sample scale.trees.empty median)" 1 3)"
    for size in $SCALE_SIZES; do
        printf '    %-58s %9s s   x%s of the empty root   [%s]\n' \
            "$SCALE_TREES creations, $size locked caches" \
            "$(fmt "$(sample "scale.trees.$size" median)" 1 3)" \
            "$(ratio "$(sample "scale.trees.$size" median)" "$(sample scale.trees.empty median)")" \
            "$(range "scale.trees.$size" 1 3)"
    done
    for size in $SCALE_SIZES; do
        root=$scale_tmp/r$size
        for ((round = 0; round < SCALE_LIST_ROUNDS; round++)); do
            timed "scale.gc.$size" env MONOCACHE_ROOT="$root" "$MC_BIN" gc || bad=$((bad + 1))
            timed "scale.ls.$size" env MONOCACHE_ROOT="$root" "$MC_BIN" ls || bad=$((bad + 1))
            first_line "$root" "scale.first.$size" || bad=$((bad + 1))
        done
        printf '    %-58s %9s ms\n' "monocache gc, $size caches, nothing to reclaim (median of $SCALE_LIST_ROUNDS)" \
            "$(fmt "$(sample "scale.gc.$size" median)" "$MS_PER_S" 1)"
        printf '    %-58s %9s ms\n' "monocache ls, $size caches (median of $SCALE_LIST_ROUNDS)" \
            "$(fmt "$(sample "scale.ls.$size" median)" "$MS_PER_S" 1)"
        printf '    %-58s %9s ms\n' "... until its first cache line" \
            "$(fmt "$(sample "scale.first.$size" median)" "$MS_PER_S" 1)"
    done
    [ "$bad" -gt 0 ] && failed "scale: $bad gc or ls runs failed"
    [ "$(ls "$scale_tmp/r${SCALE_SIZES%% *}/cache" | wc -l)" = "${SCALE_SIZES%% *}" ] ||
        failed "scale: the big root lost caches (gc must keep locked ones)"
    rm -rf "$scale_tmp"
    scale_tmp=
}

section "7. scale: roots of locked caches ($SCALE_SIZES), on $(stat -f -c %T "$scale_base" 2>/dev/null) ($scale_base; set SCALE_DIR to choose)"
measure_scale
