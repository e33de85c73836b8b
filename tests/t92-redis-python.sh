#!/bin/bash
# t92-redis-python.sh — the Python package and monocache on one cache,
# against a real redis-server started here: the package counts in
# CACHE_REGISTER with HGET/HSET/HDEL (tests/redis/pkg.py does it the way the
# package does) and reads meta.json; either may make the cache, attach to
# it, or end last. ls shows both counts. The same cases run on the other
# deployments too (python_cases: t92-redis-cluster, t92-redis-sentinel,
# t93-redis-tls).
. "$(dirname "$0")/lib.sh"
. "$here/lib-redis.sh"
redis_main
age_register    # (a server that has counted for a while: not the young-register case)
with_cache /bin/true    # (a first tree on this host marks its run directory, which gc needs)

# --- 7 and 12. The package and monocache on one cache; ls shows both counts.
export PKG_REDIS=unix:$RD/redis.sock
python_cases "plain"

finish
