/* tls.c — a TLS client over memory buffers, OpenSSL loaded on first use
 * (see tls.h). */
#include "tls.h"
#include "libload.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#ifndef MC_LIBSSL_SONAME
#define MC_LIBSSL_SONAME "libssl.so.3"
#endif
#define MC_TLS_CHUNK 16384
#define MC_TLS_WHY_MAX 256

/* The functions we use, as their headers declare them. */
static struct {
    typeof(TLS_client_method) *client_method;
    typeof(SSL_CTX_new) *ctx_new;
    typeof(SSL_CTX_free) *ctx_free;
    typeof(SSL_CTX_ctrl) *ctx_ctrl;
    typeof(SSL_CTX_set_verify) *ctx_set_verify;
    typeof(SSL_CTX_set_default_passwd_cb) *ctx_set_passwd_cb;
    typeof(SSL_CTX_load_verify_locations) *ctx_load_verify;
    typeof(SSL_CTX_set_default_verify_paths) *ctx_default_verify;
    typeof(SSL_CTX_use_certificate_chain_file) *ctx_use_chain;
    typeof(SSL_CTX_use_PrivateKey_file) *ctx_use_key;
    typeof(SSL_CTX_check_private_key) *ctx_check_key;
    typeof(SSL_new) *ssl_new;
    typeof(SSL_free) *ssl_free;
    typeof(SSL_set_bio) *set_bio;
    typeof(SSL_set_connect_state) *set_connect_state;
    typeof(SSL_ctrl) *ssl_ctrl;
    typeof(SSL_set1_host) *set1_host;
    typeof(SSL_do_handshake) *do_handshake;
    typeof(SSL_read) *read;
    typeof(SSL_write) *write;
    typeof(SSL_get_error) *get_error;
    typeof(SSL_get_verify_result) *verify_result;
    typeof(SSL_shutdown) *shutdown;
    typeof(BIO_new) *bio_new;
    typeof(BIO_s_mem) *bio_s_mem;
    typeof(BIO_read) *bio_read;
    typeof(BIO_write) *bio_write;
    typeof(BIO_free) *bio_free;
    typeof(ERR_get_error) *err_get;
    typeof(ERR_clear_error) *err_clear;
    typeof(ERR_reason_error_string) *err_reason;
    typeof(X509_verify_cert_error_string) *verify_string;
} ssl;
static char load_error[MC_TLS_WHY_MAX];
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void load(void)
{
    const struct mc_symbol symbols[] = {
        { (void **)&ssl.client_method, "TLS_client_method" },
        { (void **)&ssl.ctx_new, "SSL_CTX_new" },
        { (void **)&ssl.ctx_free, "SSL_CTX_free" },
        { (void **)&ssl.ctx_ctrl, "SSL_CTX_ctrl" },
        { (void **)&ssl.ctx_set_verify, "SSL_CTX_set_verify" },
        { (void **)&ssl.ctx_set_passwd_cb, "SSL_CTX_set_default_passwd_cb" },
        { (void **)&ssl.ctx_load_verify, "SSL_CTX_load_verify_locations" },
        { (void **)&ssl.ctx_default_verify, "SSL_CTX_set_default_verify_paths" },
        { (void **)&ssl.ctx_use_chain, "SSL_CTX_use_certificate_chain_file" },
        { (void **)&ssl.ctx_use_key, "SSL_CTX_use_PrivateKey_file" },
        { (void **)&ssl.ctx_check_key, "SSL_CTX_check_private_key" },
        { (void **)&ssl.ssl_new, "SSL_new" },
        { (void **)&ssl.ssl_free, "SSL_free" },
        { (void **)&ssl.set_bio, "SSL_set_bio" },
        { (void **)&ssl.set_connect_state, "SSL_set_connect_state" },
        { (void **)&ssl.ssl_ctrl, "SSL_ctrl" },
        { (void **)&ssl.set1_host, "SSL_set1_host" },
        { (void **)&ssl.do_handshake, "SSL_do_handshake" },
        { (void **)&ssl.read, "SSL_read" },
        { (void **)&ssl.write, "SSL_write" },
        { (void **)&ssl.get_error, "SSL_get_error" },
        { (void **)&ssl.verify_result, "SSL_get_verify_result" },
        { (void **)&ssl.shutdown, "SSL_shutdown" },
        { (void **)&ssl.bio_new, "BIO_new" },
        { (void **)&ssl.bio_s_mem, "BIO_s_mem" },
        { (void **)&ssl.bio_read, "BIO_read" },
        { (void **)&ssl.bio_write, "BIO_write" },
        { (void **)&ssl.bio_free, "BIO_free" },
        { (void **)&ssl.err_get, "ERR_get_error" },
        { (void **)&ssl.err_clear, "ERR_clear_error" },
        { (void **)&ssl.err_reason, "ERR_reason_error_string" },
        { (void **)&ssl.verify_string, "X509_verify_cert_error_string" },
    };

    mc_lib_load(MC_LIBSSL_SONAME, symbols, sizeof(symbols) / sizeof(symbols[0]), load_error,
                sizeof(load_error));
}

