/* mktree.c — fills a directory with NDIRS subdirectories of NFILES small
 * files each (1 to 100 bytes, the same sizes every time), then prints the
 * wall-clock time (CLOCK_REALTIME, seconds) at which it finished. Used by
 * make bench (bench/sections/04-wipe.sh) to build the trees of the wipe
 * measurement; never deletes anything. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MKTREE_DIR_MODE 0755
#define MKTREE_FILE_MODE 0644
#define MKTREE_MAX_FILE_BYTES 100
#define MKTREE_NAME_MAX 32

static int fill_dir(int dir_fd, long dir_index, long nfiles, const char *content)
{
    char name[MKTREE_NAME_MAX];
    long i;

    for (i = 0; i < nfiles; i++) {
        size_t len = (size_t)((dir_index * 37 + i * 11) % MKTREE_MAX_FILE_BYTES) + 1;
        int fd;

        snprintf(name, sizeof(name), "f%05ld", i);
        fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, MKTREE_FILE_MODE);
        if (fd < 0) {
            fprintf(stderr, "mktree: %s: %s\n", name, strerror(errno));
            return -1;
        }
        if (write(fd, content, len) != (ssize_t)len) {
            fprintf(stderr, "mktree: %s: short write\n", name);
            close(fd);
            return -1;
        }
        close(fd);
    }
    return 0;
}

int main(int argc, char **argv)
{
    char content[MKTREE_MAX_FILE_BYTES];
    char name[MKTREE_NAME_MAX];
    struct timespec now;
    long ndirs;
    long nfiles;
    long d;
    int top_fd;

    if (argc != 4) {
        fprintf(stderr, "usage: mktree DIR NDIRS NFILES\n");
        return 2;
    }
    ndirs = atol(argv[2]);
    nfiles = atol(argv[3]);
    memset(content, 'x', sizeof(content));
    if (mkdir(argv[1], MKTREE_DIR_MODE) != 0 && errno != EEXIST) {
        fprintf(stderr, "mktree: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    top_fd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (top_fd < 0) {
        fprintf(stderr, "mktree: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    for (d = 0; d < ndirs; d++) {
        int dir_fd;
        int rc;

        snprintf(name, sizeof(name), "d%04ld", d);
        if (mkdirat(top_fd, name, MKTREE_DIR_MODE) != 0) {
            fprintf(stderr, "mktree: %s/%s: %s\n", argv[1], name, strerror(errno));
            return 1;
        }
        dir_fd = openat(top_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0) {
            fprintf(stderr, "mktree: %s/%s: %s\n", argv[1], name, strerror(errno));
            return 1;
        }
        rc = fill_dir(dir_fd, d, nfiles, content);
        close(dir_fd);
        if (rc != 0)
            return 1;
    }
    close(top_fd);
    clock_gettime(CLOCK_REALTIME, &now);
    printf("%ld.%06ld\n", (long)now.tv_sec, now.tv_nsec / 1000);
    return 0;
}
