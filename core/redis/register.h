/* register.h — the Redis register of who uses which cache, shared with the
 * Python "Monolith Caching" package.
 *
 * Hash CACHE_REGISTER: field = the cache's absolute path with a trailing
 * "/", value = how many users it has (a decimal count), as the package keeps
 * it. Each host counts once per cache, whatever the number of its processes:
 * its watcher joins when the cache is first held there and leaves at the
 * release (a host: a host id and a run directory; each watcher is its own
 * lease member, "<host id>#<random tag>", so hosts whose names collide still
 * count apart). Beside it, ours only: monocache:leases:<field>, a sorted set of
 * members by lease expiry (server time, milliseconds), renewed by each host's
 * watcher, so that a host that died stops counting once its lease is over;
 * monocache:wiping:<field> while a host wipes the cache, so that no one
 * joins a cache being wiped; monocache:alive-since, the server time from
 * which the register has counted without a loss. Every change is one Lua
 * script: atomic.
 *
 * Runs in the watcher and the CLI, never in the preloaded shim. */
#ifndef MC_REGISTER_H
#define MC_REGISTER_H

#include "common/err.h"
#include "redisconf.h"

#define MC_REGISTER_KEY "CACHE_REGISTER"

struct mc_register;

/* Connects (within the timeout), authenticates, selects the database. */
int mc_register_open(const struct mc_redis_config *rc, struct mc_register **reg,
                     struct mc_err *err);
void mc_register_close(struct mc_register *reg);

/* This host starts using the cache: counted once, lease set. *count is the
 * number of users after. MC_REGISTER_WIPING if a host is wiping it now. */
#define MC_REGISTER_WIPING 1
int mc_register_join(struct mc_register *reg, const char *field, long long *count,
                     struct mc_err *err);
/* Pushes this host's lease forward: 0. If it was not registered any more
 * (its lease ran out, Redis lost it), joins again: 1 (the caller checks the
 * cache is still there). -1 with err. */
int mc_register_renew(struct mc_register *reg, const char *field, struct mc_err *err);
/* This host stops using the cache. With MC_LEAVE_CLAIM, when nobody is
 * left the caller is given the wipe (claimed: monocache:wiping set until
 * mc_register_wiped, or for a lease if the caller dies) — unless there is a
 * doubt: MC_LEAVE_REGISTERED (a watcher) and this host was not registered
 * any more, or the register has counted for less than a lease (it was
 * restarted or flushed: users it lost may not have renewed yet). */
#define MC_LEAVE_CLAIM 1
#define MC_LEAVE_REGISTERED 2
#define MC_DOUBT_NOT_REGISTERED 1
#define MC_DOUBT_YOUNG 2
struct mc_leave {
    long long remaining;    /* the count left */
    int claimed;
    int doubt;              /* 0, or MC_DOUBT_* */
};
int mc_register_leave(struct mc_register *reg, const char *field, int flags,
                      struct mc_leave *out, struct mc_err *err);
int mc_register_wiped(struct mc_register *reg, const char *field, struct mc_err *err);
/* Takes the shares of hosts whose lease ran out off the count. */
int mc_register_expire(struct mc_register *reg, const char *field, long long *remaining,
                       int *expired, struct mc_err *err);

/* The count of one field (0 when absent); -1 with err if it is not one. */
int mc_register_count(struct mc_register *reg, const char *field, long long *count,
                      struct mc_err *err);

typedef void (*mc_register_fn)(const char *field, long long count, void *ctx);
/* Every field starting with prefix, with its count (garbage: -1). */
int mc_register_each(struct mc_register *reg, const char *prefix, mc_register_fn fn, void *ctx,
                     struct mc_err *err);

#endif
