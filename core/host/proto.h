/* proto.h — names, numbers and file formats shared by the preloaded shim, the
 * watcher and the CLI.
 *
 * Libc only, no allocation: included by code that runs inside other people's
 * processes. Changing anything here changes what a running tree expects of
 * the processes it starts, so keep old values readable. */
#ifndef MC_PROTO_H
#define MC_PROTO_H

/* Environment: part of the user interface. */
#define MC_ENV_PATH "MONOCACHE_PATH"
#define MC_ENV_ID "MONOCACHE_ID"
#define MC_ENV_ROOT "MONOCACHE_ROOT"
#define MC_ENV_EXISTING "MONOCACHE_EXISTING"
#define MC_ENV_LOCK "MONOCACHE_LOCK"
#define MC_ENV_META "MONOCACHE_META"
#define MC_ENV_EXPORT "MONOCACHE_EXPORT"
#define MC_ENV_NEW "MONOCACHE_NEW"
#define MC_ENV_NAME "MONOCACHE_NAME"
#define MC_ENV_LOG "MONOCACHE_LOG"
#define MC_ENV_LOG_FILE "MONOCACHE_LOG_FILE"
#define MC_ENV_LOG_FORMAT "MONOCACHE_LOG_FORMAT"
#define MC_ENV_ON_ERROR "MONOCACHE_ON_ERROR"
#define MC_ENV_REDIS "MONOCACHE_REDIS"
#define MC_ENV_REDIS_HOST "MONOCACHE_REDIS_HOST"
#define MC_ENV_REDIS_PORT "MONOCACHE_REDIS_PORT"
#define MC_ENV_REDIS_PASSWORD "MONOCACHE_REDIS_PASSWORD"
#define MC_ENV_REDIS_TIMEOUT "MONOCACHE_REDIS_TIMEOUT_MS"
#define MC_ENV_REDIS_LEASE "MONOCACHE_REDIS_LEASE_S"
#define MC_ENV_HOST_ID "MONOCACHE_HOST_ID"
#define MC_ENV_RUN_DIR "MONOCACHE_RUN_DIR"
#define MC_ENV_S3 "MONOCACHE_S3"
#define MC_ENV_S3_ASYNC "MONOCACHE_S3_ASYNC"
#define MC_ENV_S3_JOBS "MONOCACHE_S3_JOBS"
#define MC_ENV_S3_MULTIPART_MB "MONOCACHE_S3_MULTIPART_MB"
#define MC_ENV_S3_TIMEOUT "MONOCACHE_S3_TIMEOUT_S"
#define MC_ENV_S3_UPLOAD "MONOCACHE_S3_UPLOAD"
#define MC_ENV_S3_RESTORE_KEYS "MONOCACHE_S3_RESTORE_KEYS"
/* Internal, set by us: "<fd>:<dev>:<ino>:<lock path>" of the holder lock the
 * tree shares, or MC_HOLD_DISABLED when the tree runs without a cache. */
#define MC_ENV_HOLD "MONOCACHE_HOLD"
/* Internal, from monocache run to its watcher: which variables came from
 * run's options, "MONOCACHE_EXISTING=--existing,...", so that messages
 * name what was typed (setting.h). */
#define MC_ENV_OPTIONS "MONOCACHE_OPTIONS"
/* Internal, in the watcher's environment only: the program that asked for
 * the cache, for its log line (its /proc may not be the watcher's). */
#define MC_ENV_STARTER "MONOCACHE_STARTER"
#define MC_STARTER_MAX 64
#define MC_HOLD_DISABLED "-"

/* Exit statuses of our own failures (the same as env(1) and timeout(1)). */
#define MC_EXIT_OWN_ERROR 125
#define MC_EXIT_CANNOT_EXEC 126
#define MC_EXIT_NOT_FOUND 127

/* The holder descriptor sits at the first free number from here, out of the
 * program's way; it is the only descriptor of ours that survives exec. */
#define MC_HOLD_FD_WANTED 1000

/* Layout under a root: <root>/cache/<id>/ (as the Python package) and
 * <root>/run/<id>.lock, the lock file of the tree(s) holding the cache. */
#define MC_CACHE_SUBDIR "cache"
#define MC_RUN_SUBDIR "run"
#define MC_LOCK_SUFFIX ".lock"
#define MC_PULL_GUARD_SUFFIX ".pull"
/* <run>/<id>.later: the release kept the cache on a doubt (Redis did not
 * answer, or may have lost users); the background sweep decides again. */
#define MC_LATER_SUFFIX ".later"
#define MC_META_FILE "meta.json"
#define MC_TOMB_PREFIX ".wipe-"
#define MC_PULL_PREFIX ".pull-"
/* In a run directory we made: what makes a sweep trust its other names. */
#define MC_RUN_MARKER ".monocache-run"

/* Lock file: byte 0 is the state; then " <dev> <ino> <watcher pid> <birth
 * seconds> <birth nanoseconds>\n" of the cache directory (see session.h). flock(LOCK_SH) = holding, flock(LOCK_EX) = releasing; an
 * OFD write lock on byte MC_WATCH_BYTE = a watcher is alive. */
#define MC_STATE_HELD 'H'
#define MC_STATE_RELEASING 'R'
#define MC_WATCH_BYTE 0
/* At this offset the last holder to let go notes how it ended, for the
 * release's log line: "E <how>\n", how = exit status (0-255), 256 + the
 * signal that killed it, or MC_END_UNKNOWN (ended by exit(): a destructor
 * is not told the status). Before the record's end, the rest is zeros. */
#define MC_LOCK_END_OFFSET 128
#define MC_END_UNKNOWN (-1)
#define MC_END_SIGNAL(sig) (256 + (sig))

/* Code every wrapped process runs (start-up fast path, exit hook): kept
 * together so that it costs as few page faults as possible. */
#define MC_HOT __attribute__((hot, section(".text.hot.monocache")))

/* A cache's id is its name: [A-Za-z0-9][A-Za-z0-9._-]{0,127} (names.h);
 * those monocache makes are UUID v4 text, as the Python package's. */
#define MC_ID_MAX 128
#define MC_UUID_LEN 36
/* Room for a file name made of an id and a prefix, suffix or pid. */
#define MC_ID_NAME_MAX (MC_ID_MAX + 64)
#define MC_PATH_MAX 4096
#define MC_REPLY_MAX 65536

#endif