struct mc_tls {
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *in;                /* what came from the server, for OpenSSL to read */
    BIO *out;               /* what OpenSSL wrote, for the server */
    int fd;
    int ready;              /* the handshake is done */
    int without_cert;       /* no client certificate was given */
    char pending[MC_TLS_CHUNK];     /* taken from `out`, not sent yet */
    size_t pending_len;
    size_t pending_sent;
    char why[MC_TLS_WHY_MAX];
};

/* OpenSSL's latest reason, or what; then errno is EPROTO. */
static int failed(struct mc_tls *tls, const char *what)
{
    unsigned long code = ssl.err_get();
    const char *reason = code ? ssl.err_reason(code) : NULL;

    snprintf(tls->why, sizeof(tls->why), "%s%s%s", what, reason ? ": " : "", reason ? reason : "");
    ssl.err_clear();
    errno = EPROTO;
    return -1;
}

/* A key with a passphrase would make OpenSSL ask on the terminal: refused. */
static int no_passphrase(char *buf, int size, int rwflag, void *ctx)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)ctx;
    return 0;
}

/* The trusted CAs and the client's certificate: 0, or -1 with err naming
 * the variable whose file did not load. */
static int load_files(SSL_CTX *ctx, const struct mc_redis_tls *conf, struct mc_err *err)
{
    const char *what = NULL;
    const char *path = NULL;
    unsigned long code;

    if (conf->cacert) {
        if (ssl.ctx_load_verify(ctx, conf->cacert_is_dir ? NULL : conf->cacert,
                                conf->cacert_is_dir ? conf->cacert : NULL) != 1) {
            what = MC_ENV_REDIS_CACERT;
            path = conf->cacert;
        }
    } else if (ssl.ctx_default_verify(ctx) != 1) {
        what = "the system's CA store";
    }
    ssl.ctx_set_passwd_cb(ctx, no_passphrase);
    if (!what && conf->cert && ssl.ctx_use_chain(ctx, conf->cert) != 1) {
        what = MC_ENV_REDIS_CERT;
        path = conf->cert;
    }
    if (!what && conf->key && (ssl.ctx_use_key(ctx, conf->key, SSL_FILETYPE_PEM) != 1 ||
                               ssl.ctx_check_key(ctx) != 1)) {
        what = MC_ENV_REDIS_KEY;
        path = conf->key;
    }
    if (!what)
        return 0;
    code = ssl.err_get();
    mc_err_set(err, "%s%s%s: cannot load: %s", what, path ? "=" : "", path ? path : "",
               code ? ssl.err_reason(code) : "unknown error");
    ssl.err_clear();
    return -1;
}

static int flush(struct mc_tls *tls, short *events);

