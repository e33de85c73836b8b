/* tls.h — TLS for one Redis connection (rediss://), through OpenSSL loaded
 * with dlopen() the first time a rediss:// register is used: a tree
 * without TLS never maps libssl or libcrypto.
 *
 * OpenSSL never touches the socket: it encrypts into and decrypts from
 * memory buffers, and this file moves the bytes with send(MSG_NOSIGNAL)
 * and recv() on the non-blocking socket it is given, so that conn.c keeps
 * every wait under its deadline and a closed peer is never a SIGPIPE. The
 * server's certificate is always verified (MONOCACHE_REDIS_CACERT, else
 * the system's store), and so is its name (MONOCACHE_REDIS_SNI, else the
 * host connected to); a failure is an error, never plain text instead.
 * Runs in the watcher and the command, never in the preloaded shim. */
#ifndef MC_REDIS_TLS_H
#define MC_REDIS_TLS_H

#include "common/err.h"
#include "redisconf.h"

#include <sys/types.h>

struct mc_tls;

/* A TLS client on the connected non-blocking socket fd, checking the
 * server's certificate against `name`. Loads OpenSSL, the CAs and the
 * client's certificate; err names the variable of a file that does not
 * load. 0, or -1 with err. */
int mc_tls_new(const struct mc_redis_tls *conf, int fd, const char *name, struct mc_tls **out,
               struct mc_err *err);
void mc_tls_free(struct mc_tls *tls);

/* Each does what the socket allows now. The handshake: 0 done; read and
 * write: bytes moved (> 0). Otherwise -1 with errno: EAGAIN, and *events
 * says what to poll() for before calling again; any other errno is a
 * failure, whose reason mc_tls_why gives (a server that closed or reset
 * the connection is one: EPROTO). */
int mc_tls_handshake(struct mc_tls *tls, short *events);
ssize_t mc_tls_read(struct mc_tls *tls, char *buf, size_t len, short *events);
ssize_t mc_tls_write(struct mc_tls *tls, const char *buf, size_t len, short *events);
/* Why the last call failed (the certificate's fault, or the protocol's). */
const char *mc_tls_why(const struct mc_tls *tls);

#endif
