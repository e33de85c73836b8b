/* conn.c — a Redis connection with whole-step deadlines (see conn.h). */
#include "conn.h"
#include "hiredis.h"
#include "common/setting.h"
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MC_REDIS_READ_CHUNK 16384

struct mc_redis_conn;

/* How bytes go to and come from the server: the socket, or TLS over it.
 * Each moves what it can now: bytes (> 0), 0 when the server closed the
 * connection, or -1 with errno (EAGAIN: poll for *events, then again). */
struct transport {
    ssize_t (*read)(struct mc_redis_conn *conn, char *buf, size_t len, short *events);
    ssize_t (*write)(struct mc_redis_conn *conn, const char *buf, size_t len, short *events);
};

struct mc_redis_conn {
    const struct mc_redis_config *rc;
    const struct mc_hiredis *lib;
    const struct transport *io;
    char *label;            /* not the configured server: which one, for messages */
    int fd;
    struct mc_tls *tls;
    redisReader *reader;
    int broken;
};

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void failed(struct mc_err *err, const struct mc_redis_conn *conn, enum mc_err_code code,
                   const char *what, const char *detail)
{
    mc_err_setc(err, code, "%s: %s%s%s%s%s", mc_setting(conn->rc->source, conn->rc->display),
                conn->label ? conn->label : "", conn->label ? ": " : "", what,
                detail ? ": " : "", detail ? detail : "");
}

static void too_slow(struct mc_err *err, const struct mc_redis_conn *conn, const char *step)
{
    char what[160];

    snprintf(what, sizeof(what), "%s: no answer within %d ms (" "MONOCACHE_REDIS_TIMEOUT_MS)",
             step, conn->rc->timeout_ms);
    failed(err, conn, MC_ERR_TIMEOUT, what, NULL);
}

/* Why the transport failed (errno set by it). */
static const char *io_why(const struct mc_redis_conn *conn)
{
    if (errno == EPROTO && conn->tls && mc_tls_why(conn->tls))
        return mc_tls_why(conn->tls);
    return strerror(errno);
}

static ssize_t plain_read(struct mc_redis_conn *conn, char *buf, size_t len, short *events)
{
    ssize_t got = read(conn->fd, buf, len);

    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        errno = EAGAIN;
        *events = POLLIN;
    }
    return got;
}

static ssize_t plain_write(struct mc_redis_conn *conn, const char *buf, size_t len,
                           short *events)
{
    ssize_t sent = send(conn->fd, buf, len, MSG_NOSIGNAL);

    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        errno = EAGAIN;
        *events = POLLOUT;
    }
    return sent;
}

static ssize_t tls_read(struct mc_redis_conn *conn, char *buf, size_t len, short *events)
{
    return mc_tls_read(conn->tls, buf, len, events);
}

static ssize_t tls_write(struct mc_redis_conn *conn, const char *buf, size_t len, short *events)
{
    return mc_tls_write(conn->tls, buf, len, events);
}

static const struct transport plain_transport = { plain_read, plain_write };
static const struct transport tls_transport = { tls_read, tls_write };

