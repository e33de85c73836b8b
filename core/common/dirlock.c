/* dirlock.c — bounded flock() on a cache directory (see dirlock.h). */
#include "dirlock.h"

#include <errno.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#define MC_DIR_LOCK_FIRST_PAUSE_MS 1
#define MC_DIR_LOCK_LONGEST_PAUSE_MS 25

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pause_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

    nanosleep(&ts, NULL);
}

int mc_dir_lock(int dir_fd, int operation, int wait_ms)
{
    long long deadline = now_ms() + wait_ms;
    int pause = MC_DIR_LOCK_FIRST_PAUSE_MS;

    for (;;) {
        if (flock(dir_fd, operation | LOCK_NB) == 0)
            return 0;
        if (errno == EINTR)
            continue;
        if (errno != EWOULDBLOCK || now_ms() >= deadline)
            return -1;
        pause_ms(pause);
        pause *= 2;
        if (pause > MC_DIR_LOCK_LONGEST_PAUSE_MS)
            pause = MC_DIR_LOCK_LONGEST_PAUSE_MS;
    }
}

void mc_dir_unlock(int dir_fd)
{
    flock(dir_fd, LOCK_UN);
}

int mc_dir_in_place(int dir_fd, const char *path)
{
    struct stat by_path;
    struct stat by_fd;

    return lstat(path, &by_path) == 0 && fstat(dir_fd, &by_fd) == 0 &&
           S_ISDIR(by_path.st_mode) && by_path.st_dev == by_fd.st_dev &&
           by_path.st_ino == by_fd.st_ino;
}
