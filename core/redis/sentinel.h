/* sentinel.h — the master the sentinels name (MONOCACHE_REDIS_SENTINEL,
 * MONOCACHE_REDIS_MASTER): each sentinel asked in turn (SENTINEL
 * get-master-addr-by-name), the server it names connected to, and kept only
 * if it says it is the master (ROLE): after a failover a sentinel may still
 * name the old one, now a replica. Each sentinel, and the master, is bounded
 * by the timeout. Runs in the watcher and the command. */
#ifndef MC_REDIS_SENTINEL_H
#define MC_REDIS_SENTINEL_H

#include "conn.h"

/* A connection to the master, set up (AUTH) as configured: 0, or -1 with
 * err (the last sentinel's or master's failure; MC_ERR_AUTH if the master
 * refused the password). */
int mc_sentinel_connect(const struct mc_redis_config *rc, struct mc_redis_conn **conn,
                        struct mc_err *err);

#endif
