/* s3tool.c — monocache-s3, the one program that moves caches to and from
 * S3. It alone links libcurl and OpenSSL (dozens of libraries): the
 * preloaded library, the watcher and the monocache command start it only
 * where S3 is used.
 *
 *   monocache-s3 push DIR s3://bucket/prefix     DIR: <root>/cache/<id>
 *   monocache-s3 pull s3://bucket/prefix/<id> CACHE_DIR [RUN_DIR] [--upload]
 *                [--restore-keys K1,K2,...]
 *   monocache-s3 ls s3://bucket/prefix [--json]
 *   monocache-s3 rm s3://bucket/prefix/<id>
 *   monocache-s3 check s3://bucket/prefix      settings and credentials only
 *
 * push and pull write one line on stdout as they succeed, their figures
 * (MC_S3_REPORT_FORMAT, s3run.h), for the caller's log.
 * Exit status: 0 done, 1 failed, 2 usage, 3 no such cache (pull), 4 an
 * incomplete one, or one whose objects are not those of its index (pull),
 * 125 bad settings. Credentials and
 * region come from the AWS variables and files (creds.h), never from the
 * command line. */
#include "common/log.h"
#include "common/shown.h"
#include "host/names.h"
#include "host/proto.h"
#include "s3/creds.h"
#include "s3/common.h"
#include "s3/http.h"
#include "s3/sync.h"
#include "shared/s3run.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define MC_S3_EXIT_FAILED 1
#define MC_S3_EXIT_USAGE 2
#define MC_S3_EXIT_ABSENT 3
#define MC_S3_EXIT_INCOMPLETE 4
#define MC_S3_EXIT_SETTINGS 125
#define MC_PROGRESS_EVERY_MS 200

static const char usage[] =
    "usage: monocache-s3 push DIR s3://bucket/prefix\n"
    "       monocache-s3 pull s3://bucket/prefix/<id> CACHE_DIR [RUN_DIR] [--upload]\n"
    "                    [--restore-keys K1,K2,...]\n"
    "       monocache-s3 ls s3://bucket/prefix [--json]\n"
    "       monocache-s3 rm s3://bucket/prefix/<id>\n"
    "       monocache-s3 check s3://bucket/prefix\n"
    "\n"
    "The helper that moves caches to and from S3 for monocache (the watcher\n"
    "starts it at a release); use monocache push, pull, ls --s3 and rm --s3.\n"
    "check: the settings and credentials only. push and pull end with one line\n"
    "on stdout, their figures: \"" MC_S3_REPORT_WORD " files=... bytes=...\". See monocache(1).\n";

