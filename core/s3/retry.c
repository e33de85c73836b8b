/* retry.c — what a failed S3 attempt means (see retry.h). */
#include "retry.h"
#include "xml.h"

#include <curl/curl.h>
#include <string.h>

#define MC_S3_ERROR_CODE_MAX 64
#define MC_S3_ERROR_MESSAGE_MAX 200

int mc_s3_judge_status(const struct mc_s3_refusal *r, struct mc_err *err)
{
    char code[MC_S3_ERROR_CODE_MAX] = "";
    char message[MC_S3_ERROR_MESSAGE_MAX] = "";
    const char *what;

    if (r->answer && r->answer_len)
        mc_s3_parse_error(r->answer, r->answer_len, code, sizeof(code), message,
                          sizeof(message));
    what = code[0] ? code : "no S3 error code";
    if (r->status == 403)
        mc_err_set(err, "s3://%s/%s: access denied (HTTP 403, %s%s%s): check the "
                   "credentials and the bucket's policy", r->bucket, r->key, what,
                   message[0] ? ": " : "", message);
    else
        mc_err_set(err, "s3://%s/%s: %s%s%s: HTTP %ld (%s%s%s)", r->bucket, r->key, r->method,
                   r->query_name[0] ? " " : "", r->query_name, r->status, what,
                   message[0] ? ": " : "", message);
    /* 501 Not Implemented: the server will not do it, however often asked. */
    return (r->status >= 500 && r->status != 501) || r->status == 429 ||
           strcmp(code, "RequestTimeout") == 0 ||
           strcmp(code, "SlowDown") == 0 || strcmp(code, "InternalError") == 0;
}

int mc_s3_retryable_curl(int curl_code)
{
    switch ((CURLcode)curl_code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    case CURLE_WRITE_ERROR:
        /* Our own callback refused the answer (more than the listing said,
         * more than we keep, our disk): the same again next time. */
    default:
        return 0;
    }
}

long long mc_s3_backoff_ms(int attempts, long jitter)
{
    long long cap = MC_S3_BACKOFF_FIRST_MS;
    int i;

    for (i = 1; i < attempts && cap < MC_S3_BACKOFF_MAX_MS; i++)
        cap *= 2;
    if (cap > MC_S3_BACKOFF_MAX_MS)
        cap = MC_S3_BACKOFF_MAX_MS;
    return cap / 2 + jitter % (cap / 2 + 1);      /* "equal jitter" */
}
