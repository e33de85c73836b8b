/* waitstatus.c — runs a command and prints the wait status its parent saw:
 * "exit N" or "signal N core|nocore". Used by tests/ to check that a wrapped
 * program ends exactly as it would without monocache.
 *
 * With --check-root DIR it also prints " left=N": the number of entries in
 * DIR/cache and DIR/run, counted right after waitpid() returns and before
 * anything else runs. That is the moment monocache promises the release is
 * done; a shell looking a few milliseconds later would let an asynchronous
 * release pass for a synchronous one. With --preload LIB only the command
 * gets LD_PRELOAD=LIB, so that it, not waitstatus, creates the cache. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PATH_TEXT_MAX 4096

/* Entries of dir other than . and .., and other than dot files if
 * skip_dot_files (the run directory's marker and sweep lock); a missing
 * directory counts 0. */
static int count_entries(const char *dir_path, int skip_dot_files)
{
    DIR *dir = opendir(dir_path);
    struct dirent *entry;
    int count = 0;

    if (!dir)
        return 0;
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0 &&
            !(skip_dot_files && entry->d_name[0] == '.'))
            count++;
    }
    closedir(dir);
    return count;
}

static int left_in_root(const char *root)
{
    char path[PATH_TEXT_MAX];
    int left;

    snprintf(path, sizeof(path), "%s/cache", root);
    left = count_entries(path, 0);
    snprintf(path, sizeof(path), "%s/run", root);
    return left + count_entries(path, 1);
}

int main(int argc, char **argv)
{
    const char *root = NULL;
    const char *preload = NULL;
    int status;
    int left = 0;
    pid_t pid;

    while (argc > 2 && (strcmp(argv[1], "--check-root") == 0 || strcmp(argv[1], "--preload") == 0)) {
        if (argv[1][2] == 'c')
            root = argv[2];
        else
            preload = argv[2];
        argv += 2;
        argc -= 2;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: waitstatus [--check-root DIR] [--preload LIB] COMMAND [ARGS...]\n");
        return 2;
    }
    pid = fork();
    if (pid == 0) {
        if (preload)
            setenv("LD_PRELOAD", preload, 1);
        execvp(argv[1], argv + 1);
        perror(argv[1]);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        perror("waitstatus");
        return 2;
    }
    if (root)
        left = left_in_root(root);
    if (WIFEXITED(status))
        printf("exit %d", WEXITSTATUS(status));
    else
        printf("signal %d %s", WTERMSIG(status), WCOREDUMP(status) ? "core" : "nocore");
    if (root)
        printf(" left=%d", left);
    printf("\n");
    return 0;
}