static const char *env_get(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

static void warn_line(const char *message, void *ctx)
{
    (void)ctx;
    mc_log_always(MC_LOG_WARN, "%s", message);
}

/* --- progress on a terminal ------------------------------------------------------ */

struct progress {
    struct mc_s3_client *client;
    struct mc_s3_job *job;
    const char *verb;
    long long started_ms;
    long long shown_ms;
    int on;
};

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void human(long long bytes, char *out, size_t size)
{
    const char *units = "BKMGT";
    double value = (double)bytes;

    while (value >= 1024 && units[1]) {
        value /= 1024;
        units++;
    }
    snprintf(out, size, value < 10 && *units != 'B' ? "%.1f%c" : "%.0f%c", value, *units);
}

static void show(struct progress *p, int last)
{
    long long sent, received, moved, now = now_ms();
    const struct mc_s3_stats *st = &p->job->stats;
    char done[16], total[16], rate[16], eta[24] = "";
    double seconds;

    if (!p->on || (!last && now - p->shown_ms < MC_PROGRESS_EVERY_MS))
        return;
    p->shown_ms = now;
    mc_s3_counters(p->client, &sent, &received);
    moved = strcmp(p->verb, "pull") == 0 ? received : sent;
    /* The counters include listings and indexes: never more than the files. */
    if (moved > st->bytes_total)
        moved = st->bytes_total;
    seconds = (double)(now - p->started_ms) / 1000;
    if (last && !st->files_total && !st->deleted) {
        fprintf(stderr, "\r%s: nothing changed (%lld files)\033[K\n", p->verb,
                st->files_skipped);
        return;
    }
    human(moved, done, sizeof(done));
    human(st->bytes_total, total, sizeof(total));
    human(seconds > 0 ? (long long)((double)moved / seconds) : 0, rate, sizeof(rate));
    if (!last && moved > 0 && st->bytes_total > moved)
        snprintf(eta, sizeof(eta), ", %.0f s left",
                 (double)(st->bytes_total - moved) * seconds / (double)moved);
    /* \033[K: the rest of the line erased, whatever was longer before. */
    fprintf(stderr, "\r%s: %lld/%lld files, %s/%s, %s/s%s\033[K%s", p->verb,
            st->files_done < st->files_total ? st->files_done : st->files_total,
            st->files_total, done, total, rate, eta, last ? "\n" : "");
}

static void tick(void *ctx)
{
    show(ctx, 0);
}

/* --- settings ----------------------------------------------------------------------------- */

static int load_settings(struct mc_s3_settings *settings, struct mc_s3_tuning *tuning,
                         const struct mc_s3_location *loc, struct mc_err *err)
{
    const char *endpoint = getenv("AWS_ENDPOINT_URL_S3");

    memset(settings, 0, sizeof(*settings));
    settings->bucket = loc->bucket;
    if (mc_s3_parse_tuning(getenv(MC_ENV_S3_JOBS), getenv(MC_ENV_S3_MULTIPART_MB), tuning,
                           err) != 0)
        return -1;
    settings->jobs = tuning->jobs;
    if (mc_s3_parse_timeout(getenv(MC_ENV_S3_TIMEOUT), &settings->timeout_s, err) != 0)
        return -1;
    settings->endpoint_name = "AWS_ENDPOINT_URL_S3";
    if (!endpoint || !*endpoint) {
        endpoint = getenv("AWS_ENDPOINT_URL");
        settings->endpoint_name = "AWS_ENDPOINT_URL";
    }
    settings->endpoint_url = endpoint && *endpoint ? endpoint : NULL;
    if (mc_aws_region(env_get, NULL, &settings->region, err) != 0)
        return -1;
    if (mc_aws_creds_load(&settings->creds, env_get, NULL, mc_http_simple, NULL, err) != 0) {
        free(settings->region);
        return -1;
    }
    return 0;
}

static void free_settings(struct mc_s3_settings *settings)
{
    mc_aws_creds_free(&settings->creds);
    free(settings->region);
}

/* --- commands ----------------------------------------------------------------------------- */

struct session {
    struct mc_s3_location loc;
    struct mc_s3_settings settings;
    struct mc_s3_client *client;
    struct mc_s3_job job;
    struct progress progress;
    char id[MC_ID_MAX + 1];
};

/* Parses url (a cache's when want_id), loads the settings, opens a client. */
static int open_session(struct session *s, const char *name, const char *url, int want_id,
                        const char *verb)
{
    struct mc_s3_tuning tuning;
    struct mc_err err;

    memset(s, 0, sizeof(*s));
    mc_err_clear(&err);
    if (mc_s3_parse_location(name, url, &s->loc, &err) != 0) {
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
        return MC_S3_EXIT_SETTINGS;
    }
    if (want_id && mc_s3_split_cache(&s->loc, s->id) != 0) {
        mc_log_always(MC_LOG_ERROR, "%s=%s: expected s3://bucket/prefix/<cache id>", name, url);
        mc_s3_location_free(&s->loc);
        return MC_S3_EXIT_SETTINGS;
    }
    if (load_settings(&s->settings, &tuning, &s->loc, &err) != 0) {
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
        mc_s3_location_free(&s->loc);
        return MC_S3_EXIT_SETTINGS;
    }
    s->progress.verb = verb;
    s->progress.on = isatty(STDERR_FILENO);
    s->progress.started_ms = now_ms();
    s->settings.tick = tick;
    s->settings.tick_ctx = &s->progress;
    if (mc_s3_client_open(&s->client, &s->settings, &err) != 0) {
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
        free_settings(&s->settings);
        mc_s3_location_free(&s->loc);
        return MC_S3_EXIT_SETTINGS;
    }
    s->job.client = s->client;
    s->job.loc = &s->loc;
    s->job.id = s->id;
    s->job.warn = warn_line;
    s->job.multipart_min = tuning.multipart_min;
    s->progress.client = s->client;
    s->progress.job = &s->job;
    return 0;
}

static void close_session(struct session *s)
{
    mc_s3_client_close(s->client);
    free_settings(&s->settings);
    mc_s3_location_free(&s->loc);
}

/* push and pull: the figures, on stdout, for the caller's log (s3run.h). */
static void report(const struct session *s)
{
    const struct mc_s3_stats *st = &s->job.stats;

    printf(MC_S3_REPORT_FORMAT, st->files_total, st->bytes_total,
           now_ms() - s->progress.started_ms, st->files_skipped, st->deleted);
    fflush(stdout);
}

static int finish(struct session *s, int rc, const struct mc_err *err)
{
    show(&s->progress, 1);
    if (rc != 0)
        mc_log_always(MC_LOG_ERROR, "%s", err->msg);
    else if (strcmp(s->progress.verb, "push") == 0 || strcmp(s->progress.verb, "pull") == 0)
        report(s);
    close_session(s);
    if (rc == 0)
        return 0;
    return err->code == MC_ERR_ABSENT ? MC_S3_EXIT_ABSENT
         : err->code == MC_ERR_INCOMPLETE || err->code == MC_ERR_CHANGED ? MC_S3_EXIT_INCOMPLETE
         : MC_S3_EXIT_FAILED;
}

/* Who pushes, for meta.json's "s3_pushed_by": MONOCACHE_HOST_ID (the
 * register's name of this host) or the hostname; "" if neither is one
 * word of at most MC_S3_PUSHER_MAX bytes. */
static void pusher_name(char *out, size_t size)
{
    const char *given = getenv(MC_ENV_HOST_ID);
    size_t i;

    out[0] = '\0';
    if (given && *given)
        snprintf(out, size, "%s", strlen(given) < size ? given : "");
    else if (gethostname(out, size) != 0)
        out[0] = '\0';
    out[size - 1] = '\0';
    for (i = 0; out[i]; i++) {
        if ((unsigned char)out[i] < 0x21 || out[i] == 0x7f) {
            out[0] = '\0';
            return;
        }
    }
}

static int cmd_push(const char *dir, const char *url)
{
    char pusher[MC_S3_PUSHER_MAX + 1];
    struct session s;
    struct mc_err err;
    const char *id = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    int dir_fd;
    int rc;

    if (!mc_id_valid(id)) {
        mc_log_always(MC_LOG_ERROR, "%s: not a cache directory (<root>/cache/<id>)", dir);
        return MC_S3_EXIT_USAGE;
    }
    rc = open_session(&s, "MONOCACHE_S3", url, 0, "push");
    if (rc != 0)
        return rc;
    mc_id_copy(s.id, id);
    s.job.label = dir;
    pusher_name(pusher, sizeof(pusher));
    s.job.host = pusher;
    dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir_fd < 0) {
        mc_err_sys(&err, errno, "%s", dir);
        return finish(&s, -1, &err);
    }
    rc = mc_s3_push(&s.job, dir_fd, &err);
    close(dir_fd);
    return finish(&s, rc, &err);
}

