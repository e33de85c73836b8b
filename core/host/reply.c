/* reply.c — writing, sending, receiving and reading the watcher's answer
 * (see reply.h): both ends of the protocol in one file. */
#include "reply.h"
#include "sys.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void mc_reply_text_init(struct mc_reply_text *text, char *data, size_t cap)
{
    text->data = data;
    text->len = 0;
    text->cap = cap;
    text->overflow = 0;
}

/* Appends bytes without their end; 0, or -1 (overflow set) if they do not fit. */
static int append(struct mc_reply_text *text, const char *bytes, size_t count)
{
    if (text->overflow || text->cap - text->len < count + 1) {
        text->overflow = 1;
        return -1;
    }
    memcpy(text->data + text->len, bytes, count);
    text->len += count;
    return 0;
}

/* Ends the record begun at `start` with its NUL; a record that did not fit
 * is taken back whole. */
static void end_record(struct mc_reply_text *text, size_t start)
{
    if (text->overflow)
        text->len = start;
    else
        text->data[text->len++] = '\0';
}

static void append_str(struct mc_reply_text *text, const char *part)
{
    append(text, part, strlen(part));
}

void mc_reply_add(struct mc_reply_text *text, const char *kind, const char *arg)
{
    size_t start = text->len;

    append_str(text, kind);
    if (arg) {
        append_str(text, " ");
        append_str(text, arg);
    }
    end_record(text, start);
}

void mc_reply_add_set(struct mc_reply_text *text, const char *name, const char *value)
{
    size_t start = text->len;

    append_str(text, "set ");
    append_str(text, name);
    append_str(text, "=");
    append_str(text, value);
    end_record(text, start);
}

static void append_number(struct mc_reply_text *text, unsigned long long value)
{
    char digits[24];
    int count = 0;
    char out[24];
    int i;

    do {
        digits[count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    for (i = 0; i < count; i++)
        out[i] = digits[count - 1 - i];
    append(text, out, (size_t)count);
}

void mc_reply_add_hold(struct mc_reply_text *text, unsigned long long dev,
                       unsigned long long ino, const char *lock_path)
{
    size_t start = text->len;

    append_str(text, "hold ");
    append_number(text, dev);
    append_str(text, ":");
    append_number(text, ino);
    append_str(text, ":");
    append_str(text, lock_path);
    end_record(text, start);
}

int mc_reply_send_busy(int sock)
{
    return mc_reply_send(sock, MC_REPLY_BUSY, sizeof(MC_REPLY_BUSY), -1);
}

int mc_reply_is_busy(const char *text, long len)
{
    return len == (long)sizeof(MC_REPLY_BUSY) && memcmp(text, MC_REPLY_BUSY, sizeof(MC_REPLY_BUSY)) == 0;
}

int mc_reply_send(int sock, const char *text, size_t len, int fd)
{
    union {
        struct cmsghdr header;
        char space[CMSG_SPACE(sizeof(int))];
    } control;
    struct iovec iov = { (void *)text, len };
    struct msghdr msg = { 0 };
    struct cmsghdr *cmsg;
    ssize_t sent;

    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (fd >= 0) {
        memset(&control, 0, sizeof(control));
        msg.msg_control = control.space;
        msg.msg_controllen = sizeof(control.space);
        cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
    }
    do {
        sent = sendmsg(sock, &msg, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    return sent == (ssize_t)len ? 0 : -1;
}

long mc_reply_recv(int sock, char *buf, size_t size, int *fd, int timeout_ms)
{
    union {
        struct cmsghdr header;
        char space[CMSG_SPACE(sizeof(int))];
    } control;
    struct pollfd ready = { sock, POLLIN, 0 };
    struct iovec iov = { buf, size - 1 };
    struct msghdr msg = { 0 };
    struct cmsghdr *cmsg;
    ssize_t got;
    int rc;

    *fd = -1;
    if (size < 2) {
        errno = EINVAL;
        return -1;
    }
    do {
        rc = poll(&ready, 1, timeout_ms);
    } while (rc < 0 && errno == EINTR);
    if (rc == 0)
        errno = ETIMEDOUT;
    if (rc <= 0)
        return -1;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.space;
    msg.msg_controllen = sizeof(control.space);
    do {
        got = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (got < 0 && errno == EINTR);
    if (got < 0)
        return -1;
    for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
        if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS &&
            cmsg->cmsg_len == CMSG_LEN(sizeof(int)))
            memcpy(fd, CMSG_DATA(cmsg), sizeof(int));
    }
    if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
        if (*fd >= 0)
            mc_sys_close(*fd);
        *fd = -1;
        errno = EMSGSIZE;
        return -1;
    }
    buf[got] = '\0';
    return (long)got;
}

int mc_reply_wait_closed(int sock, int timeout_ms)
{
    struct pollfd ready = { sock, POLLIN, 0 };
    char byte;
    ssize_t got;
    int rc;

    for (;;) {
        do {
            rc = poll(&ready, 1, timeout_ms);
        } while (rc < 0 && errno == EINTR);
        if (rc == 0)
            errno = ETIMEDOUT;
        if (rc <= 0)
            return -1;
        do {
            got = recv(sock, &byte, sizeof(byte), MSG_DONTWAIT);
        } while (got < 0 && errno == EINTR);
        if (got == 0)
            return 0;
        if (got < 0 && errno != EAGAIN)
            return -1;
    }
}

int mc_reply_next(char **cursor, const char *end, char **kind, char **arg)
{
    char *record = *cursor;
    char *space;
    size_t len;

    if (!record || record >= end)
        return -1;
    len = strnlen(record, (size_t)(end - record));
    if (record + len == end)
        return -1;      /* not NUL-ended: cut short */
    *cursor = record + len + 1;
    space = strchr(record, ' ');
    if (space) {
        *space = '\0';
        *arg = space + 1;
    } else {
        *arg = record + len;
    }
    *kind = record;
    return 0;
}

enum mc_reply_outcome mc_reply_apply(char *text, size_t len, const char **lock_path)
{
    const char *end = text + len;
    char *cursor = text;
    char *kind;
    char *arg;

    *lock_path = NULL;
    while (mc_reply_next(&cursor, end, &kind, &arg) == 0) {
        if (strcmp(kind, "error") == 0)
            return MC_REPLY_ERROR;
        if (strcmp(kind, "disabled") == 0)
            return MC_REPLY_DISABLED;
        if (strcmp(kind, "set") == 0) {
            char *equals = strchr(arg, '=');

            if (equals) {
                *equals = '\0';
                setenv(arg, equals + 1, 1);
            }
        } else if (strcmp(kind, "unset") == 0) {
            unsetenv(arg);
        } else if (strcmp(kind, "hold") == 0) {
            *lock_path = strchr(arg, '/');
        }
    }
    return *lock_path ? MC_REPLY_OK : MC_REPLY_BAD;
}
