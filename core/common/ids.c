/* ids.c — generating cache ids (see ids.h): 16 random bytes from the kernel,
 * marked version 4 and variant 1 as RFC 4122 says, written as lower-case
 * text. (libuuid does the same; loading it cost every watcher's start.) */
#include "ids.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define MC_UUID_BYTES 16

/* The kernel's random bytes: getrandom, else /dev/urandom. 0 or -1. */
static int random_bytes(unsigned char *out, size_t size)
{
    size_t got = 0;
    ssize_t rc;
    int fd;

    while (got < size) {
        rc = getrandom(out + got, size - got, 0);
        if (rc > 0)
            got += (size_t)rc;
        else if (rc < 0 && errno != EINTR)
            break;
    }
    if (got == size)
        return 0;
    fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    got = 0;
    while (got < size && (rc = read(fd, out + got, size - got)) > 0)
        got += (size_t)rc;
    close(fd);
    return got == size ? 0 : -1;
}

void mc_id_new(char *out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char bytes[MC_UUID_BYTES] = { 0 };
    size_t i;
    char *p = out;

    if (random_bytes(bytes, sizeof(bytes)) != 0) {
        /* No randomness from the kernel at all: time and pid, still unique
         * on this host (a cache's name is no secret). */
        unsigned long long mix[2] = { (unsigned long long)time(NULL),
                                      (unsigned long long)getpid() };

        memcpy(bytes, mix, sizeof(bytes));
    }
    bytes[6] = (unsigned char)((bytes[6] & 0x0f) | 0x40);      /* version 4 */
    bytes[8] = (unsigned char)((bytes[8] & 0x3f) | 0x80);      /* variant 1 */
    for (i = 0; i < sizeof(bytes); i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[bytes[i] >> 4];
        *p++ = hex[bytes[i] & 0x0f];
    }
    *p = '\0';
}
