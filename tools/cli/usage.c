/* usage.c — what `monocache --help` and `monocache CMD --help` print, and the
 * one way a command reports a usage error: what is wrong, then its synopsis,
 * on stderr. The words users read about the command line live here. */
#include "cli.h"
#include "common/err.h"
#include "common/shown.h"

#include <stdarg.h>
#include <string.h>
#include <stdio.h>

const char cli_usage_main[] =
    "usage: monocache <command> [options]    (monocache <command> --help for more)\n"
    "\n"
    "  run [options] [--] PROGRAM [ARGS...]   run PROGRAM with a cache ($MONOCACHE_PATH)\n"
    "  ls [--json] [--size] [--verbose] [--root DIR] [--redis URL]\n"
    "                                         list caches\n"
    "  meta ID|PATH [--json] [--get KEY] [--root DIR] [--] [KEY=VALUE...]\n"
    "                                         print a cache's meta, or set keys\n"
    "  lock [--root DIR] ID|PATH...           keep the cache when its last holder ends\n"
    "  unlock [--root DIR] ID|PATH...         wipe it when its last holder ends\n"
    "  holders [--json] [--root DIR] ID|PATH  the processes holding a cache\n"
    "  gc [--dry-run] [--json] [--root DIR] [--redis URL]\n"
    "                                         reclaim caches whose holders are all gone\n"
    "  rm [--force] [--root DIR] [--redis URL] ID|PATH...\n"
    "                                         wipe caches now\n"
    "  push ID|PATH [--s3 s3://bucket/prefix] [--root DIR]\n"
    "                                         upload a cache to S3 (what changed)\n"
    "  pull s3://bucket/prefix/ID [--root DIR] [--upload]\n"
    "                                         bring a cache from S3 (what changed)\n"
    "  ls --s3 s3://bucket/prefix [--json]    list the caches in S3\n"
    "  rm --s3 s3://bucket/prefix/ID          delete a cache from S3\n"
    "  preload-path                           print the path of libmonocache.so\n"
    "  --help, --version\n"
    "\n"
    "ID is a cache's id or name under the root (or a unique prefix of one);\n"
    "PATH is <root>/cache/<id>, absolute or relative. Exit status: 0 success;\n"
    "1 a command failed; 2 usage error; run: the program's status, 125\n"
    "monocache's own error, 126 not executable, 127 not found. See monocache(1).\n";

const char cli_usage_run[] =
    "usage: monocache run [--root DIR] [--name KEY | --existing ID|PATH | --new]\n"
    "                     [--lock] [--meta KEY=VALUE]... [--export VARS] [--init]\n"
    "                     [--redis URL] [--s3 s3://bucket/prefix] [--s3-upload WHEN]\n"
    "                     [--restore-keys K1,K2...] [--] PROGRAM [ARGS...]\n"
    "\n"
    "Runs PROGRAM with a private cache directory ($MONOCACHE_PATH), shared with\n"
    "everything it starts and released when the last of them ends. Inside a\n"
    "tree that has a cache already, attaches to it.\n"
    "\n"
    "  --root DIR          root of the caches (default $MONOCACHE_ROOT, else\n"
    "                      ${TMPDIR:-/tmp}/monocache-<uid>)\n"
    "  --name KEY          the cache named KEY: attached if it is there, made\n"
    "                      with that id if not (default $MONOCACHE_NAME; KEY is\n"
    "                      [A-Za-z0-9][A-Za-z0-9._-]{0,127})\n"
    "  --existing ID|PATH  attach to an existing cache instead of making one\n"
    "  --new               a fresh cache even inside a tree that has one\n"
    "  --lock              keep the cache after the program (lock it)\n"
    "  --meta KEY=VALUE    set a meta key (VALUE is JSON if it parses); repeatable\n"
    "  --export VARS       also set these variables (comma-separated) to the path\n"
    "  --init              reap orphans and pass signals on, as an init process\n"
    "                      (always so when run is pid 1)\n"
    "  --redis URL         count the cache's users across hosts in this Redis\n"
    "                      (redis://[[user]:password@]host[:port][/db], rediss://\n"
    "                      for TLS, or unix:///path.sock[?db=N]; default\n"
    "                      $MONOCACHE_REDIS, or the master $MONOCACHE_REDIS_SENTINEL\n"
    "                      name; prefer $MONOCACHE_REDIS_PASSWORD for the password)\n"
    "  --s3 s3://BUCKET/PREFIX\n"
    "                      upload the cache to PREFIX/<id>/ at its release\n"
    "                      (default $MONOCACHE_S3; --existing s3://BUCKET/\n"
    "                      PREFIX/<id> brings one from S3 first; with --name, the\n"
    "                      cache PREFIX/KEY is restored first if S3 has it)\n"
    "  --s3-upload WHEN    always (default), on-success (the program exited 0)\n"
    "                      or never (restore only) (default $MONOCACHE_S3_UPLOAD)\n"
    "  --restore-keys K1,K2...\n"
    "                      with --name and --s3, when S3 has no KEY: start from\n"
    "                      the newest cache whose name starts with K1, else K2...\n"
    "                      (default $MONOCACHE_S3_RESTORE_KEYS)\n"
    "  -h, --help          this help\n"
    "\n"
    "Exit status: the program's (run dies of its signal if it did); 125\n"
    "monocache's own error; 126 PROGRAM not executable; 127 not found.\n";

