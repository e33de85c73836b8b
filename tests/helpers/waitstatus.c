/* waitstatus.c — runs a command and prints the wait status its parent saw:
 * "exit N" or "signal N core|nocore". Used by tests/ to check that a wrapped
 * program ends exactly as it would without monocache. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int status;
    pid_t pid;

    if (argc < 2) {
        fprintf(stderr, "usage: waitstatus COMMAND [ARGS...]\n");
        return 2;
    }
    pid = fork();
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        perror(argv[1]);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        perror("waitstatus");
        return 2;
    }
    if (WIFEXITED(status))
        printf("exit %d\n", WEXITSTATUS(status));
    else
        printf("signal %d %s\n", WTERMSIG(status), WCOREDUMP(status) ? "core" : "nocore");
    return 0;
}
