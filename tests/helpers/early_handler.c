/* early_handler.c — a preloadable library that installs a SIGTERM handler
 * in its constructor, before libmonocache.so's runs: the "handler installed
 * before us" case of the tests. The handler prints and exits 42. */
#include <signal.h>
#include <unistd.h>

static void on_term(int sig)
{
    (void)sig;
    if (write(1, "early handler\n", 14) < 0)
        _exit(43);
    _exit(42);
}

__attribute__((constructor)) static void install(void)
{
    signal(SIGTERM, on_term);
}
