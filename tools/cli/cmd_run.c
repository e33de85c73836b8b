/* cmd_run.c — `monocache run -- PROGRAM ARGS...`: run a program with a cache
 * without typing LD_PRELOAD.
 *
 * Like the shim's first process, run asks a watcher for a cache and holds it;
 * it adds libmonocache.so to LD_PRELOAD (keeping what is there), starts the
 * program with the holder descriptor, passes on the signals it is sent, and
 * when the program ends lets go of its hold — waiting for the release if the
 * tree is gone — and exits as the program did. Inside a tree that already
 * has a cache (a nested run), it simply execs the program, one more holder. */
#include "cli.h"
#include "opts.h"
#include "shared/tool.h"
#include "host/answer.h"
#include "host/ask.h"
#include "common/buf.h"
#include "host/hold.h"
#include "host/install.h"
#include "host/launch.h"
#include "host/lockfile.h"
#include "common/log.h"
#include "common/jsontext.h"
#include "common/meta.h"
#include "host/proto.h"
#include "redis/redisconf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PRELOAD_ASSIGNMENT "LD_PRELOAD="
#define MC_INIT_PID 1
#define MC_RUN_REAP_WAIT_MS 1000

struct run_options {
    char *redis_copy;   /* the last --redis, before it was starred in argv */
    const char *root;
    const char *existing;
    const char *exports;
    const char *redis;  /* --redis URL */
    const char *s3;     /* --s3 s3://bucket/prefix */
    int lock;
    int new_cache;
    int init;           /* reap orphans, pass signals on (always as pid 1) */
    cJSON *meta;
    char **program;
};

static const int forwarded_signals[] = {
    SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH,
};

static volatile pid_t program_pid;
/* SIGCHLD as run found it: the program gets it back. */
static struct sigaction inherited_sigchld;

#define MC_RUN_HELP 1

#define run_usage(...) cli_bad_usage("run", cli_usage_run, -1, __VA_ARGS__)

/* --meta KEY=VALUE, checked as monocache meta checks it; 0, or -1 (printed). */
static int add_meta(const char *option, const char *pair, void *ctx)
{
    struct run_options *options = ctx;
    const char *equals = strchr(pair, '=');
    const char *why;
    char *key;
    cJSON *value;

    if (!equals || equals == pair)
        return run_usage("%s %s: expected KEY=VALUE", option, pair);
    key = strndup(pair, (size_t)(equals - pair));
    value = mc_meta_value_from_text(equals + 1);
    if (!options->meta)
        options->meta = cJSON_CreateObject();
    if (!key || !value || !options->meta) {
        free(key);
        cJSON_Delete(value);
        return run_usage("%s %s: out of memory", option, pair);
    }
    if (mc_meta_key_check(key, value, &why) != 0) {
        run_usage("%s %s: %s", option, pair, why);
        free(key);
        cJSON_Delete(value);
        return -1;
    }
    mc_meta_set_key(options->meta, key, value);
    free(key);
    return 0;
}

/* --redis URL: a copy of the one that counts (the last), for the watcher's
 * environment; in our own argv (seen by ps in /proc/<pid>/cmdline) every
 * --redis value is starred. Prefer MONOCACHE_REDIS_PASSWORD: until this
 * runs, the argv shows it. */
static int take_redis(const char *option, const char *url, void *ctx)
{
    struct run_options *options = ctx;

    free(options->redis_copy);
    options->redis_copy = strdup(url);
    mc_redis_star((char *)url);
    if (!options->redis_copy)
        return run_usage("%s: out of memory", option);
    options->redis = options->redis_copy;
    return 0;
}