/* The newest complete cache (by its last push's end) whose id starts with
 * the first of keys ("k1,k2") that any id starts with, other than self. */
struct restore_pick {
    const char *key;
    size_t key_len;
    const char *self;
    char id[MC_ID_MAX + 1];
    char uploaded[MC_S3_MODIFIED_MAX];
};

static void consider(const struct mc_s3_cache_info *info, void *ctx)
{
    struct restore_pick *pick = ctx;

    if (!info->complete || strcmp(info->id, pick->self) == 0 ||
        strncmp(info->id, pick->key, pick->key_len) != 0)
        return;
    if (pick->id[0] && strcmp(info->uploaded, pick->uploaded) <= 0)
        return;
    mc_id_copy(pick->id, info->id);
    memcpy(pick->uploaded, info->uploaded, sizeof(pick->uploaded));
}

/* 0 with the source in pick->id (or "" if none), or -1 with err. */
static int pick_restore(struct session *s, const char *keys, struct restore_pick *pick,
                        struct mc_err *err)
{
    const char *key = keys;

    memset(pick, 0, sizeof(*pick));
    pick->self = s->id;
    while (*key) {
        const char *comma = strchr(key, ',');

        pick->key = key;
        pick->key_len = comma ? (size_t)(comma - key) : strlen(key);
        if (pick->key_len && mc_s3_list_caches(s->client, &s->loc, consider, pick, err) != 0)
            return -1;
        if (pick->id[0])
            return 0;
        key += pick->key_len + (comma != NULL);
    }
    return 0;
}

