/* busy.c — "still working" messages to the starter (see busy.h). */
#include "busy.h"
#include "host/reply.h"

#include <errno.h>
#include <string.h>
#include <time.h>

static void *say_busy(void *arg)
{
    struct busy *busy = arg;
    struct timespec until;

    pthread_mutex_lock(&busy->lock);
    while (!busy->stop) {
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += MC_BUSY_INTERVAL_MS / 1000;
        until.tv_nsec += (long)(MC_BUSY_INTERVAL_MS % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        if (pthread_cond_timedwait(&busy->stop_cond, &busy->lock, &until) == ETIMEDOUT &&
            !busy->stop)
            mc_reply_send_busy(busy->reply_fd);
    }
    pthread_mutex_unlock(&busy->lock);
    return NULL;
}

void busy_start(struct busy *busy, int reply_fd)
{
    memset(busy, 0, sizeof(*busy));
    busy->reply_fd = reply_fd;
    pthread_mutex_init(&busy->lock, NULL);
    pthread_cond_init(&busy->stop_cond, NULL);
    busy->running = pthread_create(&busy->thread, NULL, say_busy, busy) == 0;
}

void busy_stop(struct busy *busy)
{
    if (busy->running) {
        pthread_mutex_lock(&busy->lock);
        busy->stop = 1;
        pthread_cond_signal(&busy->stop_cond);
        pthread_mutex_unlock(&busy->lock);
        pthread_join(busy->thread, NULL);
        busy->running = 0;
    }
    pthread_cond_destroy(&busy->stop_cond);
    pthread_mutex_destroy(&busy->lock);
}