/* 0, MC_RUN_HELP (usage printed on stdout), or -1 (reported). */
static int parse_options(int argc, char **argv, struct run_options *options)
{
    const struct cli_opt opts[] = {
        { "--root", 0, NULL, &options->root, NULL },
        { "--existing", 0, NULL, &options->existing, NULL },
        { "--export", 0, NULL, &options->exports, NULL },
        { "--redis", 0, NULL, NULL, take_redis },
        { "--s3", 0, NULL, &options->s3, NULL },
        { "--meta", 0, NULL, NULL, add_meta },
        { "--lock", 0, &options->lock, NULL, NULL },
        { "--new", 0, &options->new_cache, NULL, NULL },
        { "--init", 0, &options->init, NULL, NULL },
        { NULL, 0, NULL, NULL, NULL },
    };
    const struct cli_parse parse = { "run", cli_usage_run, opts, options, 1 };
    struct mc_err err;
    char **names = NULL;
    size_t count = 0;
    int rest;
    int rc;

    rc = cli_parse(&parse, argc, argv, &rest);
    if (rc == CLI_HELP_SHOWN)
        return MC_RUN_HELP;
    if (rc != CLI_PARSED)
        return -1;
    if (rest == 0)
        return run_usage("no program given");
    if (options->new_cache && options->existing)
        return run_usage("--new and --existing do not go together");
    if (options->exports && mc_parse_exports("--export ", options->exports, &names, &count,
                                             &err) != 0)
        return run_usage("%s", err.msg);
    mc_free_names(names, count);
    options->program = argv + 1;
    return 0;
}

static int env_flag(const char *name)
{
    struct mc_err err;
    int flag = 0;

    /* A bad value is reported by the watcher, which run then asks. */
    if (mc_parse_flag(name, getenv(name), &flag, &err) != 0)
        return 1;
    return flag;
}

/* The descriptor holding the cache of the tree this process belongs to, or
 * -1 (not in a live tree). */
static int tree_hold_fd(void)
{
    const char *text = getenv(MC_ENV_HOLD);
    struct mc_hold hold;
    struct stat st;

    if (!text || mc_hold_parse(text, &hold) != 0)
        return -1;
    if (fstat(hold.fd, &st) != 0 || (unsigned long long)st.st_dev != hold.dev ||
        (unsigned long long)st.st_ino != hold.ino)
        return -1;
    return hold.fd;
}

/* LD_PRELOAD with our library added, unless it is there already. */
static int compose_preload(const char *lib)
{
    const char *current = getenv("LD_PRELOAD");
    char *combined;
    int rc;

    if (current && *current) {
        size_t lib_len = strlen(lib);
        const char *p = current;

        while ((p = strstr(p, lib)) != NULL) {
            int starts = p == current || p[-1] == ':' || p[-1] == ' ';
            int ends = p[lib_len] == '\0' || p[lib_len] == ':' || p[lib_len] == ' ';

            if (starts && ends)
                return 0;
            p += lib_len;
        }
        combined = mc_concat(current, ":", lib, NULL);
    } else {
        combined = strdup(lib);
    }
    if (!combined)
        return -1;
    rc = setenv("LD_PRELOAD", combined, 1);
    free(combined);
    return rc;
}

static int set_or_unset(const char *name, const char *value)
{
    return value ? setenv(name, value, 1) : 0;
}

/* --export adds to MONOCACHE_EXPORT, as --meta adds to MONOCACHE_META. */
static int add_exports(const char *exports)
{
    const char *current = getenv(MC_ENV_EXPORT);
    char *joined;
    int rc;

    if (!exports)
        return 0;
    joined = current && *current ? mc_concat(current, ",", exports, NULL) : strdup(exports);
    rc = joined ? setenv(MC_ENV_EXPORT, joined, 1) : -1;
    free(joined);
    return rc;
}

/* MONOCACHE_META with the --meta keys over it (a MONOCACHE_META that is not
 * a JSON object is left for the watcher to report): malloc'd text. */
static char *merged_meta(const cJSON *options_meta)
{
    const char *current = getenv(MC_ENV_META);
    cJSON *merged = current ? mc_json_parse(current, strlen(current)) : NULL;
    const cJSON *item;
    char *text;

    if (!cJSON_IsObject(merged)) {
        cJSON_Delete(merged);
        if (current && *current)
            return strdup(current);
        merged = cJSON_CreateObject();
    }
    cJSON_ArrayForEach(item, options_meta)
        mc_meta_set_key(merged, item->string, cJSON_Duplicate(item, 1));
    text = merged ? cJSON_PrintUnformatted(merged) : NULL;
    cJSON_Delete(merged);
    return text;
}