int mc_tls_new(const struct mc_redis_tls *conf, int fd, const char *name, struct mc_tls **out,
               struct mc_err *err)
{
    struct mc_tls *tls;

    *out = NULL;
    pthread_once(&load_once, load);
    if (!ssl.ctx_new) {
        mc_err_set(err, "cannot load " MC_LIBSSL_SONAME " for rediss:// (TLS): %s", load_error);
        return -1;
    }
    tls = calloc(1, sizeof(*tls));
    if (!tls) {
        mc_err_set(err, "TLS: out of memory");
        return -1;
    }
    tls->fd = fd;
    tls->without_cert = !conf->cert;
    tls->ctx = ssl.ctx_new(ssl.client_method());
    if (!tls->ctx || ssl.ctx_ctrl(tls->ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_2_VERSION,
                                  NULL) != 1) {
        mc_err_set(err, "TLS: cannot set up OpenSSL");
        goto fail;
    }
    ssl.ctx_set_verify(tls->ctx, SSL_VERIFY_PEER, NULL);
    if (load_files(tls->ctx, conf, err) != 0)
        goto fail;
    tls->ssl = ssl.ssl_new(tls->ctx);
    tls->in = ssl.bio_new(ssl.bio_s_mem());
    tls->out = ssl.bio_new(ssl.bio_s_mem());
    if (!tls->ssl || !tls->in || !tls->out) {
        mc_err_set(err, "TLS: out of memory");
        goto fail;
    }
    ssl.set_bio(tls->ssl, tls->in, tls->out);   /* now the SSL's: freed with it */
    ssl.set_connect_state(tls->ssl);
    /* The name the certificate must show (an address is checked as one,
     * and is never sent as a server name). */
    if (ssl.set1_host(tls->ssl, name) != 1 ||
        (!mc_redis_is_ip(name) &&
         ssl.ssl_ctrl(tls->ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                      (void *)name) != 1)) {
        mc_err_set(err, "TLS: %s: not a name a certificate can be checked against", name);
        goto fail;
    }
    *out = tls;
    return 0;
fail:
    if (!tls->ssl) {
        if (tls->in)
            ssl.bio_free(tls->in);
        if (tls->out)
            ssl.bio_free(tls->out);
    }
    mc_tls_free(tls);
    return -1;
}

void mc_tls_free(struct mc_tls *tls)
{
    short events;

    if (!tls)
        return;
    if (tls->ready && ssl.shutdown(tls->ssl) >= 0)
        flush(tls, &events);    /* close_notify, if the socket takes it now */
    if (tls->ssl)
        ssl.ssl_free(tls->ssl);
    if (tls->ctx)
        ssl.ctx_free(tls->ctx);
    ssl.err_clear();
    free(tls);
}

/* Sends what OpenSSL wrote: 0 all sent, -1 with errno (EAGAIN: *events). */
static int flush(struct mc_tls *tls, short *events)
{
    ssize_t sent;
    int got;

    for (;;) {
        if (tls->pending_sent == tls->pending_len) {
            got = ssl.bio_read(tls->out, tls->pending, sizeof(tls->pending));
            if (got <= 0)
                return 0;
            tls->pending_len = (size_t)got;
            tls->pending_sent = 0;
        }
        sent = send(tls->fd, tls->pending + tls->pending_sent,
                    tls->pending_len - tls->pending_sent, MSG_NOSIGNAL);
        if (sent > 0) {
            tls->pending_sent += (size_t)sent;
            continue;
        }
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent < 0 && errno == EWOULDBLOCK)
            errno = EAGAIN;
        if (sent < 0 && errno == EAGAIN)
            *events = POLLOUT;
        return -1;
    }
}

/* Gives OpenSSL what the server sent: 1, 0 if it closed the connection,
 * -1 with errno (EAGAIN: *events). */
