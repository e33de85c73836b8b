/* test_s3retry.c — what a failed S3 attempt means: the line a user reads
 * for an HTTP error (S3's code and message, the 403 hint), which answers
 * and which libcurl failures are tried again, and the backoff's bounds. */
#include "s3/retry.h"
#include "tap.h"

#include <curl/curl.h>
#include <string.h>

#define ERROR_XML(code, message) \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" code "</Code><Message>" \
    message "</Message></Error>"
#define JITTER_MAX 2147483647L

static int judged(long status, const char *xml, struct mc_err *err)
{
    struct mc_s3_refusal r = { "bkt", "pre/k", "PUT", "partNumber", status, xml,
                               xml ? strlen(xml) : 0 };

    return mc_s3_judge_status(&r, err);
}

static void test_status(void)
{
    struct mc_err err;

    is_int(judged(403, ERROR_XML("AccessDenied", "Access Denied"), &err), 0,
           "403: not tried again");
    is_str(err.msg, "s3://bkt/pre/k: access denied (HTTP 403, AccessDenied: Access Denied): "
           "check the credentials and the bucket's policy", "... the line says what to check");
    is_int(err.code, MC_ERR_FAILED, "... code MC_ERR_FAILED");
    is_int(judged(404, ERROR_XML("NoSuchBucket", "The specified bucket does not exist"), &err),
           0, "404 NoSuchBucket: not tried again");
    is_str(err.msg, "s3://bkt/pre/k: PUT partNumber: HTTP 404 (NoSuchBucket: The specified "
           "bucket does not exist)", "... method, first query name, status, S3's code and message");
    is_int(judged(500, NULL, &err), 1, "500: tried again");
    is_str(err.msg, "s3://bkt/pre/k: PUT partNumber: HTTP 500 (no S3 error code)",
           "... without a body: \"no S3 error code\"");
    is_int(judged(503, ERROR_XML("SlowDown", "Reduce your request rate"), &err), 1,
           "503 SlowDown: tried again");
    is_int(judged(429, "not xml", &err), 1, "429: tried again (a body that is not XML)");
    is_str(err.msg, "s3://bkt/pre/k: PUT partNumber: HTTP 429 (no S3 error code)",
           "... and its line");
    is_int(judged(400, ERROR_XML("RequestTimeout", "Your socket connection..."), &err), 1,
           "400 RequestTimeout: tried again");
    is_int(judged(200, ERROR_XML("InternalError", "We encountered an internal error"), &err), 1,
           "InternalError: tried again, whatever the status");
    is_int(judged(400, ERROR_XML("BadDigest", "The Content-MD5 you specified did not match"),
                  &err), 0, "400 BadDigest: not tried again (the file changed)");
    is_int(judged(404, ERROR_XML("NoSuchKey", "x"), &err), 0, "404 NoSuchKey: not either");
    is_int(judged(501, ERROR_XML("NotImplemented", "A header you provided implies "
                                 "functionality that is not implemented"), &err), 0,
           "501 NotImplemented: not tried again (the server will not do it)");
    is_int(judged(502, NULL, &err), 1, "502: tried again");
}

static void test_curl(void)
{
    is_int(mc_s3_retryable_curl(CURLE_COULDNT_CONNECT), 1, "a refused connection");
    is_int(mc_s3_retryable_curl(CURLE_OPERATION_TIMEDOUT), 1, "a timeout");
    is_int(mc_s3_retryable_curl(CURLE_RECV_ERROR), 1, "a dropped connection");
    is_int(mc_s3_retryable_curl(CURLE_GOT_NOTHING), 1, "an empty answer");
    is_int(mc_s3_retryable_curl(CURLE_WRITE_ERROR), 0,
           "an answer our callback refused (more than listed, too big, our disk): never again");
    is_int(mc_s3_retryable_curl(CURLE_PEER_FAILED_VERIFICATION), 0,
           "a certificate that does not verify: never");
    is_int(mc_s3_retryable_curl(CURLE_URL_MALFORMAT), 0, "a bad URL: never");
}

static void test_backoff(void)
{
    long long first_low = mc_s3_backoff_ms(1, 0);
    long long first_high = mc_s3_backoff_ms(1, MC_S3_BACKOFF_FIRST_MS / 2);
    int within = 1;
    int attempts;
    long jitter;

    is_int(first_low, MC_S3_BACKOFF_FIRST_MS / 2, "the first wait: at least half of 100 ms");
    is_int(first_high, MC_S3_BACKOFF_FIRST_MS, "... at most 100 ms");
    is_int(mc_s3_backoff_ms(2, 0), MC_S3_BACKOFF_FIRST_MS, "the second: from 100 ms");
    is_int(mc_s3_backoff_ms(3, MC_S3_BACKOFF_FIRST_MS * 2), MC_S3_BACKOFF_FIRST_MS * 4,
           "the third: up to 400 ms");
    is_int(mc_s3_backoff_ms(30, 0), MC_S3_BACKOFF_MAX_MS / 2, "capped: from half of 10 s");
    is_int(mc_s3_backoff_ms(30, MC_S3_BACKOFF_MAX_MS / 2), MC_S3_BACKOFF_MAX_MS,
           "... to 10 s");
    for (attempts = 1; attempts < 40; attempts++) {
        for (jitter = 0; jitter < JITTER_MAX - 7919; jitter += JITTER_MAX / 7) {
            long long wait = mc_s3_backoff_ms(attempts, jitter);

            if (wait < MC_S3_BACKOFF_FIRST_MS / 2 || wait > MC_S3_BACKOFF_MAX_MS)
                within = 0;
        }
    }
    ok(within, "every wait between 50 ms and 10 s, whatever the jitter");
}

int main(void)
{
    test_status();
    test_curl();
    test_backoff();
    return done_testing();
}