/* The watcher reads its orders from the environment; run's options become
 * variables for it only. */
static char **watcher_env(const struct run_options *options)
{
    char *meta_text = NULL;
    char **env = NULL;
    size_t count = 0;
    size_t i;
    int rc = 0;

    rc |= set_or_unset(MC_ENV_ROOT, options->root);
    rc |= set_or_unset(MC_ENV_EXISTING, options->existing);
    rc |= set_or_unset(MC_ENV_REDIS, options->redis);
    rc |= set_or_unset(MC_ENV_S3, options->s3);
    if (options->redis) {
        /* --redis replaces the whole Redis setting, not only the URL. */
        unsetenv(MC_ENV_REDIS_HOST);
        unsetenv(MC_ENV_REDIS_PORT);
    }
    rc |= add_exports(options->exports);
    if (options->lock)
        rc |= setenv(MC_ENV_LOCK, "1", 1);
    if (options->new_cache)
        rc |= setenv(MC_ENV_NEW, "1", 1);
    if (options->meta) {
        meta_text = merged_meta(options->meta);
        rc |= meta_text ? setenv(MC_ENV_META, meta_text, 1) : -1;
        free(meta_text);
    }
    if (rc != 0)
        return NULL;
    while (environ[count])
        count++;
    env = calloc(count + 1, sizeof(*env));
    if (!env)
        return NULL;
    for (i = 0, count = 0; environ[i]; i++) {
        if (strncmp(environ[i], PRELOAD_ASSIGNMENT, sizeof(PRELOAD_ASSIGNMENT) - 1) != 0)
            env[count++] = strdup(environ[i]);
    }
    /* What the program sees: only what the watcher's answer sets. */
    unsetenv(MC_ENV_LOCK);
    unsetenv(MC_ENV_META);
    if (options->new_cache)
        unsetenv(MC_ENV_NEW);
    return env;
}

static void free_env(char **env)
{
    size_t i;

    for (i = 0; env && env[i]; i++)
        free(env[i]);
    free(env);
}

/* Applies the answer to our own environment; returns the holder descriptor
 * placed out of the way, -2 for "run without a cache", -1 on error. */
static int apply_answer(char *text, size_t len, int received_fd, const char **lock_path_out)
{
    struct mc_hold hold;
    const char *why;

    switch (mc_answer_apply(text, len, received_fd, &hold, &why)) {
    case MC_ANSWER_REFUSED:
        return -1;
    case MC_ANSWER_DISABLED:
        return -2;
    case MC_ANSWER_BROKEN:
        mc_log_always(MC_LOG_ERROR, "%s", why);
        return -1;
    case MC_ANSWER_HELD:
        break;
    }
    *lock_path_out = hold.lock_path;
    return hold.fd;
}

static void forward(int sig, siginfo_t *info, void *context)
{
    pid_t pid = program_pid;

    (void)context;
    /* Terminal signals (si_code > 0) reached the program already. */
    if (pid > 0 && info->si_code <= 0)
        kill(pid, sig);
}

/* The dispositions run found, restored when it stops forwarding. */
static struct sigaction found_actions[sizeof(forwarded_signals) / sizeof(forwarded_signals[0])];

/* Passes the listed signals on to the program, except those run was started
 * ignoring (nohup, a background job): those stay ignored, for the program
 * too, as they would be without run. */
static void set_forwarding(int on)
{
    struct sigaction action;
    size_t i;

    memset(&action, 0, sizeof(action));
    action.sa_sigaction = forward;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&action.sa_mask);
    for (i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++) {
        if (!on) {
            sigaction(forwarded_signals[i], &found_actions[i], NULL);
            continue;
        }
        if (sigaction(forwarded_signals[i], NULL, &found_actions[i]) == 0 &&
            found_actions[i].sa_handler != SIG_IGN)
            sigaction(forwarded_signals[i], &action, NULL);
    }
}

