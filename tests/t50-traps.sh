#!/bin/bash
# t50-traps.sh — the program may do anything inside its cache; the release
# still works and never reaches outside it: symlinks, hard links, a deleted or
# rewritten meta.json, a replaced cache directory, unreadable directories
# (another user's too), a flock() on its own cache, FIFOs where files are
# expected, a tree deeper than the open-file limit, hard links planted at
# our temporary and lock file names, mount points.
. "$(dirname "$0")/lib.sh"

victim=$T/victim
mkdir -p "$victim/sub"
echo precious > "$victim/file"
echo precious > "$victim/sub/file"
intact() {
    [ "$(cat "$victim/file" "$victim/sub/file" 2>/dev/null)" = "$(printf 'precious\nprecious')" ]
}

with_cache sh -c 'ln -s "$0" "$MONOCACHE_PATH/dir-link"; ln -s "$0/file" "$MONOCACHE_PATH/file-link"
                  mkdir -p "$MONOCACHE_PATH/a/b"; ln -s "$0" "$MONOCACHE_PATH/a/b/deep-link"
                  ln "$0/file" "$MONOCACHE_PATH/hard-link"' "$victim"
ok "symlinks and a hard link to outside: targets intact" intact
ok "... cache wiped" no_caches

with_cache sh -c 'rm "$MONOCACHE_PATH/meta.json"; touch "$MONOCACHE_PATH/x"'
ok "meta.json deleted by the program: still wiped (same directory by inode)" no_caches

