/* spawnloop.c — starts a program N times, one after the other, and prints
 * the elapsed seconds: the driver of make bench's start-up measurements. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct timespec start;
    struct timespec end;
    long count;
    long i;

    if (argc < 3) {
        fprintf(stderr, "usage: spawnloop COUNT PROGRAM [ARGS...]\n");
        return 2;
    }
    count = atol(argv[1]);
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (i = 0; i < count; i++) {
        int status;
        pid_t pid = fork();

        if (pid == 0) {
            execv(argv[2], argv + 2);
            _exit(127);
        }
        if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0) {
            fprintf(stderr, "spawnloop: %s failed\n", argv[2]);
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    printf("%.6f\n", (double)(end.tv_sec - start.tv_sec) +
                         (double)(end.tv_nsec - start.tv_nsec) / 1e9);
    return 0;
}
