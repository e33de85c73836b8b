/* file.c — a whole small file into memory (see file.h). */
#include "file.h"
#include "buf.h"
#include "host/safeopen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#define MC_READ_CHUNK_BYTES 8192

/* Everything fd has, up to max_bytes. 0, or -1 with errno. */
static int read_all(int fd, struct mc_buf *text)
{
    char chunk[MC_READ_CHUNK_BYTES];
    ssize_t got;

    for (;;) {
        got = read(fd, chunk, sizeof(chunk));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return got < 0 ? -1 : 0;
        if (mc_buf_add(text, chunk, (size_t)got) != 0) {
            if (errno == E2BIG)
                errno = EFBIG;
            return -1;
        }
    }
}

int mc_read_file(int dir_fd, const char *name, size_t max_bytes, int flags, char **text,
                 size_t *len, struct mc_err *err)
{
    struct mc_buf buf;
    int fd = flags & MC_READ_FOLLOW ? mc_open_regular_followed(dir_fd, name, O_RDONLY, NULL)
                                    : mc_open_regular(dir_fd, name, O_RDONLY, NULL);
    int saved;
    int rc;

    *text = NULL;
    if (fd < 0) {
        saved = errno;
        mc_err_sys(err, saved, "%s", name);
        errno = saved;
        return -1;
    }
    mc_buf_init(&buf, max_bytes);
    rc = read_all(fd, &buf);
    saved = errno;
    close(fd);
    if (rc != 0) {
        mc_buf_free(&buf);
        mc_err_sys(err, saved, "%s", name);
        errno = saved;
        return -1;
    }
    if (len)
        *len = buf.len;
    *text = mc_buf_take(&buf);
    if (!*text) {
        mc_err_sys(err, ENOMEM, "%s", name);
        errno = ENOMEM;
        return -1;
    }
    return 0;
}
