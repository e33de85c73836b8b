/* probe.c — a test program that does, in order, what its arguments say, so
 * that shell tests can end a process every possible way and look at what it
 * saw. Not part of monocache; used only by tests/. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define SPAWN_MARK_FD 77

static int errno_at_start;

__attribute__((constructor(65535))) static void remember_errno(void)
{
    errno_at_start = errno;
}

static void touch_in_cache(const char *name)
{
    const char *dir = getenv("MONOCACHE_PATH");
    char path[4096];
    FILE *file;

    if (!dir) {
        fprintf(stderr, "probe: no MONOCACHE_PATH\n");
        exit(90);
    }
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    file = fopen(path, "w");
    if (!file) {
        perror(path);
        exit(91);
    }
    fprintf(file, "%ld\n", (long)getpid());
    fclose(file);
}

static void on_signal(int sig)
{
    char line[64];
    int len = snprintf(line, sizeof(line), "handled %d\n", sig);

    if (write(1, line, (size_t)len) < 0)
        _exit(93);
    _exit(42);
}

static void on_signal_info(int sig, siginfo_t *info, void *ctx)
{
    (void)info;
    (void)ctx;
    on_signal(sig);
}

static void *thread_exit(void *arg)
{
    exit((int)(long)arg);
}

static void *thread_read_stdin(void *arg)
{
    char line[64];

    (void)arg;
    while (fgets(line, sizeof(line), stdin))
        ;
    return NULL;
}

static volatile sig_atomic_t sigchld_count;
static volatile sig_atomic_t handled_count;

static void count_signal(int sig)
{
    (void)sig;
    handled_count++;
}

/* A blocking read interrupted by SIGALRM 100 ms in; a child writes 400 ms
 * in. Prints "read ok" (the read was restarted) or "read EINTR". */
static void interrupted_read(void)
{
    struct itimerval timer = { { 0, 0 }, { 0, 100000 } };
    pid_t writer;
    ssize_t got;
    int pipe_fds[2];
    char byte;

    if (pipe(pipe_fds) != 0)
        exit(97);
    writer = fork();
    if (writer == 0) {
        usleep(400000);
        if (write(pipe_fds[1], "x", 1) != 1)
            _exit(1);
        _exit(0);
    }
    setitimer(ITIMER_REAL, &timer, NULL);
    got = read(pipe_fds[0], &byte, 1);
    printf("read %s handled %d\n", got == 1 ? "ok" : errno == EINTR ? "EINTR" : "error",
           (int)handled_count);
    fflush(stdout);
    waitpid(writer, NULL, 0);
}

/* The environment without LD_PRELOAD: a child that is not preloaded shows
 * what it inherited, without re-joining its cache by path. */
static char **environ_without_preload(void)
{
    static char *kept[1024];
    size_t count = 0;
    char **env;

    for (env = environ; *env && count + 1 < sizeof(kept) / sizeof(kept[0]); env++) {
        if (strncmp(*env, "LD_PRELOAD=", 11) != 0)
            kept[count++] = *env;
    }
    kept[count] = NULL;
    return kept;
}

/* posix_spawn of `sh -c command`, not preloaded, with the file action
 * "close everything from 3" or "close the holder descriptor". Descriptor
 * 77 is open (not close-on-exec) for the child to look for. */
static void spawn_closing(const char *command, int close_from)
{
    char *child[] = { "/bin/sh", "-c", (char *)command, NULL };
    posix_spawn_file_actions_t actions;
    const char *hold = getenv("MONOCACHE_HOLD");
    pid_t pid;
    int status;
    int rc;

    if (dup2(STDERR_FILENO, SPAWN_MARK_FD) != SPAWN_MARK_FD)
        exit(96);
    posix_spawn_file_actions_init(&actions);
    if (close_from)
        rc = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    else
        rc = posix_spawn_file_actions_addclose(&actions, hold ? atoi(hold) : 1000);
    if (rc != 0 || posix_spawn(&pid, "/bin/sh", &actions, NULL, child,
                               environ_without_preload()) != 0 ||
        waitpid(pid, &status, 0) != pid)
        exit(96);
    posix_spawn_file_actions_destroy(&actions);
}

/* sigwait() for SIGTERM, not blocked, while a child sends it: glibc's
 * process dies of it (the default action applies on arrival). */
static void sigwait_unblocked_term(void)
{
    sigset_t set;
    int sig = 0;

    if (fork() == 0) {
        /* Not a holder: the parent's end must be the last. */
        syscall(SYS_close_range, 3U, ~0U, 0);
        usleep(200000);
        kill(getppid(), SIGTERM);
        _exit(0);
    }
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigwait(&set, &sig);
    printf("sigwait returned %d\n", sig);
    fflush(stdout);
}