/* Waits for `events` on fd until the deadline: 1 ready, 0 too late, -1 error. */
static int wait_for(int fd, short events, long long deadline)
{
    struct pollfd ready = { fd, events, 0 };
    long long left;
    int rc;

    for (;;) {
        left = deadline - now_ms();
        if (left <= 0)
            return 0;
        rc = poll(&ready, 1, left > 0x7fffffff ? 0x7fffffff : (int)left);
        if (rc > 0)
            return 1;
        if (rc == 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

/* A connected non-blocking socket to addr, or -1 (errno; ETIMEDOUT). */
static int connect_to(int family, const struct sockaddr *addr, socklen_t len, long long deadline)
{
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int error = 0;
    socklen_t error_len = sizeof(error);
    int one = 1;
    int rc;

    if (fd < 0)
        return -1;
    if (connect(fd, addr, len) == 0)
        goto connected;
    if (errno != EINPROGRESS && errno != EAGAIN)
        goto fail;
    rc = wait_for(fd, POLLOUT, deadline);
    if (rc <= 0) {
        if (rc == 0)
            errno = ETIMEDOUT;
        goto fail;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_len) != 0)
        goto fail;
    if (error) {
        errno = error;
        goto fail;
    }
connected:
    if (family != AF_UNIX)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
fail:
    rc = errno;
    close(fd);
    errno = rc;
    return -1;
}

static int connect_unix(const char *path, long long deadline)
{
    struct sockaddr_un addr;

    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(addr.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);
    return connect_to(AF_UNIX, (struct sockaddr *)&addr, sizeof(addr), deadline);
}

/* Every address of host, in turn. -1 with errno, or *gai_error. */
static int connect_tcp(const char *host, int port, long long deadline, int *gai_error)
{
    struct addrinfo hints;
    struct addrinfo *found = NULL;
    struct addrinfo *ai;
    char service[8];
    int fd = -1;

    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_family = AF_UNSPEC;
    snprintf(service, sizeof(service), "%d", port);
    *gai_error = getaddrinfo(host, service, &hints, &found);
    if (*gai_error != 0)
        return -1;
    for (ai = found; ai && fd < 0; ai = ai->ai_next)
        fd = connect_to(ai->ai_family, ai->ai_addr, ai->ai_addrlen, deadline);
    freeaddrinfo(found);
    return fd;
}

/* After the transport said EAGAIN: waits for its events until the
 * deadline. 0 ready, or -1 with err (`step` too slow, or `what` failed). */
static int wait_io(struct mc_redis_conn *conn, short events, long long deadline, const char *step,
                   const char *what, struct mc_err *err)
{
    int ready = wait_for(conn->fd, events, deadline);

    if (ready > 0)
        return 0;
    if (ready == 0)
        too_slow(err, conn, step);
    else
        failed(err, conn, MC_ERR_FAILED, what, strerror(errno));
    return -1;
}

static int send_all(struct mc_redis_conn *conn, const char *data, size_t len, long long deadline,
                    struct mc_err *err)
{
    short events = POLLOUT;
    ssize_t sent;

    while (len > 0) {
        sent = conn->io->write(conn, data, len, &events);
        if (sent > 0) {
            data += sent;
            len -= (size_t)sent;
            continue;
        }
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent == 0 || errno != EAGAIN) {
            failed(err, conn, MC_ERR_FAILED, "cannot send",
                   sent == 0 ? "the server closed the connection" : io_why(conn));
            return -1;
        }
        if (wait_io(conn, events, deadline, "sending", "cannot send", err) != 0)
            return -1;
    }
    return 0;
}

static redisReply *read_reply(struct mc_redis_conn *conn, long long deadline, struct mc_err *err)
{
    char chunk[MC_REDIS_READ_CHUNK];
    void *reply = NULL;
    short events = POLLIN;
    ssize_t got;

    for (;;) {
        if (conn->lib->reader_get_reply(conn->reader, &reply) != REDIS_OK) {
            failed(err, conn, MC_ERR_FAILED, "not a Redis answer", conn->reader->errstr);
            return NULL;
        }
        if (reply)
            return reply;
        got = conn->io->read(conn, chunk, sizeof(chunk), &events);
        if (got > 0) {
            conn->lib->reader_feed(conn->reader, chunk, (size_t)got);
            continue;
        }
        if (got < 0 && errno == EINTR)
            continue;
        if (got == 0 || errno != EAGAIN) {
            failed(err, conn, MC_ERR_FAILED, "no answer",
                   got == 0 ? "the server closed the connection" : io_why(conn));
            return NULL;
        }
        if (wait_io(conn, events, deadline, "reading", "no answer", err) != 0)
            return NULL;
    }
}

static redisReply *command_until(struct mc_redis_conn *conn, int argc, const char **argv,
                                 long long deadline, struct mc_err *err)
{
    char *text = NULL;
    redisReply *reply;
    int len;

    if (conn->broken) {
        failed(err, conn, MC_ERR_FAILED, "no answer", "the connection broke");
        return NULL;
    }
    len = conn->lib->format_command_argv(&text, argc, argv, NULL);
    if (len < 0) {
        failed(err, conn, MC_ERR_FAILED, "out of memory", NULL);
        return NULL;
    }
    reply = send_all(conn, text, (size_t)len, deadline, err) == 0
                ? read_reply(conn, deadline, err) : NULL;
    free(text);
    if (!reply)
        conn->broken = 1;
    return reply;
}

redisReply *mc_redis_command(struct mc_redis_conn *conn, int argc, const char **argv,
                             struct mc_err *err)
{
    return command_until(conn, argc, argv, now_ms() + conn->rc->timeout_ms, err);
}

/* A command that must answer OK (AUTH, SELECT, ASKING): 0, or -1 with err
 * (MC_ERR_AUTH for a refused password). */
static int expect_ok(struct mc_redis_conn *conn, int argc, const char **argv, const char *what,
                     long long deadline, struct mc_err *err)
{
    redisReply *reply = command_until(conn, argc, argv, deadline, err);
    int auth;

    if (!reply)
        return -1;
    if (reply->type == REDIS_REPLY_ERROR) {
        auth = strncmp(reply->str, "NOAUTH", 6) == 0 || strncmp(reply->str, "WRONGPASS", 9) == 0 ||
               strncmp(reply->str, "ERR invalid password", 20) == 0;
        mc_err_setc(err, auth ? MC_ERR_AUTH : MC_ERR_FAILED, "%s: %s%s%s: %s%s",
                    mc_setting(conn->rc->source, conn->rc->display),
                    conn->label ? conn->label : "", conn->label ? ": " : "", what, reply->str,
                    auth ? " (the password: in the URL, MONOCACHE_REDIS_PASSWORD or "
                           "REDISCLI_AUTH)" : "");
        mc_redis_free_reply(reply);
        return -1;
    }
    mc_redis_free_reply(reply);
    return 0;
}

int mc_redis_command_ok(struct mc_redis_conn *conn, int argc, const char **argv,
                        struct mc_err *err)
{
    return expect_ok(conn, argc, argv, argv[0], now_ms() + conn->rc->timeout_ms, err);
}

/* The TLS handshake, under the deadline: 0, or -1 with err. */
static int start_tls(struct mc_redis_conn *conn, const char *host, long long deadline,
                     struct mc_err *err)
{
    const struct mc_redis_config *rc = conn->rc;
    short events = POLLOUT;
    struct mc_err why;

    if (mc_tls_new(&rc->tls, conn->fd, rc->tls.sni ? rc->tls.sni : host, &conn->tls, &why) != 0) {
        failed(err, conn, MC_ERR_FAILED, why.msg, NULL);
        return -1;
    }
    conn->io = &tls_transport;
    while (mc_tls_handshake(conn->tls, &events) != 0) {
        if (errno != EAGAIN) {
            failed(err, conn, MC_ERR_FAILED, "TLS", io_why(conn));
            return -1;
        }
        if (wait_io(conn, events, deadline, "TLS handshake (does the server speak TLS on this "
                    "port?)", "TLS", err) != 0)
            return -1;
    }
    return 0;
}

/* AUTH (with the ACL user if there is one) and SELECT, as configured. */
static int set_up(struct mc_redis_conn *conn, long long deadline, struct mc_err *err)
{
    const struct mc_redis_config *rc = conn->rc;
    char db[16];

    if (rc->password) {
        const char *auth_user[] = { "AUTH", rc->user, rc->password };
        const char *auth[] = { "AUTH", rc->password };

        if ((rc->user ? expect_ok(conn, 3, auth_user, "authentication failed", deadline, err)
                      : expect_ok(conn, 2, auth, "authentication failed", deadline, err)) != 0)
            return -1;
    }
    if (rc->db) {
        const char *select[] = { "SELECT", db };

        snprintf(db, sizeof(db), "%d", rc->db);
        if (expect_ok(conn, 2, select, "cannot select the database", deadline, err) != 0)
            return -1;
    }
    return 0;
}

int mc_redis_connect(const struct mc_redis_config *rc, const struct mc_redis_addr *addr,
                     int flags, struct mc_redis_conn **out, struct mc_err *err)
{
    long long deadline = now_ms() + rc->timeout_ms;
    const struct mc_hiredis *lib = mc_hiredis(err);
    const char *host = addr ? addr->host : rc->host;
    struct mc_redis_conn *conn;
    int gai_error = 0;

    *out = NULL;
    if (!lib)
        return -1;
    conn = calloc(1, sizeof(*conn));
    if (!conn || !(conn->reader = lib->reader_create())) {
        free(conn);
        mc_err_set(err, "%s: out of memory", rc->source);
        return -1;
    }
    conn->lib = lib;
    conn->rc = rc;
    conn->io = &plain_transport;
    conn->label = addr && addr->label ? strdup(addr->label) : NULL;
    conn->fd = !addr && rc->socket_path
                   ? connect_unix(rc->socket_path, deadline)
                   : connect_tcp(host, addr ? addr->port : rc->port, deadline, &gai_error);
    if (conn->fd < 0) {
        if (gai_error)
            failed(err, conn, MC_ERR_FAILED, "cannot connect", gai_strerror(gai_error));
        else if (errno == ETIMEDOUT)
            too_slow(err, conn, "cannot connect");
        else
            failed(err, conn, MC_ERR_FAILED, "cannot connect", strerror(errno));
        mc_redis_close(conn);
        return -1;
    }
    if ((rc->tls.enabled && start_tls(conn, host, deadline, err) != 0) ||
        (!(flags & MC_CONN_BARE) && set_up(conn, deadline, err) != 0)) {
        mc_redis_close(conn);
        return -1;
    }
    *out = conn;
    return 0;
}

int mc_redis_broken(const struct mc_redis_conn *conn)
{
    return !conn || conn->broken;
}

void mc_redis_forsake(struct mc_redis_conn *conn)
{
    if (conn)
        conn->broken = 1;
}

void mc_redis_close(struct mc_redis_conn *conn)
{
    if (!conn)
        return;
    mc_tls_free(conn->tls);
    free(conn->label);
    if (conn->fd >= 0)
        close(conn->fd);
    if (conn->reader)
        conn->lib->reader_free(conn->reader);
    free(conn);
}