/* 1 if run is the foreground job of its controlling terminal: then the
 * program shares its process group, so that terminal signals and job
 * control (Ctrl-C, Ctrl-Z) reach it directly. Anywhere else the program gets
 * a process group of its own: a signal sent to run's group (a supervisor,
 * `kill %job`) reaches the program once, through run, not twice. */
static int in_foreground(void)
{
    int tty = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);
    int foreground = tty >= 0 && tcgetpgrp(tty) == getpgrp();

    if (tty >= 0)
        close(tty);
    return foreground;
}

static int exec_status(int errnum)
{
    return errnum == ENOENT ? MC_EXIT_NOT_FOUND : MC_EXIT_CANNOT_EXEC;
}

/* Starts the program; 0 with program_pid set, or an exit status. */
static int start_program(char **program)
{
    int own_group = !in_foreground();
    sigset_t all;
    sigset_t old;
    int report[2];
    int errnum = 0;
    ssize_t got;
    pid_t pid;

    if (pipe2(report, O_CLOEXEC) != 0) {
        mc_log_always(MC_LOG_ERROR, "cannot start %s: pipe: %s", program[0], strerror(errno));
        return MC_EXIT_OWN_ERROR;
    }
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid = fork();
    if (pid == 0) {
        if (own_group)
            setpgid(0, 0);
        sigaction(SIGCHLD, &inherited_sigchld, NULL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        close(report[0]);
        execvp(program[0], program);
        errnum = errno;
        if (write(report[1], &errnum, sizeof(errnum)) < 0)
            _exit(MC_EXIT_CANNOT_EXEC);
        _exit(exec_status(errnum));
    }
    errnum = errno;
    if (pid > 0) {
        program_pid = pid;
        if (own_group)
            setpgid(pid, pid);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(report[1]);
    if (pid < 0) {
        close(report[0]);
        mc_log_always(MC_LOG_ERROR, "cannot start %s: fork: %s", program[0], strerror(errnum));
        return MC_EXIT_OWN_ERROR;
    }
    do {
        got = read(report[0], &errnum, sizeof(errnum));
    } while (got < 0 && errno == EINTR);
    close(report[0]);
    if (got == (ssize_t)sizeof(errnum)) {
        mc_log_always(MC_LOG_ERROR, "%s: %s", program[0], strerror(errnum));
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        program_pid = 0;
        return exec_status(errnum);
    }
    return 0;
}

/* The program's wait status. As an init (reap_all), every child that ends
 * meanwhile is reaped too: orphans the kernel gave us, our go-between. */
static int wait_program(int reap_all)
{
    int status;
    pid_t pid;

    for (;;) {
        pid = waitpid(reap_all ? -1 : program_pid, &status, reap_all ? __WALL : 0);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid < 0)
            return W_EXITCODE(MC_EXIT_OWN_ERROR, 0);
        if (pid == program_pid)
            break;
    }
    program_pid = 0;
    return status;
}

/* Reaps every child that has ended already. */
static void reap_ended(void)
{
    while (waitpid(-1, NULL, __WALL | WNOHANG) > 0)
        ;
}

/* Reaping orphans, as an init: always as pid 1 (in a container, where a pid
 * 1 that does not reap would collect zombies), or with --init as a child
 * subreaper. */
static int become_init(const struct run_options *options)
{
    if (getpid() == MC_INIT_PID)
        return 1;
    if (!options->init)
        return 0;
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
        mc_log_always(MC_LOG_WARN, "run --init: cannot become a child subreaper: %s",
                      strerror(errno));
        return 0;
    }
    return 1;
}

/* Ends this process the way the program ended. */
static int exit_like(int status)
{
    struct rlimit no_core = { 0, 0 };
    sigset_t one;
    int sig;

    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    sig = WTERMSIG(status);
    /* Die of the same signal, without a core file of our own. */
    setrlimit(RLIMIT_CORE, &no_core);
    signal(sig, SIG_DFL);
    sigemptyset(&one);
    sigaddset(&one, sig);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
    raise(sig);
    return 128 + sig;
}

/* run --redis inside a tree: the tree's watcher counts its cache already,
 * in the tree's Redis (or none); another one would be silently ignored. */