/* An alternate signal stack of the historical minimum: too small for a
 * signal frame on CPUs with large vector registers. */
static void tiny_altstack(void)
{
    static char tiny[2048];
    stack_t stack = { tiny, 0, sizeof(tiny) };

    if (sigaltstack(&stack, NULL) != 0)
        exit(99);
}

/* n empty files in the cache: a cache an asynchronous wipe cannot empty in
 * the instant between a process's end and its parent's waitpid(). */
static void fill_cache(long n)
{
    char path[4096];
    long i;
    int fd;

    for (i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/f%ld", getenv("MONOCACHE_PATH"), i);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) {
            perror(path);
            exit(98);
        }
        close(fd);
    }
}

static void count_sigchld(int sig)
{
    (void)sig;
    sigchld_count++;
}

static void *thread_write(void *arg)
{
    char name[32];
    int i;

    for (i = 0; i < 20; i++) {
        snprintf(name, sizeof(name), "t%ld-%d", (long)arg, i);
        touch_in_cache(name);
    }
    return NULL;
}

static void list_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    struct dirent *entry;
    int self = dir ? dirfd(dir) : -1;

    while (dir && (entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] != '.' && atoi(entry->d_name) != self)
            printf("fd %s\n", entry->d_name);
    }
    if (dir)
        closedir(dir);
}

static void vfork_exit(void)
{
    pid_t pid = vfork();

    if (pid == 0)
        _exit(5);
    waitpid(pid, NULL, 0);
}

static void crash_bus(void)
{
    char path[] = "/tmp/probe-bus-XXXXXX";
    int fd = mkstemp(path);
    volatile char *map;

    unlink(path);
    map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    map[0] = 1;     /* beyond the end of an empty file: SIGBUS */
}

int main(int argc, char **argv)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *op = argv[i];
        const char *arg = i + 1 < argc ? argv[i + 1] : "0";

        if (strcmp(op, "write") == 0) {
            touch_in_cache(arg);
            i++;
        } else if (strcmp(op, "print-env") == 0) {
            printf("%s=%s\n", arg, getenv(arg) ? getenv(arg) : "");
            i++;
        } else if (strcmp(op, "errno") == 0) {
            printf("errno %d\n", errno_at_start);
            fflush(stdout);
        } else if (strcmp(op, "fds") == 0) {
            list_fds();
        } else if (strcmp(op, "sleep") == 0) {
            usleep((useconds_t)(atof(arg) * 1e6));
            i++;
        } else if (strcmp(op, "exit") == 0) {
            exit(atoi(arg));
        } else if (strcmp(op, "_exit") == 0) {
            _exit(atoi(arg));
        } else if (strcmp(op, "_Exit") == 0) {
            _Exit(atoi(arg));
        } else if (strcmp(op, "return") == 0) {
            return atoi(arg);
        } else if (strcmp(op, "raise") == 0) {
            raise(atoi(arg));
            i++;
        } else if (strcmp(op, "segv") == 0) {
            *(volatile int *)(long)atoi("0") = 1;
        } else if (strcmp(op, "fpe") == 0) {
            __asm__ volatile("xorl %%ecx, %%ecx\n\tmovl $1, %%eax\n\tcltd\n\tidivl %%ecx"
                             ::: "eax", "ecx", "edx");
        } else if (strcmp(op, "ill") == 0) {
            __builtin_trap();
        } else if (strcmp(op, "trap") == 0) {
            __asm__ volatile("int3");
        } else if (strcmp(op, "bus") == 0) {
            crash_bus();
        } else if (strcmp(op, "abort") == 0) {
            abort();
        } else if (strcmp(op, "sigaction") == 0 || strcmp(op, "signal") == 0) {
            int sig = atoi(arg);

            if (op[3] == 'a') {
                struct sigaction act;

                memset(&act, 0, sizeof(act));
                act.sa_sigaction = on_signal_info;
                act.sa_flags = SA_SIGINFO;
                sigaction(sig, &act, NULL);
            } else {
                signal(sig, on_signal);
            }
            i++;
        } else if (strcmp(op, "sigset") == 0) {
            /* Obsolete, and goes through glibc's internal sigaction. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
            sigset(atoi(arg), on_signal);
#pragma GCC diagnostic pop
            i++;
        } else if (strcmp(op, "stdin-thread") == 0) {
            /* A thread blocked reading stdin holds its stream lock. */
            pthread_t thread;

            pthread_create(&thread, NULL, thread_read_stdin, NULL);
            usleep(100000);
        } else if (strcmp(op, "count-sigchld") == 0) {
            signal(SIGCHLD, count_sigchld);
        } else if (strcmp(op, "sigchld-count") == 0) {
            printf("sigchld %d\n", (int)sigchld_count);
            fflush(stdout);
        } else if (strcmp(op, "title") == 0) {
            /* Write over the environment's strings, as setproctitle does. */
            extern char **environ;
            char **env;

            for (env = environ; *env; env++)
                memset(*env, 'x', strlen(*env));
        } else if (strcmp(op, "default") == 0) {
            signal(atoi(arg), SIG_DFL);
            i++;
        } else if (strcmp(op, "query") == 0) {
            struct sigaction old;

            sigaction(atoi(arg), NULL, &old);
            printf("handler %s\n", old.sa_handler == SIG_DFL ? "default"
                                   : old.sa_handler == SIG_IGN ? "ignore" : "other");
            fflush(stdout);
            i++;
        } else if (strcmp(op, "thread-exit") == 0) {
            pthread_t thread;

            pthread_create(&thread, NULL, thread_exit, (void *)(long)atoi(arg));
            pause();
        } else if (strcmp(op, "threads") == 0) {
            pthread_t threads[4];
            long t;

            for (t = 0; t < 4; t++)
                pthread_create(&threads[t], NULL, thread_write, (void *)t);
            for (t = 0; t < 4; t++)
                pthread_join(threads[t], NULL);
        } else if (strcmp(op, "fork-late") == 0) {
            /* A child that outlives us and writes into the cache later. */
            if (fork() == 0) {
                usleep((useconds_t)(atof(arg) * 1e6));
                touch_in_cache("late");
                exit(0);
            }
            i++;
        } else if (strcmp(op, "vfork") == 0) {
            vfork_exit();
        } else if (strcmp(op, "system") == 0) {
            if (system(arg) != 0)
                exit(94);
            i++;
        } else if (strcmp(op, "popen") == 0) {
            FILE *pipe = popen(arg, "r");
            char line[256];

            while (pipe && fgets(line, sizeof(line), pipe))
                fputs(line, stdout);
            if (!pipe || pclose(pipe) != 0)
                exit(95);
            i++;
        } else if (strcmp(op, "spawn") == 0) {
            char *child[] = { "/bin/sh", "-c", (char *)arg, NULL };
            pid_t pid;
            int status;

            if (posix_spawn(&pid, "/bin/sh", NULL, NULL, child, environ) != 0 ||
                waitpid(pid, &status, 0) != pid || status != 0)
                exit(96);
            i++;
        } else if (strcmp(op, "fill") == 0) {
            fill_cache(atol(arg));
            i++;
        } else if (strcmp(op, "signal-count") == 0) {
            signal(atoi(arg), count_signal);
            i++;
        } else if (strcmp(op, "siginterrupt") == 0) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
            siginterrupt(atoi(arg), 1);
