/* reply.h — the watcher's one-message answer to the process that started it.
 *
 * Sent over a SOCK_SEQPACKET socketpair: records "<kind> <argument>", each
 * ended by a NUL byte (values may hold any other byte, newlines included:
 * none can pass for a record of its own), and, on success, the holder
 * descriptor attached with SCM_RIGHTS. Kinds:
 *   busy                                 a message of its own, before the
 *                                        answer: still working (a download),
 *                                        keep waiting
 *   ok | disabled | error <message>      first line: the outcome
 *   set NAME=value | unset NAME          environment changes for the tree
 *   hold <dev>:<ino>:<lock path>         the rest of MONOCACHE_HOLD
 * Libc only: the shim reads this inside the host program. */
#ifndef MC_REPLY_H
#define MC_REPLY_H

#include <stddef.h>

/* An answer being written: records appended to a caller's buffer. */
struct mc_reply_text {
    char *data;
    size_t len;         /* bytes used, every record with its NUL */
    size_t cap;
    int overflow;       /* a record did not fit: the answer is not to be sent */
};

void mc_reply_text_init(struct mc_reply_text *text, char *data, size_t cap);
/* Appends the record "<kind>" or "<kind> <arg>" (arg may be NULL). */
void mc_reply_add(struct mc_reply_text *text, const char *kind, const char *arg);
/* Appends "set NAME=value". */
void mc_reply_add_set(struct mc_reply_text *text, const char *name, const char *value);
/* Appends "hold <dev>:<ino>:<lock path>". */
void mc_reply_add_hold(struct mc_reply_text *text, unsigned long long dev,
                       unsigned long long ino, const char *lock_path);

int mc_reply_send(int sock, const char *text, size_t len, int fd);
#define MC_REPLY_BUSY "busy"
/* Sends the "busy" message. */
int mc_reply_send_busy(int sock);
/* 1 if the message received (len bytes) is "busy". */
int mc_reply_is_busy(const char *text, long len);
/* Waits up to timeout_ms for the answer. Returns its length (NUL-terminated
 * in buf), 0 if the peer closed without answering, -1 on error (errno
 * ETIMEDOUT on timeout). *fd is the received descriptor or -1. */
long mc_reply_recv(int sock, char *buf, size_t size, int *fd, int timeout_ms);
/* Waits up to timeout_ms for the peer to close its end (anything else it
 * sends is dropped). 0 once closed, -1 with errno (ETIMEDOUT) otherwise. The
 * watcher closes its copy of the holder descriptor before its end of the
 * socket: until then the program, ending early, would not be the last holder
 * of the cache and would not wait for its release. */
int mc_reply_wait_closed(int sock, int timeout_ms);
/* Splits the next record off *cursor (records end at a NUL; `end` is the
 * end of the message): *kind and *arg point into the buffer, which is
 * modified. Returns 0, or -1 at the end. */
int mc_reply_next(char **cursor, const char *end, char **kind, char **arg);

enum mc_reply_outcome {
    MC_REPLY_OK,        /* a cache; *lock_path set */
    MC_REPLY_DISABLED,  /* run without a cache (MONOCACHE_ON_ERROR=continue) */
    MC_REPLY_ERROR,     /* our failure, already reported by the watcher */
    MC_REPLY_BAD        /* an answer without its lock path */
};

/* Applies an answer of len bytes to this process: its set/unset records to
 * the environment. *lock_path points into text (which is modified). */
enum mc_reply_outcome mc_reply_apply(char *text, size_t len, const char **lock_path);

#endif
