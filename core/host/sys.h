/* sys.h — the few system calls of the exit path, made through syscall(2).
 *
 * Every libc function the shim calls for the first time costs a symbol
 * lookup in the dynamic loader (about a thousand instructions), in every
 * process. Going through syscall() makes the whole exit path cost one lookup
 * instead of six, and stays async-signal-safe. Inside the shim this also
 * bypasses our own close() wrapper, which refuses to close the hold. */
#ifndef MC_SYS_H
#define MC_SYS_H

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline int mc_sys_open(const char *path, int flags)
{
    return (int)syscall(SYS_openat, AT_FDCWD, path, flags, 0);
}

static inline int mc_sys_close(int fd)
{
    return (int)syscall(SYS_close, fd);
}

static inline int mc_sys_flock(int fd, int operation)
{
    return (int)syscall(SYS_flock, fd, operation);
}

static inline long mc_sys_pwrite(int fd, const void *data, size_t size, long offset)
{
    return syscall(SYS_pwrite64, fd, data, size, offset);
}

#endif