static int cmd_pull(const char *url, const char *cache_dir, const char *run_dir, int upload,
                    const char *restore_keys)
{
    struct session s;
    struct mc_err err;
    struct restore_pick pick;
    int rc = open_session(&s, "s3", url, 1, "pull");

    char *label;

    if (rc != 0)
        return rc;
    label = mc_concat(cache_dir, "/", s.id, NULL);
    s.job.label = label ? label : cache_dir;
    s.job.keep_home = upload;
    rc = mc_s3_pull(&s.job, cache_dir, run_dir, &err);
    /* Not there: a copy of the newest cache a restore key names, made
     * under this id (the one it came from is never changed). */
    if (rc != 0 && err.code == MC_ERR_ABSENT && restore_keys) {
        struct mc_err absent = err;

        rc = pick_restore(&s, restore_keys, &pick, &err);
        if (rc == 0 && !pick.id[0]) {
            err = absent;
            rc = -1;
        } else if (rc == 0) {
            s.job.id = pick.id;
            s.job.local_id = s.id;
            rc = mc_s3_pull(&s.job, cache_dir, run_dir, &err);
            if (rc == 0)
                mc_log(MC_LOG_INFO, "cache %s: restored from %s (uploaded %s; restore key %.*s)",
                       s.id, pick.id, pick.uploaded[0] ? pick.uploaded : "?",
                       (int)pick.key_len, pick.key);
        }
    }
    rc = finish(&s, rc, &err);
    free(label);
    return rc;
}

static int cmd_rm(const char *url)
{
    struct session s;
    struct mc_err err;
    int rc = open_session(&s, "s3", url, 1, "rm");

    if (rc != 0)
        return rc;
    s.progress.on = 0;
    s.job.label = url;
    rc = mc_s3_remove(&s.job, &err);
    return finish(&s, rc, &err);
}

/* One cache, for ls --s3 --json: its name is its id (one namespace). */
static void print_cache_json(const struct mc_s3_cache_info *info, int first)
{
    cJSON *entry = cJSON_CreateObject();
    char *text;

    cJSON_AddStringToObject(entry, "id", info->id);
    cJSON_AddStringToObject(entry, "name", info->id);
    cJSON_AddNumberToObject(entry, "objects", (double)info->objects);
    cJSON_AddNumberToObject(entry, "bytes", (double)info->bytes);
    cJSON_AddBoolToObject(entry, "complete", info->complete);
    if (info->uploaded[0])
        cJSON_AddStringToObject(entry, "uploaded", info->uploaded);
    else
        cJSON_AddNullToObject(entry, "uploaded");
    if (info->host[0])
        cJSON_AddStringToObject(entry, "host", info->host);
    else
        cJSON_AddNullToObject(entry, "host");
    text = cJSON_PrintUnformatted(entry);
    if (text)
        printf("%s%s\n", first ? "" : ",", text);
    free(text);
    cJSON_Delete(entry);
}

/* The widest name and host (escaped as shown), for the table's columns. */
static void widths(const struct mc_s3_cache_info *caches, size_t count, int *name_width,
                   int *host_width)
{
    char shown[MC_S3_PUSHER_MAX * 4 + 1];
    size_t i;

    *name_width = (int)strlen("NAME");
    *host_width = (int)strlen("HOST");
    for (i = 0; i < count; i++) {
        mc_shown(caches[i].host, shown, sizeof(shown));
        if ((int)strlen(caches[i].id) > *name_width)
            *name_width = (int)strlen(caches[i].id);
        if ((int)strlen(shown) > *host_width)
            *host_width = (int)strlen(shown);
    }
}

static void print_table(const struct mc_s3_cache_info *caches, size_t count)
{
    char shown[MC_S3_PUSHER_MAX * 4 + 1];
    char size[16];
    int name_width, host_width;
    size_t i;

    widths(caches, count, &name_width, &host_width);
    printf("%-*s  %-20s  %-*s  %7s  %7s  %s\n", name_width, "NAME", "UPLOADED", host_width,
           "HOST", "OBJECTS", "SIZE", "COMPLETE");
    for (i = 0; i < count; i++) {
        const struct mc_s3_cache_info *info = &caches[i];

        human(info->bytes, size, sizeof(size));
        mc_shown(info->host, shown, sizeof(shown));
        printf("%-*s  %-20s  %-*s  %7lld  %7s  %s\n", name_width, info->id,
               info->uploaded[0] ? info->uploaded : "-", host_width, shown[0] ? shown : "-",
               info->objects, size, info->complete ? "yes" : "no (no meta.json)");
    }
}

