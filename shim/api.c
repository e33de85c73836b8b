/* api.c — the C API (include/monocache.h), inside the host program.
 *
 * Path and id come from this process's environment. Lock, unlock and meta
 * edits run `monocache` as a helper — the one place meta.json is written,
 * under its lock — so the shim never links a JSON library. */
#include "monocache.h"
#include "shim.h"
#include "proto.h"
#include "launch.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MC_API_OUTPUT_MAX 65536

struct output {
    char *data;
    size_t len;
    size_t cap;
    int overflow;       /* more than MC_API_OUTPUT_MAX bytes (or no memory) */
};

static void set_error(char *err, size_t err_size, const char *message)
{
    size_t len;

    if (!err || err_size == 0)
        return;
    len = strlen(message);
    while (len && (message[len - 1] == '\n' || message[len - 1] == ' '))
        len--;
    if (len >= err_size)
        len = err_size - 1;
    memcpy(err, message, len);
    err[len] = '\0';
}

static int has_cache(char *err, size_t err_size)
{
    if (mc_shim_hold_fd >= 0 && getenv(MC_ENV_PATH))
        return 1;
    set_error(err, err_size, "monocache: this process has no cache");
    return 0;
}

__attribute__((visibility("default"))) const char *monocache_path(void)
{
    return mc_shim_hold_fd >= 0 ? getenv(MC_ENV_PATH) : NULL;
}

__attribute__((visibility("default"))) const char *monocache_id(void)
{
    return mc_shim_hold_fd >= 0 ? getenv(MC_ENV_ID) : NULL;
}

/* Reads a pipe to its end, keeping at most MC_API_OUTPUT_MAX bytes. */
static void drain(int fd, struct output *out)
{
    char chunk[4096];
    ssize_t got;

    for (;;) {
        got = read(fd, chunk, sizeof(chunk));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        if (out->overflow)
            continue;   /* keep reading so that the tool can finish */
        if (out->len + (size_t)got + 1 > out->cap) {
            size_t cap = out->cap ? out->cap * 2 : sizeof(chunk) * 2;
            char *grown;

            while (cap < out->len + (size_t)got + 1)
                cap *= 2;
            grown = cap <= MC_API_OUTPUT_MAX ? realloc(out->data, cap) : NULL;
            if (!grown) {
                out->overflow = 1;
                continue;
            }
            out->data = grown;
            out->cap = cap;
        }
        memcpy(out->data + out->len, chunk, (size_t)got);
        out->len += (size_t)got;
        out->data[out->len] = '\0';
    }
}

/* Runs `monocache <args>`; its stdout goes to `out` (may be NULL), its stderr
 * to err. Returns 0 if it exited 0. */
static int run_tool(char *const args[], struct output *out, char *err, size_t err_size)
{
    const char *helper = mc_shim_helper_path();
    struct output errors = { NULL, 0, 0, 0 };
    struct output unused = { NULL, 0, 0, 0 };
    int out_pipe[2] = { -1, -1 };
    int err_pipe[2] = { -1, -1 };
    struct mc_launch launch;
    int fds[4];
    char **env;
    int status = -1;
    int rc = -1;

    if (!helper) {
        set_error(err, err_size, "monocache: cannot find the monocache executable");
        return -1;
    }
    env = mc_shim_helper_env();
    if (!env || mc_sys_pipe2(out_pipe, O_CLOEXEC) != 0 || mc_sys_pipe2(err_pipe, O_CLOEXEC) != 0) {
        set_error(err, err_size, "monocache: out of resources to run the monocache tool");
        goto out;
    }
    fds[0] = MC_LAUNCH_NONE;
    fds[1] = out_pipe[1];
    fds[2] = err_pipe[1];
    fds[3] = MC_LAUNCH_NONE;
    if (mc_launch(helper, args, env, fds, &launch) != 0) {
        set_error(err, err_size, "monocache: cannot run the monocache tool");
        goto out;
    }
    mc_sys_close(out_pipe[1]);
    mc_sys_close(err_pipe[1]);
    out_pipe[1] = err_pipe[1] = -1;
    drain(out_pipe[0], out ? out : &unused);
    drain(err_pipe[0], &errors);
    if (mc_launch_wait(&launch, &status) == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        rc = 0;
    else
        set_error(err, err_size, errors.data ? errors.data : "monocache: the monocache tool failed");
out:
    for (int i = 0; i < 2; i++) {
        if (out_pipe[i] >= 0)
            mc_sys_close(out_pipe[i]);
        if (err_pipe[i] >= 0)
            mc_sys_close(err_pipe[i]);
    }
    free(errors.data);
    free(unused.data);
    free(env);
    return rc;
}

static int lock_state(const char *command, char *err, size_t err_size)
{
    char *args[] = { "monocache", (char *)command, NULL, NULL };

    if (!has_cache(err, err_size))
        return -1;
    args[2] = getenv(MC_ENV_PATH);
    return run_tool(args, NULL, err, err_size);
}

__attribute__((visibility("default"))) int monocache_lock(char *err, size_t err_size)
{
    return lock_state("lock", err, err_size);
}

__attribute__((visibility("default"))) int monocache_unlock(char *err, size_t err_size)
{
    return lock_state("unlock", err, err_size);
}

__attribute__((visibility("default")))
int monocache_meta_get(const char *key, char *value, size_t value_size, char *err, size_t err_size)
{
    char *args[] = { "monocache", "meta", NULL, "--json", "--get", (char *)key, NULL };
    struct output out = { NULL, 0, 0, 0 };
    int rc;

    if (!has_cache(err, err_size))
        return -1;
    args[2] = getenv(MC_ENV_PATH);
    rc = run_tool(args, &out, err, err_size);
    if (rc == 0 && out.overflow) {
        set_error(err, err_size, "monocache: meta value larger than the API reads (64 KiB)");
        rc = -1;
    } else if (rc == 0) {
        while (out.len && out.data[out.len - 1] == '\n')
            out.data[--out.len] = '\0';
        if (!out.data || out.len + 1 > value_size) {
            set_error(err, err_size, "monocache: meta value does not fit the buffer");
            rc = -1;
        } else {
            memcpy(value, out.data, out.len + 1);
        }
    }
    free(out.data);
    return rc;
}

__attribute__((visibility("default")))
int monocache_meta_set(const char *key, const char *json_value, char *err, size_t err_size)
{
    char *args[] = { "monocache", "meta", NULL, "--json", "--", NULL, NULL };
    char *pair;
    int rc;

    if (!has_cache(err, err_size))
        return -1;
    if (!json_value) {
        set_error(err, err_size, "monocache: the value is NULL (give JSON text, e.g. \"null\")");
        return -1;
    }
    if (!key || !*key || strchr(key, '=')) {
        set_error(err, err_size, "monocache: meta key must be non-empty and without '='");
        return -1;
    }
    pair = malloc(strlen(key) + strlen(json_value) + 2);
    if (!pair) {
        set_error(err, err_size, "monocache: out of memory");
        return -1;
    }
    sprintf(pair, "%s=%s", key, json_value);
    args[2] = getenv(MC_ENV_PATH);
    args[5] = pair;
    rc = run_tool(args, NULL, err, err_size);
    free(pair);
    return rc;
}