static int same_redis(const char *wanted, const char *tree_url)
{
    char *shown_wanted;
    char *shown_tree;

    if (tree_url && strcmp(wanted, tree_url) == 0)
        return 1;
    shown_wanted = mc_redis_redact(wanted);
    shown_tree = tree_url ? mc_redis_redact(tree_url) : NULL;
    mc_log_always(MC_LOG_ERROR, "run: --redis %s: this tree's cache is counted %s%s; add --new "
                  "for a cache counted there", shown_wanted ? shown_wanted : "?",
                  shown_tree ? "in " : "in no Redis register",
                  shown_tree ? shown_tree : "");
    free(shown_wanted);
    free(shown_tree);
    return 0;
}

/* run --s3 inside a tree: the tree's watcher uploads its cache to the
 * tree's S3 home (or nowhere); another one would be silently ignored. */
static int same_s3_home(const char *wanted, const char *tree_home)
{
    if (tree_home && strcmp(wanted, tree_home) == 0)
        return 1;
    mc_log_always(MC_LOG_ERROR, "run: --s3 %s: this tree's cache goes %s%s at its release; "
                  "add --new for a cache that goes there", wanted,
                  tree_home ? "to " : "to no S3", tree_home ? tree_home : "");
    return 0;
}

/* Options meant for a new cache, applied to the tree's: --lock and --meta
 * change its meta, --export sets the variables; a different --root is an
 * error (--new makes a cache there). */
static int apply_to_tree_cache(const struct run_options *options)
{
    const char *path = getenv(MC_ENV_PATH);
    const char *tree_root = getenv(MC_ENV_ROOT);
    struct mc_cache cache;
    struct mc_err err;
    char **names = NULL;
    size_t count = 0;
    char *wanted;
    size_t i;
    int rc = 0;

    if (!path)
        return -1;
    if (options->root) {
        wanted = realpath(options->root, NULL);
        rc = !wanted || !tree_root || strcmp(wanted, tree_root) != 0;
        free(wanted);
        if (rc) {
            mc_log_always(MC_LOG_ERROR, "run: --root %s: this tree's cache is under %s; add --new "
                          "for a cache there", options->root, tree_root ? tree_root : "?");
            return -1;
        }
    }
    if (options->redis && !same_redis(options->redis, getenv(MC_ENV_REDIS)))
        return -1;
    if (options->s3 && !same_s3_home(options->s3, getenv(MC_ENV_S3)))
        return -1;
    if (options->lock || options->meta) {
        if (cli_open_cache(path, NULL, &cache) != 0)
            return -1;
        rc = mc_cache_apply(&cache, options->lock, options->meta, &err);
        mc_cache_free(&cache);
        if (rc != 0) {
            mc_log_always(MC_LOG_ERROR, "%s", err.msg);
            return -1;
        }
    }
    if (mc_parse_exports("run: --export ", options->exports, &names, &count, &err) != 0) {
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
        return -1;
    }
    for (i = 0; i < count; i++) {
        rc |= setenv(names[i], path, 1);
        free(names[i]);
    }
    free(names);
    return rc;
}

static int run_nested(const struct run_options *options, const char *lib)
{
    char **program = options->program;

    if (apply_to_tree_cache(options) != 0)
        return MC_EXIT_OWN_ERROR;
    sigaction(SIGCHLD, &inherited_sigchld, NULL);
    if (compose_preload(lib) != 0) {
        mc_log_always(MC_LOG_ERROR, "cannot set LD_PRELOAD");
        return MC_EXIT_OWN_ERROR;
    }
    execvp(program[0], program);
    mc_log_always(MC_LOG_ERROR, "%s: %s", program[0], strerror(errno));
    return exec_status(errno);
}

/* The watcher: the monocache next to the library if there is one (as the
 * shim would pick it; the test suite puts a valgrind wrapper there), else
 * this very executable, from whose install the library was found. */
static char *watcher_path(const char *lib)
{
    static const char *const here[] = { "", NULL };
    static const char *const names[] = { "monocache", NULL };
    char *path = mc_find_installed(lib, here, names, X_OK, NULL);
    char *self;

    if (path)
        return path;
    self = realpath("/proc/self/exe", NULL);
    return self ? self : strdup("/proc/self/exe");
}

