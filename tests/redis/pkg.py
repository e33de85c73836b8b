"""pkg.py — the Python "Monolith Caching" package's way with a cache, for
the interoperability tests (tests/lib-redis.sh: python_cases): it counts in
CACHE_REGISTER with HGET/HSET/HDEL, makes and wipes cache directories, and
reads meta.json as a dict. The same on every deployment; PKG_REDIS says
where the register is:
  unix:PATH              a unix socket
  tls:HOST:PORT:CAFILE   TLS, the server checked against CAFILE
  cluster:HOST:PORT      a Redis Cluster, any node (redis-py follows MOVED)
  sentinel:HOST:PORT:NAME  the master the sentinel names

usage: pkg.py create|join|leave|meta PATH
"""
import json
import os
import shutil
import sys

import redis


def register():
    kind, _, where = os.environ["PKG_REDIS"].partition(":")
    if kind == "unix":
        return redis.Redis(unix_socket_path=where)
    if kind == "tls":
        host, port, ca = where.split(":", 2)
        return redis.Redis(host=host, port=int(port), ssl=True, ssl_ca_certs=ca)
    if kind == "cluster":
        from redis.cluster import RedisCluster
        host, port = where.split(":")
        return RedisCluster(host=host, port=int(port))
    if kind == "sentinel":
        from redis.sentinel import Sentinel
        host, port, name = where.split(":")
        return Sentinel([(host, int(port))]).master_for(name)
    raise SystemExit("PKG_REDIS=%s: unknown" % os.environ["PKG_REDIS"])


action, path = sys.argv[1], sys.argv[2]
r = register()
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
