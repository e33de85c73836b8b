/* killwait.c — release latency after SIGKILL, for make bench
 * (bench/sections/05-release.sh).
 *
 *   killwait LIB PATHFILE TIMEOUT_MS -- PROGRAM [ARGS...]
 *
 * Starts PROGRAM with LD_PRELOAD=LIB (only the child is preloaded), waits
 * until it has written its cache path (one line) to PATHFILE and the
 * directory exists, sends it SIGKILL, and polls every KILLWAIT_POLL_US until
 * the cache directory is gone and until the release is complete (the lock
 * file <root>/run/<id>.lock, removed after the wipe, is gone). Prints
 * "<ms until directory gone> <ms until lock file gone>", timed from the
 * return of kill(). Exit 1 if the cache never appeared or was not released
 * within TIMEOUT_MS. Never deletes anything itself. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KILLWAIT_POLL_US 1000
#define KILLWAIT_START_TIMEOUT_MS 10000
#define KILLWAIT_MS_PER_S 1000.0

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * KILLWAIT_MS_PER_S + (double)ts.tv_nsec / 1e6;
}

static void pause_poll(void)
{
    struct timespec ts = { 0, KILLWAIT_POLL_US * 1000L };

    nanosleep(&ts, NULL);
}

static int exists(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0;
}

/* Reads one complete line from pathfile into path; 0 when done. */
static int read_path(const char *pathfile, char *path, size_t size)
{
    FILE *file = fopen(pathfile, "r");
    size_t len;
    int rc = -1;

    if (!file)
        return -1;
    if (fgets(path, (int)size, file)) {
        len = strlen(path);
        if (len > 1 && path[len - 1] == '\n') {
            path[len - 1] = '\0';
            rc = 0;
        }
    }
    fclose(file);
    return rc;
}

/* <root>/cache/<id> -> <root>/run/<id>.lock */
static int lock_path_of(const char *cache_path, char *lock, size_t size)
{
    const char *slash = strrchr(cache_path, '/');
    size_t parent_len;
    const char *id;
    int len;

    if (!slash || slash == cache_path)
        return -1;
    id = slash + 1;
    parent_len = (size_t)(slash - cache_path);
    /* Drop the trailing "cache" component of the parent. */
    while (parent_len > 0 && cache_path[parent_len - 1] != '/')
        parent_len--;
    len = snprintf(lock, size, "%.*srun/%s.lock", (int)parent_len, cache_path, id);
    return len > 0 && (size_t)len < size ? 0 : -1;
}

static pid_t start(const char *lib, char **program)
{
    pid_t pid = fork();

    if (pid == 0) {
        setenv("LD_PRELOAD", lib, 1);
        execvp(program[0], program);
        fprintf(stderr, "killwait: %s: %s\n", program[0], strerror(errno));
        _exit(127);
    }
    return pid;
}

int main(int argc, char **argv)
{
    char path[PATH_MAX];
    char lock[PATH_MAX];
    double timeout_ms;
    double deadline;
    double killed;
    double dir_gone = -1;
    double lock_gone = -1;
    pid_t pid;

    if (argc < 6 || strcmp(argv[4], "--") != 0) {
        fprintf(stderr, "usage: killwait LIB PATHFILE TIMEOUT_MS -- PROGRAM [ARGS...]\n");
        return 2;
    }
    timeout_ms = atof(argv[3]);
    pid = start(argv[1], argv + 5);
    if (pid < 0) {
        perror("killwait: fork");
        return 1;
    }
    deadline = now_ms() + KILLWAIT_START_TIMEOUT_MS;
    while (read_path(argv[2], path, sizeof(path)) != 0 || !exists(path)) {
        if (now_ms() > deadline || waitpid(pid, NULL, WNOHANG) == pid) {
            fprintf(stderr, "killwait: the program never showed a cache in %s\n", argv[2]);
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            return 1;
        }
        pause_poll();
    }
    if (lock_path_of(path, lock, sizeof(lock)) != 0 || !exists(lock)) {
        fprintf(stderr, "killwait: %s: no lock file found beside it\n", path);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return 1;
    }
    kill(pid, SIGKILL);
    killed = now_ms();
    deadline = killed + timeout_ms;
    while ((dir_gone < 0 || lock_gone < 0) && now_ms() < deadline) {
        double t = now_ms();

        if (dir_gone < 0 && !exists(path))
            dir_gone = t - killed;
        if (lock_gone < 0 && !exists(lock))
            lock_gone = t - killed;
        if (dir_gone < 0 || lock_gone < 0)
            pause_poll();
    }
    waitpid(pid, NULL, 0);
    if (dir_gone < 0 || lock_gone < 0) {
        fprintf(stderr, "killwait: %s not released within %.0f ms\n", path, timeout_ms);
        return 1;
    }
    printf("%.3f %.3f\n", dir_gone, lock_gone);
    return 0;
}