/* Our hold ends with the program: if the tree is gone, wait for the release. */
static void let_go(int hold_fd, const char *lock_path, pid_t go_between)
{
    struct stat held;

    if (hold_fd < 0)
        return;
    if (fstat(hold_fd, &held) != 0) {
        close(hold_fd);
        return;
    }
    if (mc_lock_let_go(hold_fd, (unsigned long long)held.st_dev, (unsigned long long)held.st_ino,
                       lock_path))
        mc_launch_reap(go_between, MC_RUN_REAP_WAIT_MS);
}

static int run_with_watcher(struct run_options *options, const char *lib)
{
    const char *lock_path = NULL;
    struct mc_asked asked;
    char *answer = malloc(MC_REPLY_MAX);
    char **env = watcher_env(options);
    int outer_fd = tree_hold_fd();
    pid_t go_between = -1;
    char *helper;
    int reap_all;
    int hold_fd;
    int status;
    long len;
    int rc;

    if (!answer || !env) {
        mc_log_always(MC_LOG_ERROR, "out of memory");
        free(answer);
        free_env(env);
        return MC_EXIT_OWN_ERROR;
    }
    helper = watcher_path(lib);
    len = helper ? mc_ask_watcher(helper, env, answer, MC_REPLY_MAX, &asked) : -1;
    if (!helper)
        snprintf(asked.why, sizeof(asked.why), "out of memory");
    free(helper);
    free_env(env);
    if (len < 0) {
        mc_log_always(MC_LOG_ERROR, "%s", asked.why);
        free(answer);
        return MC_EXIT_OWN_ERROR;
    }
    go_between = asked.go_between;
    hold_fd = apply_answer(answer, (size_t)len, asked.hold_fd, &lock_path);
    free(answer);
    if (hold_fd == -1)
        return MC_EXIT_OWN_ERROR;
    /* --new or --existing inside a tree: run belongs to that tree, the
     * program does not (it holds only its own cache). */
    if (outer_fd >= 0)
        fcntl(outer_fd, F_SETFD, FD_CLOEXEC);
    if (compose_preload(lib) != 0) {
        mc_log_always(MC_LOG_ERROR, "cannot set LD_PRELOAD");
        rc = MC_EXIT_OWN_ERROR;
        goto release;
    }
    reap_all = become_init(options);
    set_forwarding(1);
    rc = start_program(options->program);
    if (rc != 0)
        goto release;
    status = wait_program(reap_all);
    set_forwarding(0);
    let_go(hold_fd, lock_path, go_between);
    if (reap_all)
        reap_ended();
    return exit_like(status);
release:
    set_forwarding(0);
    let_go(hold_fd, lock_path, go_between);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    struct run_options options;
    struct sigaction dfl;
    char *lib;
    int rc;

    memset(&options, 0, sizeof(options));
    rc = parse_options(argc, argv, &options);
    if (rc != 0) {
        cJSON_Delete(options.meta);
        free(options.redis_copy);
        return rc == MC_RUN_HELP ? 0 : MC_EXIT_OWN_ERROR;
    }
    /* With SIGCHLD ignored (inherited) the kernel would reap the program
     * before we could read its status. */
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &dfl, &inherited_sigchld);
    lib = NULL;
    if (tool_setup_log(0) != 0) {
        rc = MC_EXIT_OWN_ERROR;
    } else if (!(lib = tool_find_library())) {
        mc_log_always(MC_LOG_ERROR, MC_LIB_NOT_FOUND);
        rc = MC_EXIT_OWN_ERROR;
    } else if (!options.new_cache && !options.existing && !env_flag(MC_ENV_NEW) &&
               !getenv(MC_ENV_EXISTING) && tree_hold_fd() >= 0) {
        rc = run_nested(&options, lib);
    } else {
        rc = run_with_watcher(&options, lib);
    }
    cJSON_Delete(options.meta);
    free(options.redis_copy);
    free(lib);
    return rc;
}