static int fill(struct mc_tls *tls, short *events)
{
    char chunk[MC_TLS_CHUNK];
    ssize_t got;

    do {
        got = recv(tls->fd, chunk, sizeof(chunk), 0);
    } while (got < 0 && errno == EINTR);
    if (got < 0 && errno == EWOULDBLOCK)
        errno = EAGAIN;
    if (got < 0 && errno == EAGAIN)
        *events = POLLIN;
    if (got <= 0)
        return (int)got;
    if (ssl.bio_write(tls->in, chunk, (int)got) != (int)got)
        return failed(tls, "out of memory");
    return 1;
}

/* After an OpenSSL call returned rc <= 0: what to do. 1 call it again, 0
 * the server closed the connection, -1 with errno (EAGAIN: *events). */
static int after(struct mc_tls *tls, int rc, const char *what, short *events)
{
    long verified;
    int got;

    switch (ssl.get_error(tls->ssl, rc)) {
    case SSL_ERROR_WANT_READ:
        if (flush(tls, events) != 0)
            return -1;
        got = fill(tls, events);
        if (got == 0)
            errno = ECONNRESET;
        return got;
    case SSL_ERROR_WANT_WRITE:
        return flush(tls, events) == 0 ? 1 : -1;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    default:
        verified = ssl.verify_result(tls->ssl);
        if (verified != X509_V_OK) {
            snprintf(tls->why, sizeof(tls->why), "the server's certificate is refused: %s",
                     ssl.verify_string(verified));
            ssl.err_clear();
            errno = EPROTO;
            return -1;
        }
        return failed(tls, what);
    }
}

int mc_tls_handshake(struct mc_tls *tls, short *events)
{
    int rc;

    for (;;) {
        ssl.err_clear();
        rc = ssl.do_handshake(tls->ssl);
        if (rc == 1) {
            tls->ready = 1;
            return flush(tls, events);
        }
        rc = after(tls, rc, "TLS handshake failed (does the server speak TLS on this port?)",
                   events);
        if (rc == 0) {
            snprintf(tls->why, sizeof(tls->why), "the server closed the connection during the "
                     "TLS handshake (does it speak TLS on this port?)");
            errno = ECONNRESET;
            return -1;
        }
        if (rc < 0)
            return -1;
    }
}

/* A session the server ended without a TLS alert, rc 0 (closed) or -1
 * with ECONNRESET or EPIPE, is -1 with a reason: under TLS 1.3 that is how
 * a server that wants a client certificate refuses one without. Any other
 * rc is returned as it is. */
static int ended(struct mc_tls *tls, int rc)
{
    if (rc != 0 && errno != ECONNRESET && errno != EPIPE)
        return rc;
    snprintf(tls->why, sizeof(tls->why), "the server ended the TLS session (%s)%s",
             rc == 0 ? "closed" : strerror(errno),
             tls->without_cert ? "; does it want a client certificate (" MC_ENV_REDIS_CERT ")?"
                               : "");
    errno = EPROTO;
    return -1;
}

ssize_t mc_tls_read(struct mc_tls *tls, char *buf, size_t len, short *events)
{
    int rc;

    if (flush(tls, events) != 0)
        return ended(tls, -1);
    for (;;) {
        ssl.err_clear();
        rc = ssl.read(tls->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
        if (rc > 0)
            return rc;
        rc = after(tls, rc, "TLS", events);
        if (rc <= 0)
            return ended(tls, rc);
    }
}

ssize_t mc_tls_write(struct mc_tls *tls, const char *buf, size_t len, short *events)
{
    int rc;

    if (flush(tls, events) != 0)
        return ended(tls, -1);
    for (;;) {
        ssl.err_clear();
        rc = ssl.write(tls->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
        if (rc > 0) {
            /* What could not be sent now goes before the next read. */
            if (flush(tls, events) != 0 && errno != EAGAIN)
                return -1;
            return rc;
        }
        rc = after(tls, rc, "TLS", events);
        if (rc <= 0)
            return ended(tls, rc);
    }
}

const char *mc_tls_why(const struct mc_tls *tls)
{
    return tls->why[0] ? tls->why : NULL;
}
