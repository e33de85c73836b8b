#!/bin/bash
# t92-redis-python.sh — the Python package and monocache on one cache,
# against a real redis-server started here: the package counts in
# CACHE_REGISTER with HGET/HSET/HDEL (pkg.py below does it the way the
# package does) and reads meta.json; either may make the cache, attach to
# it, or end last. ls shows both counts.
. "$(dirname "$0")/lib.sh"
. "$here/lib-redis.sh"
redis_main
age_register    # (a server that has counted for a while: not the young-register case)
with_cache /bin/true    # (a first tree on this host marks its run directory, which gc needs)

# --- 7. The Python package on the same cache: it counts with HGET/HSET/HDEL.
cat > "$T/pkg.py" <<'PY'
import json, os, shutil, sys, uuid
import redis
sock, action, path = sys.argv[1], sys.argv[2], sys.argv[3]
r = redis.Redis(unix_socket_path=sock)
key = path.rstrip("/") + "/"
if action == "create":
    os.makedirs(path)
    with open(os.path.join(path, "meta.json"), "w") as f:
        json.dump({}, f)
    with open(os.path.join(path, "timestamp.txt"), "w") as f:
        f.write("2026-11-28 00:00:00\n")
if action in ("create", "join"):
    count = r.hget("CACHE_REGISTER", key)
    r.hset("CACHE_REGISTER", key, int(count or 0) + 1)
elif action == "leave":
    count = int(r.hget("CACHE_REGISTER", key) or 0) - 1
    if count <= 0:
        r.hdel("CACHE_REGISTER", key)
        with open(os.path.join(path, "meta.json")) as f:
            meta = json.load(f)
        if not meta.get("locked", False):
            shutil.rmtree(path)
            print("wiped")
    else:
        r.hset("CACHE_REGISTER", key, count)
elif action == "meta":
    with open(os.path.join(path, "meta.json")) as f:
        meta = json.load(f)
    assert isinstance(meta, dict)
    print(meta.get("id") == os.path.basename(path))
PY
pkg() {
    "$PY" "$T/pkg.py" "$RD/redis.sock" "$@"
}
mkdir -p "$ROOT/cache"
path=$ROOT/cache/$("$PY" -c 'import uuid; print(uuid.uuid4())')
pkg create "$path"
start_user py a --existing "$path"
is "a cache the package made, attached with --existing: counted 2" "$(field_count "$path")" 2
is "... its meta.json is still a dict for the package, now with our id" "$(pkg meta "$path")" True
end_user py
ok "... our end keeps it for the package" test -f "$path/timestamp.txt"
is "... counted 1" "$(field_count "$path")" 1
is "... the package's last user wipes it" "$(pkg leave "$path")" wiped
is "... field gone" "$(rcli HEXISTS CACHE_REGISTER "$path/")" 0

start_user py2 a
path=$(path_of py2)
pkg join "$path"
is "the package joins a monocache tree's cache: counted 2" "$(field_count "$path")" 2
end_user py2
ok "... the tree's end keeps it" test -d "$path"
is "... the package leaves last, and wipes" "$(pkg leave "$path")" wiped

start_user py3 a
path=$(path_of py3)
pkg join "$path"
end_user py3
like "a stale count left by the package: gc keeps the cache" "$(mc gc)" "kept ${path##*/}"
rcli HDEL CACHE_REGISTER "$path/" > /dev/null
past_lease
like "... until the field is deleted by hand (README), then gc wipes it" "$(mc gc)" "wiped ${path##*/}"

# --- 12. ls shows both counts; --json has them.
start_user shown a
path=$(path_of shown)
pkg join "$path"
"$PY" -c '
import json, sys
row = [r for r in json.loads(sys.argv[1]) if r["path"] == sys.argv[2]][0]
assert row["holders"] == 2 and row["redis_users"] == 2, row' "$(host a "$MC_BIN" ls --json)" "$path" &&
    pass "ls --json: holders 2 (run and its program, on this host), redis_users 2" ||
    fail "ls --json: holders and redis_users"
DOWN=redis://127.0.0.1:$(free_port)
out=$(host a env MONOCACHE_REDIS="$DOWN" "$MC_BIN" ls 2> "$T/err")
like "ls with Redis down: still lists, users unknown" "$(grep "${path##*/}" <<< "$out")" ' 2 +\? +/'
like "... and says why" "$(cat "$T/err")" "MONOCACHE_REDIS=$DOWN: cannot connect"
pkg leave "$path" > /dev/null
end_user shown

finish