const char cli_usage_ls[] =
    "usage: monocache ls [--json] [--size] [--verbose] [--root DIR] [--redis URL]\n"
    "       monocache ls --s3 s3://bucket/prefix [--json]\n"
    "\n"
    "Lists the caches under the root, one line each as they are found: id,\n"
    "creation time, locked, holders on this host, with $MONOCACHE_REDIS the\n"
    "users counted in Redis (hosts and Python package users), path; under it,\n"
    "an upload to S3 that is running or did not complete. With --s3: the\n"
    "caches there, newest upload first: name, upload time, host, objects, size.\n"
    "\n"
    "  --json       one JSON object per cache, in an array, meta included\n"
    "  --size       add each cache's disk usage (not following symlinks or\n"
    "               crossing mounts; slow for big caches)\n"
    "  --verbose    add each holder: pid, start time, command line\n"
    "  --root DIR   the root to list (default $MONOCACHE_ROOT, else the default)\n"
    "  --redis URL  the Redis register to ask (default $MONOCACHE_REDIS)\n"
    "  --s3 URL     list the caches in S3 under s3://bucket/prefix instead\n";

const char cli_usage_meta[] =
    "usage: monocache meta ID|PATH [--json] [--get KEY] [--root DIR] [--] [KEY=VALUE...]\n"
    "\n"
    "Prints a cache's meta.json, or one key of it, or sets keys. A value is\n"
    "JSON if it parses as JSON (n=3, flag=true, obj='{\"a\":1}'), a string\n"
    "otherwise; --json demands JSON. \"id\" and \"created\" are monocache's.\n"
    "After --, every KEY=VALUE is a pair, even one starting with -.\n"
    "\n"
    "  --get KEY    print that key's value (a string raw, unless --json)\n"
    "  --json       print compact JSON; take values as JSON only\n"
    "  --root DIR   the root of an ID (default $MONOCACHE_ROOT, else the default)\n";

const char cli_usage_lock[] =
    "usage: monocache lock [--root DIR] ID|PATH...\n"
    "\n"
    "Keeps the cache when its last holder ends. Fails, saying so, if the\n"
    "cache was released first.\n"
    "\n"
    "  --root DIR   the root of an ID (default $MONOCACHE_ROOT, else the default)\n";

const char cli_usage_unlock[] =
    "usage: monocache unlock [--root DIR] ID|PATH...\n"
    "\n"
    "Lets the cache be wiped when its last holder ends; one nobody holds is\n"
    "reclaimed by the next gc.\n"
    "\n"
    "  --root DIR   the root of an ID (default $MONOCACHE_ROOT, else the default)\n";

const char cli_usage_holders[] =
    "usage: monocache holders [--json] [--root DIR] ID|PATH\n"
    "\n"
    "Lists the processes on this host holding the cache (found, as fuser does,\n"
    "by their descriptors on its lock file): pid, start time, command line.\n"
    "The watcher is listed last, marked (watcher).\n"
    "\n"
    "  --json       a JSON array of {pid, started, command, watcher}\n"
    "  --root DIR   the root of an ID (default $MONOCACHE_ROOT, else the default)\n";