# A meta.json that is there but cannot be read may say "locked" to someone
# else (Python reads NaN; an editor may be half-way): kept, never wiped on a
# guess; rm --force removes it.
id=$(with_cache sh -c 'echo garbage > "$MONOCACHE_PATH/meta.json"; touch "$MONOCACHE_PATH/x"; echo "$MONOCACHE_ID"')
ok "meta.json rewritten with garbage: kept" test -e "$ROOT/cache/$id/x"
like "... gc leaves it, saying why" "$(mc gc)" "^left $id \(.*meta.json: corrupt"
ok "... rm --force removes it" sh -c "'$MC_BIN' rm --force '$id' && test ! -e '$ROOT/cache/$id'"
id=$(with_cache sh -c 'rm "$MONOCACHE_PATH/meta.json"; ln -s "$0/file" "$MONOCACHE_PATH/meta.json"
                        echo "$MONOCACHE_ID"' "$victim")
ok "meta.json replaced by a symlink to a file outside: target intact" intact
ok "... the cache kept (its meta cannot be read)" test -L "$ROOT/cache/$id/meta.json"
ok "... rm --force removes it, not the target" sh -c "'$MC_BIN' rm --force '$id' && test ! -e '$ROOT/cache/$id'"
ok "... target still intact" intact
ok "nothing left" no_caches

with_cache sh -c 'rm -rf "$MONOCACHE_PATH"'
ok "cache directory removed by the program: release still ends cleanly" no_caches

out=$(with_cache sh -c 'rm -rf "$MONOCACHE_PATH"; ln -s "$0" "$MONOCACHE_PATH"; echo "$MONOCACHE_PATH"' "$victim" 2> "$T/err")
ok "cache directory replaced by a symlink to outside: target intact" intact
ok "... the symlink itself is left alone, not followed" test -L "$out"
like "... and the reason is reported" "$(cat "$T/err")" 'not a directory any more \(symlink or file\); left alone'
rm -f "$out"

out=$(with_cache sh -c 'rm -rf "$MONOCACHE_PATH"; mkdir "$MONOCACHE_PATH"; echo mine > "$MONOCACHE_PATH/data"; echo "$MONOCACHE_PATH"' 2> "$T/err")
ok "a different directory put in its place (no meta): not wiped" test "$(cat "$out/data")" = mine
like "... reported" "$(cat "$T/err")" 'cannot prove it is this cache'
ok "... and gc leaves it alone too" sh -c "'$MC_BIN' gc >/dev/null; test -e '$out/data'"
rm -rf "$out"

# A directory swapped in whose meta.json names another cache: it is not ours
# to wipe (its id does not match, and it is not the directory we made).
other=aaaaaaaa-1111-4222-8333-444444444444
out=$(with_cache sh -c 'rm -rf "$MONOCACHE_PATH"; mkdir "$MONOCACHE_PATH"
    printf "{\"id\":\"%s\"}" "$0" > "$MONOCACHE_PATH/meta.json"
    echo mine > "$MONOCACHE_PATH/data"; echo "$MONOCACHE_PATH"' "$other" 2> "$T/err")
ok "a swapped-in directory whose meta names another id: not wiped" test "$(cat "$out/data")" = mine
like "... reported" "$(cat "$T/err")" 'cannot prove it is this cache'
ok "... and gc leaves it alone too" sh -c "'$MC_BIN' gc >/dev/null 2>&1; test -e '$out/data'"
rm -rf "$out"

with_cache sh -c 'mkdir -p "$MONOCACHE_PATH/closed/inner" "$MONOCACHE_PATH/readonly"
                  touch "$MONOCACHE_PATH/closed/inner/f" "$MONOCACHE_PATH/readonly/f"
                  chmod 000 "$MONOCACHE_PATH/closed"; chmod 500 "$MONOCACHE_PATH/readonly"'
ok "unreadable and read-only directories inside: wiped" no_caches

# A program that holds a flock on its own cache directory ends.
# (timeout itself is not preloaded: flock is the tree's last holder.)
out=$(timeout 20 env LD_PRELOAD="$PRELOAD" sh -c 'exec flock "$MONOCACHE_PATH" true'; echo "status $?")
is "flock on its own cache directory at exit: the program ends" "$(echo "$out" | tail -1)" "status 0"
eventually 15 no_caches && pass "... and the cache is released once that lock is gone" \
    || fail "... and the cache is released once that lock is gone" "left: $(caches)"

# FIFOs where files are expected never block.
uuid=12345678-1234-4234-8234-123456789abc
id=$(timeout 20 env LD_PRELOAD="$PRELOAD" sh -c 'rm "$MONOCACHE_PATH/meta.json"; mkfifo "$MONOCACHE_PATH/meta.json"; echo "$MONOCACHE_ID"')
is "meta.json replaced by a FIFO: the program's exit does not block" "$?" 0
ok "... and the cache is kept (a meta that cannot be read may say locked)" test -p "$ROOT/cache/$id/meta.json"
mc rm --force "$id" > /dev/null
MONOCACHE_LOCK=1 with_cache sh -c 'echo "$MONOCACHE_ID" > "$0"' "$T/id"
id=$(cat "$T/id")
rm "$ROOT/cache/$id/meta.json" && mkfifo "$ROOT/cache/$id/meta.json"
mkfifo "$ROOT/run/$uuid.lock.9.tmp" "$ROOT/run/$uuid.lock" "$ROOT/run/x.tmp"
ok "ls with a FIFO for meta.json and lock files: returns" timeout 10 "$MC_BIN" ls
ok "gc: returns" timeout 10 "$MC_BIN" gc
timeout 10 "$MC_BIN" rm "$id" 2> "$T/err"
is "rm (no --force): returns, refusing a cache whose meta cannot be read" "$?" 1
like "... saying why" "$(cat "$T/err")" 'meta.json: not a regular file; rm --force removes it'
ok "rm --force: returns and removes it" timeout 10 "$MC_BIN" rm --force "$id"
rm -rf "$ROOT/run/$uuid.lock.9.tmp" "$ROOT/run/$uuid.lock" "$ROOT/run/x.tmp"
ok "nothing left" no_caches

# Deeper than the open-file limit: wiped like rm -rf does.
deep='import os
os.chdir(os.environ["MONOCACHE_PATH"])
for i in range(3000):
    os.mkdir("d"); os.chdir("d")
open("f", "w").close()'
PY=$(command -v /usr/bin/python3 || command -v python3)
bash -c 'ulimit -n 1024; ulimit -Hn 1024; LD_PRELOAD=$0 "$1" -c "$2"' "$PRELOAD" "$PY" "$deep"
eventually 20 no_caches && pass "a tree 3000 deep under ulimit -n 1024: wiped at the end" \
    || fail "a tree 3000 deep under ulimit -n 1024: wiped at the end" "left: $(ls -A "$ROOT/cache")"
MONOCACHE_LOCK=1 LD_PRELOAD=$PRELOAD "$PY" -c "$deep"
id=$(caches)
ok "... and by rm --force under the same limit" bash -c 'ulimit -n 1024; ulimit -Hn 1024; "$0" rm --force "$1"' "$MC_BIN" "$id"
ok "... nothing left" no_caches

# The meta temporary file cannot be planted.
MONOCACHE_LOCK=1 with_cache sh -c 'echo "$MONOCACHE_ID" > "$0"' "$T/id"
id=$(cat "$T/id")
echo precious > "$T/target"
for pid in $(seq $$ $(($$ + 400))); do ln "$T/target" "$ROOT/cache/$id/.meta.json.$pid.tmp" 2>/dev/null; done
mc meta "$id" k=v
is "hard links planted at the old temporary names: their target untouched" "$(cat "$T/target")" precious
is "... and the meta written" "$(mc meta "$id" --get k)" v
mc rm --force "$id" > /dev/null

# A hard link planted under a lock file's name is never written.
with_cache /bin/true
uuid=11111111-2222-4333-8444-555555555555
echo "Hello, important" > "$T/important"
ln "$T/important" "$ROOT/run/$uuid.lock"
mc gc > "$T/out" 2>&1
is "gc: a hard link named like a lock file is left untouched" "$(cat "$T/important")" "Hello, important"
like "... and reported" "$(cat "$T/out")" 'not a lock file of ours'
mkdir -p "$ROOT/cache/$uuid" && printf '{"id":"%s","locked":false}' "$uuid" > "$ROOT/cache/$uuid/meta.json"
mc rm "$uuid" > "$T/out" 2>&1
is "rm: untouched too" "$(cat "$T/important")" "Hello, important"
rm -rf "$ROOT/run/$uuid.lock" "$ROOT/cache/$uuid"

# Another user's program makes its cache unreadable to itself: still wiped.
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null && [ "${MC_VALGRIND:-0}" = 0 ] &&
    [ "$MC_SANITIZED" = 0 ]; then
    nobody_dir=$(mktemp -d /tmp/mc-nobody.XXXXXX)
    chown 65534:65534 "$nobody_dir"
    # nobody runs copies of the tool and library, in a directory it can reach.
    cp "$MC_REAL_LIB" "$MC_BIN" "$nobody_dir/"
    chmod 755 "$nobody_dir"/* && chown 65534:65534 "$nobody_dir"/*
    as_nobody() {
        setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH=/usr/bin:/bin \
            MONOCACHE_ROOT="$nobody_dir/root" LD_PRELOAD="$nobody_dir/$(basename "$MC_REAL_LIB")" "$@"
    }
    made=$(as_nobody sh -c 'cd "$MONOCACHE_PATH" && mkdir -p a/b && touch a/b/f && chmod 600 a &&
        echo "$MONOCACHE_PATH"')
    made=$made,$(as_nobody sh -c 'touch "$MONOCACHE_PATH/x" && chmod 000 "$MONOCACHE_PATH" &&
        echo "$MONOCACHE_PATH"')
    like "nobody's two programs had their caches" "$made" \
        "^$nobody_dir/root/cache/[0-9a-f-]{36},$nobody_dir/root/cache/[0-9a-f-]{36}\$"
    left=$(ls -A "$nobody_dir/root/cache")
    is "a directory without search permission, and a cache of mode 000: wiped" "$left" ""
    rm -rf "$nobody_dir"
else
    echo "ok $((tap_count += 1)) # SKIP another user's permissions: needs root and setpriv, no valgrind or sanitizer"
    echo "ok $((tap_count += 1)) # SKIP another user's permissions: needs root and setpriv, no valgrind or sanitizer"
fi

# Mount points: a bind mount of a directory outside, and a tmpfs. Needs a
# private mount namespace (root, or unprivileged user namespaces).
if [ "$(id -u)" = 0 ]; then
    ns="unshare --mount --propagation private"
else
    ns="unshare --user --map-root-user --mount --propagation private"
fi
if $ns true 2>/dev/null; then
    $ns env LD_PRELOAD= "MC_BIN=$MC_BIN" bash -c '
        victim=$1 root=$2 preload=$3
        LD_PRELOAD=$preload sh -c "
            mkdir \"\$MONOCACHE_PATH/bind\" \"\$MONOCACHE_PATH/tmp\"
            mount --bind \"$victim\" \"\$MONOCACHE_PATH/bind\"
            mount -t tmpfs none \"\$MONOCACHE_PATH/tmp\" && echo kept > \"\$MONOCACHE_PATH/tmp/f\"
            touch \"\$MONOCACHE_PATH/ordinary\"" 2> "$root/../mount.err"
        tomb=$(ls -d "$root"/cache/.wipe-* 2>/dev/null)
        echo "tomb=${tomb:+yes}"
        echo "tmpfs=$(cat "$tomb/tmp/f" 2>/dev/null)"
        echo "ordinary=$(test -e "$tomb/ordinary" && echo left || echo removed)"
        umount "$tomb/bind" "$tomb/tmp"
        "$MC_BIN" gc > /dev/null
        echo "after-gc=$(ls -A "$root/cache" | wc -l)"
    ' sh "$victim" "$ROOT" "$PRELOAD" > "$T/mount.out"
    out=$(cat "$T/mount.out")
    ok "bind mount of a directory outside: its files intact" intact
    like "mount points stop the wipe: the rest moves to a tombstone" "$out" "tomb=yes"
    like "... a tmpfs mounted inside is not entered" "$out" "tmpfs=kept"
    like "... everything else was wiped" "$out" "ordinary=removed"
    like "... and reported" "$(cat "$T/mount.err")" 'is a mount point; left in place'
    like "after unmounting, gc finishes the tombstone" "$out" "after-gc=0"

    # The same bind mount where openat2 is missing (old kernels, valgrind):
    # mount ids must stop the wipe at it.
    if "$MC_HELPERS/noopenat2" true 2>/dev/null; then
        $ns env LD_PRELOAD= bash -c '
            victim=$1 preload=$2 noopenat2=$3
            "$noopenat2" env LD_PRELOAD=$preload sh -c "
                mkdir \"\$MONOCACHE_PATH/bind\"
                mount --bind \"$victim\" \"\$MONOCACHE_PATH/bind\"" 2>/dev/null
            for m in $(grep -o "[^ ]*/\.wipe-[^ ]*/bind" /proc/self/mounts); do umount "$m"; done
        ' sh "$victim" "$PRELOAD" "$MC_HELPERS/noopenat2"
        ok "without openat2: a same-device bind mount inside is not entered" intact
        "$MC_BIN" gc > /dev/null 2>&1
    else
        echo "ok $((tap_count += 1)) # SKIP without openat2: no seccomp filter here"
    fi
else
    echo "ok $((tap_count += 1)) # SKIP mount traps: cannot create a mount namespace here"
fi

finish
