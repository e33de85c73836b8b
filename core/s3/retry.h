/* retry.h — what a failed S3 attempt means, decided apart from the engine
 * that makes it (transfer.c): the one line a user reads, whether the
 * attempt is made again (5xx but 501, 429, S3's RequestTimeout, SlowDown and
 * InternalError; a refused or dropped connection, a timeout), and after
 * how long (exponential backoff with "equal jitter"). 403, a missing
 * bucket or bad credentials fail at once. Pure: unit-tested without a
 * network (tests/unit/test_s3retry.c). */
#ifndef MC_S3_RETRY_H
#define MC_S3_RETRY_H

#include "common/err.h"

#include <stddef.h>

#define MC_S3_BACKOFF_FIRST_MS 100
#define MC_S3_BACKOFF_MAX_MS 10000

/* An attempt answered with an HTTP status other than 2xx (or an allowed
 * 404). */
struct mc_s3_refusal {
    const char *bucket;
    const char *key;
    const char *method;
    const char *query_name;     /* the first query parameter's name, or "" */
    long status;
    const char *answer;         /* its body (S3's <Error> XML), or NULL */
    size_t answer_len;
};

/* err gets the line (S3's error code and message, a hint on 403); 1 if
 * the attempt is made again, else 0. */
int mc_s3_judge_status(const struct mc_s3_refusal *refusal, struct mc_err *err);

/* 1 if an attempt that libcurl ended with curl_code (a CURLcode) is made
 * again. A write error never is: it is our own callback refusing the answer
 * (larger than listed or than we keep, or our disk failed), which a
 * second download of the same would do again. */
int mc_s3_retryable_curl(int curl_code);

/* How long to wait after `attempts` attempts (1 or more): half the capped
 * exponential, plus up to its other half taken from `jitter` (any number
 * >= 0, as random() gives). */
long long mc_s3_backoff_ms(int attempts, long jitter);

#endif
