/* busy.h — the watcher telling the process that asked for a cache that it
 * is still working (a download from S3), so that a slow but healthy start
 * is waited for while a stuck watcher is not (reply.h's "busy"). */
#ifndef MC_BUSY_H
#define MC_BUSY_H

#include <pthread.h>

#ifndef MC_BUSY_INTERVAL_MS   /* tests build with it shorter */
#define MC_BUSY_INTERVAL_MS 10000
#endif

struct busy {
    int reply_fd;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t stop_cond;
    int stop;
    int running;
};

/* Sends "busy" on reply_fd every MC_BUSY_INTERVAL_MS from a thread, until
 * busy_stop. Nothing if the thread cannot be made (the starter's own
 * timeout then applies). */
void busy_start(struct busy *busy, int reply_fd);
/* Stops and joins the thread: call it before sending the answer. */
void busy_stop(struct busy *busy);

#endif