/* Collected whole before the first line: sorted newest first, hosts read. */
static int cmd_ls(const char *url, int json)
{
    struct session s;
    struct mc_err err;
    struct mc_s3_cache_info *caches = NULL;
    size_t count = 0;
    size_t i;
    int rc = open_session(&s, "s3", url, 0, "ls");

    if (rc != 0)
        return rc;
    s.progress.on = 0;
    rc = mc_s3_caches_newest_first(s.client, &s.loc, &caches, &count, &err);
    if (rc == 0 && json) {
        printf("[\n");
        for (i = 0; i < count; i++)
            print_cache_json(&caches[i], i == 0);
        printf("]\n");
    } else if (rc == 0) {
        print_table(caches, count);
    }
    free(caches);
    return finish(&s, rc, &err);
}

/* Settings and credentials are there (nothing is sent): the watcher asks
 * before a tree with MONOCACHE_S3 starts, so that a missing key is one line
 * and status 125 then, not a failed upload at the end. */
/* Settings, credentials, and one listing of the prefix (one try, one
 * retry): a bucket that does not exist, or credentials S3 refuses, stop a
 * tree before it starts; a server that does not answer only warns (the
 * release retries, and keeps the cache if it must). */
static int cmd_check(const char *url)
{
    struct session s;
    struct mc_s3_op *op;
    struct mc_err err;
    char *prefix;
    int rc = open_session(&s, "MONOCACHE_S3", url, 0, "check");

    if (rc != 0)
        return rc;
    /* Two tries, and no longer than MONOCACHE_S3_TIMEOUT_S in all: a server
     * that does not answer lets the program run. */
    s.settings.attempts = 2;
    s.settings.deadline_ms = now_ms() + (long long)s.settings.timeout_s * 1000;
    prefix = *s.loc.prefix ? mc_concat(s.loc.prefix, "/", NULL) : strdup("");
    op = prefix ? mc_s3_op_new("GET", "", NULL, NULL) : NULL;
    if (!op || mc_s3_op_query(op, "list-type", "2") != 0 ||
        mc_s3_op_query(op, "prefix", prefix) != 0 || mc_s3_op_query(op, "max-keys", "1") != 0) {
        mc_log_always(MC_LOG_ERROR, "out of memory");
        rc = MC_S3_EXIT_FAILED;
    } else if (mc_s3_run_one(s.client, op, &err) != 0) {
        long status = mc_s3_op_status(op);

        if (status >= 400 && status < 500 && status != 408 && status != 429) {
            mc_log_always(MC_LOG_ERROR, "%s", err.msg);
            rc = MC_S3_EXIT_SETTINGS;
        } else {
            mc_log_always(MC_LOG_WARN, "%s: not reachable now (%s); the program runs, and its "
                          "cache is kept here if the upload at its end fails", url, err.msg);
        }
    }
    mc_s3_op_free(op);
    free(prefix);
    close_session(&s);
    return rc;
}

/* pull URL CACHE_DIR [RUN_DIR] [--upload] [--restore-keys K1,K2,...] */
static int pull_args(int argc, char **argv)
{
    const char *run_dir = NULL;
    const char *restore_keys = NULL;
    int upload = 0;
    int i;

    for (i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--upload") == 0) {
            upload = 1;
        } else if (strcmp(argv[i], "--restore-keys") == 0 && i + 1 < argc) {
            restore_keys = argv[++i];
        } else if (argv[i][0] != '-' && !run_dir && i == 4) {
            run_dir = argv[i];
        } else {
            fputs(usage, stderr);
            return MC_S3_EXIT_USAGE;
        }
    }
    return cmd_pull(argv[2], argv[3], run_dir, upload, restore_keys);
}

int main(int argc, char **argv)
{
    /* No core dump, no ptrace by other processes of the user: AWS secrets
     * live in this memory. */
    prctl(PR_SET_DUMPABLE, 0);
    mc_log_setup(MC_LOG_ERROR, NULL, &(struct mc_err){ 0, "" });
    if (argc == 4 && strcmp(argv[1], "push") == 0)
        return cmd_push(argv[2], argv[3]);
    if (argc >= 4 && strcmp(argv[1], "pull") == 0)
        return pull_args(argc, argv);
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "ls") == 0 &&
        (argc == 3 || strcmp(argv[3], "--json") == 0))
        return cmd_ls(argv[2], argc == 4);
    if (argc == 3 && strcmp(argv[1], "rm") == 0)
        return cmd_rm(argv[2]);
    if (argc == 3 && strcmp(argv[1], "check") == 0)
        return cmd_check(argv[2]);
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage, stdout);
        return 0;
    }
    fputs(usage, stderr);
    return MC_S3_EXIT_USAGE;
}