#pragma GCC diagnostic pop
            i++;
        } else if (strcmp(op, "interrupted-read") == 0) {
            interrupted_read();
        } else if (strcmp(op, "spawn-closefrom") == 0 || strcmp(op, "spawn-close-hold") == 0) {
            spawn_closing(arg, op[11] == 'f');
            i++;
        } else if (strcmp(op, "count-term") == 0) {
            /* First use: count SIGTERMs (and say so in the cache); then print. */
            static int counting;

            if (!counting) {
                signal(SIGTERM, count_signal);
                touch_in_cache("counting");
                counting = 1;
            } else {
                printf("terms %d\n", (int)handled_count);
            }
        } else if (strcmp(op, "sigwait-term") == 0) {
            sigwait_unblocked_term();
        } else if (strcmp(op, "tiny-altstack") == 0) {
            tiny_altstack();
        } else if (strcmp(op, "close-loop") == 0) {
            /* Closes every descriptor one by one, as many daemons do. */
            int fd;

            for (fd = 3; fd < 1024; fd++)
                close(fd);
        } else if (strcmp(op, "close-all") == 0) {
            closefrom(3);
        } else if (strcmp(op, "raw-close-all") == 0) {
            /* Bypasses libc (and so monocache's wrappers), as a static
             * binary or a raw system call would. */
            syscall(SYS_close_range, 3U, ~0U, 0);
        } else if (strcmp(op, "exec") == 0) {
            execvp(argv[i + 1], argv + i + 1);
            perror(argv[i + 1]);
            return 127;
        } else if (strcmp(op, "buffered") == 0) {
            /* Leave buffered data in a file in the cache for exit() to flush. */
            char path[4096];
            FILE *file;

            snprintf(path, sizeof(path), "%s/buffered", getenv("MONOCACHE_PATH"));
            file = fopen(path, "w");
            fprintf(file, "data\n");
        } else {
            fprintf(stderr, "probe: unknown action %s\n", op);
            return 99;
        }
    }
    fflush(stdout);
    return 0;
}
