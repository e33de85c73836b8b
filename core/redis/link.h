/* link.h — the register's way to the server that holds its keys, whatever
 * the deployment: the configured server, the master the sentinels name
 * (sentinel.h), or the cluster node that owns the register's hash slot.
 *
 * One command at a time: a connection that broke is made again once (from
 * the configuration: the sentinels are asked again after a failover); a
 * MOVED sends this and later commands to the node it names; an ASK sends
 * this one command there, after ASKING; a TRYAGAIN (the slot migrating)
 * asks again, for as long as the timeout; a READONLY (a replica: the old
 * master after a failover) is a broken connection too. A timeout is never
 * tried again: the server may still be there, and a second try would
 * double the wait. Runs in the watcher and the command. */
#ifndef MC_REDIS_LINK_H
#define MC_REDIS_LINK_H

#include "conn.h"

struct mc_redis_link;

/* Connects now (so that a wrong setting shows at once): 0, or -1 with err. */
int mc_redis_link_open(const struct mc_redis_config *rc, struct mc_redis_link **link,
                       struct mc_err *err);
void mc_redis_link_close(struct mc_redis_link *link);

/* The reply (a server error is a REDIS_REPLY_ERROR reply), or NULL with
 * err (MC_ERR_TIMEOUT if the server was too slow). Not thread-safe: the
 * caller serializes. */
redisReply *mc_redis_link_command(struct mc_redis_link *link, int argc, const char **argv,
                                  struct mc_err *err);

#endif