const char cli_usage_gc[] =
    "usage: monocache gc [--dry-run] [--json] [--root DIR] [--redis URL]\n"
    "\n"
    "Reclaims caches whose holders are all gone (a tree killed with its\n"
    "watcher, a cache unlocked after its end), finishes interrupted wipes and\n"
    "removes lock files half made by dead processes. Locked and held caches\n"
    "are never touched. With $MONOCACHE_REDIS, also takes hosts whose lease\n"
    "ran out off the register's counts, and wipes a cache only when nobody\n"
    "is counted anywhere (\"later\": not sure yet, e.g. the cache was made or\n"
    "used less than a lease ago; run gc again later).\n"
    "\n"
    "  -n, --dry-run   say what would be done, do nothing\n"
    "  --json          a JSON array of {action, id, message} on stdout\n"
    "  --root DIR      the root to sweep\n"
    "  --redis URL     the Redis register to ask (default $MONOCACHE_REDIS)\n";

const char cli_usage_rm[] =
    "usage: monocache rm [--force] [--root DIR] [--redis URL] ID|PATH...\n"
    "       monocache rm --s3 s3://bucket/prefix/ID\n"
    "\n"
    "Wipes a cache now. Refuses a locked cache, one held by running processes,\n"
    "and one used on other hosts (counted in the Redis register), unless\n"
    "--force. With --s3, deletes the cache's objects and index from S3\n"
    "instead (meta.json first, so a pull never takes a half-deleted copy).\n"
    "\n"
    "  -f, --force   wipe it even so (locked, held, or counted elsewhere)\n"
    "  --root DIR    the root of an ID (default $MONOCACHE_ROOT, else the default)\n"
    "  --redis URL   the Redis register to ask (default $MONOCACHE_REDIS)\n"
    "  --s3 URL      delete s3://bucket/prefix/ID from S3 instead\n";

const char cli_usage_push[] =
    "usage: monocache push ID|PATH [--s3 s3://bucket/prefix] [--root DIR]\n"
    "\n"
    "Uploads a cache to <prefix>/<id>/ in S3: only what changed since the last\n"
    "push; remote files deleted here are deleted there; meta.json last (a\n"
    "cache without it is incomplete, and no pull takes it). Where: --s3, else\n"
    "the cache's S3 home (meta \"s3\"), else $MONOCACHE_S3. Finishes an upload\n"
    "a release left pending (meta \"s3_pending\"). Credentials: the AWS\n"
    "variables and files (AWS_ACCESS_KEY_ID..., AWS_PROFILE, AWS_ENDPOINT_URL).\n"
    "A progress bar on a terminal; else, at MONOCACHE_LOG=info, one line of\n"
    "what was sent, what was unchanged, what was deleted.\n"
    "\n"
    "  --s3 URL     where: s3://bucket/prefix\n"
    "  --root DIR   the root of an ID (default $MONOCACHE_ROOT, else the default)\n";

const char cli_usage_pull[] =
    "usage: monocache pull s3://bucket/prefix/ID [--root DIR] [--upload]\n"
    "\n"
    "Brings a cache from S3 to <root>/cache/<id>: a new copy appears whole, an\n"
    "existing one (not held by a tree) gets only what changed. Refuses a cache\n"
    "without meta.json (an upload cut short). Prints the local path. The copy\n"
    "is read-only for S3: its release uploads nothing, unless a tree using it\n"
    "has MONOCACHE_S3 or --upload was given. A progress bar on a terminal;\n"
    "else, at MONOCACHE_LOG=info, one line of what was downloaded and what\n"
    "was linked from the copy here.\n"
    "\n"
    "  --root DIR   the root to bring it under (default $MONOCACHE_ROOT, else\n"
    "               the default)\n"
    "  --upload     the copy goes back where it came from at its release\n";

const char cli_usage_preload_path[] =
    "usage: monocache preload-path\n"
    "\n"
    "Prints the absolute path of libmonocache.so, for composing LD_PRELOAD.\n";

int cli_help(const char *usage)
{
    fputs(usage, stdout);
    return 0;
}

int cli_is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int cli_bad_usage(const char *command, const char *usage, int status, const char *fmt, ...)
{
    va_list ap;

    /* The synopsis: the usage's first lines, up to the first blank one. */
    const char *end = strstr(usage, "\n\n");
    char raw[MC_ERR_MAX];
    char line[MC_ERR_MAX];

    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    mc_shown(raw, line, sizeof(line));
    fprintf(stderr, "monocache: %s: %s", command, line);
    fprintf(stderr, "\n%.*s\n(monocache %s --help for more)\n",
            end ? (int)(end - usage) : (int)strlen(usage), usage, command);
    return status;
}

const char *cli_inline_value(const char *arg, const char *option)
{
    size_t len = strlen(option);

    return strncmp(arg, option, len) == 0 && arg[len] == '=' ? arg + len + 1 : NULL;
}
