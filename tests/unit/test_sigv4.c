/* test_sigv4.c — the SigV4 signer against the published AWS test vectors:
 * the aws-sig-v4-test-suite cases that apply to S3 (S3 encodes paths once
 * and never normalizes them), and the worked examples of the S3 API
 * reference, signed alone and as whole requests made by request.c (URL,
 * header lines, payload hash), as the engine sends them. botocore is the
 * second oracle (tests/t98-s3-settings.sh). */
#include "s3/request.h"
#include "s3/sigv4.h"
#include "s3/url.h"
#include "tap.h"

#include <string.h>

#define EMPTY_HASH "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SUITE_DATE "20150830T123600Z"
#define S3_DATE "20130524T000000Z"

static const struct mc_sigv4_key suite_key = {
    "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "service"
};
static const struct mc_sigv4_key s3_key = {
    "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", "s3"
};

static void check(const char *name, const struct mc_sigv4_request *req,
                  const struct mc_sigv4_key *key, const char *date, const char *want)
{
    struct mc_buf out;

    mc_buf_init(&out, 1 << 16);
    is_int(mc_sigv4_authorization(&out, req, key, date), 0, "%s: signs", name);
    is_str(mc_buf_str(&out), want, "%s", name);
    mc_buf_free(&out);
}

#define SUITE_HEADERS(...) \
    { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE }, __VA_ARGS__ }
#define SUITE_AUTH(signed_headers, signature) \
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, " \
    "SignedHeaders=" signed_headers ", Signature=" signature

static void test_suite(void)
{
    struct mc_pair plain[] = { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } };
    struct mc_pair case_header[] = SUITE_HEADERS({ "My-Header1", "VALUE1" });
    struct mc_pair trim[] = SUITE_HEADERS({ "My-Header1", " value1" },
                                          { "My-Header2", "\"a   b   c\"" });
    struct mc_pair duplicate[] = SUITE_HEADERS({ "My-Header1", "value2" },
                                               { "My-Header1", "value2" },
                                               { "My-Header1", "value1" });
    struct mc_pair order_query[] = { { "Param2", "value2" }, { "Param1", "value1" } };
    struct mc_sigv4_request req = { "GET", "/", NULL, 0, plain, 2, EMPTY_HASH };

    check("get-vanilla", &req, &suite_key, SUITE_DATE,
          SUITE_AUTH("host;x-amz-date",
                     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"));
    req.method = "POST";
    check("post-vanilla", &req, &suite_key, SUITE_DATE,
          SUITE_AUTH("host;x-amz-date",
                     "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"));
    req.headers = case_header;
    req.header_count = 3;
    check("post-header-value-case", &req, &suite_key, SUITE_DATE,
          SUITE_AUTH("host;my-header1;x-amz-date",
                     "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"));
    req.method = "GET";
    req.headers = plain;
    req.header_count = 2;
    req.query = order_query;
    req.query_count = 2;
    check("get-vanilla-query-order-key-case", &req, &suite_key, SUITE_DATE,
          SUITE_AUTH("host;x-amz-date",
                     "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"));
    req.query_count = 0;
    req.path = "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    check("get-unreserved", &req, &suite_key, SUITE_DATE,
          SUITE_AUTH("host;x-amz-date",
                     "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"));
    req.path = "/";
    req.headers = trim;
    req.header_count = 4;
    check("get-header-value-trim", &req, &suite_key, SUITE_DATE,
          SUITE_AUTH("host;my-header1;my-header2;x-amz-date",
                     "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"));
    req.headers = duplicate;
    req.header_count = 5;
    check("get-header-key-duplicate", &req, &suite_key, SUITE_DATE,
          SUITE_AUTH("host;my-header1;x-amz-date",
                     "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"));
}

#define S3_HOST { "Host", "examplebucket.s3.amazonaws.com" }
#define S3_AUTH(signed_headers, signature) \
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, " \
    "SignedHeaders=" signed_headers ", Signature=" signature

/* The examples of "Signature Calculations for the Authorization Header" in
 * the Amazon S3 API Reference. */
static void test_s3_examples(void)
{
    struct mc_pair get_object[] = { S3_HOST, { "Range", "bytes=0-9" },
                                    { "x-amz-content-sha256", EMPTY_HASH },
                                    { "x-amz-date", S3_DATE } };
    struct mc_pair put_object[] = {
        { "Date", "Fri, 24 May 2013 00:00:00 GMT" }, S3_HOST, { "x-amz-date", S3_DATE },
        { "x-amz-storage-class", "REDUCED_REDUNDANCY" },
        { "x-amz-content-sha256",
          "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072" } };
    struct mc_pair bucket[] = { S3_HOST, { "x-amz-content-sha256", EMPTY_HASH },
                                { "x-amz-date", S3_DATE } };
    struct mc_pair lifecycle[] = { { "lifecycle", NULL } };
    struct mc_pair listing[] = { { "prefix", "J" }, { "max-keys", "2" } };
    struct mc_sigv4_request req = { "GET", "/test.txt", NULL, 0, get_object, 4, EMPTY_HASH };

    check("S3 GET Object", &req, &s3_key, S3_DATE,
          S3_AUTH("host;range;x-amz-content-sha256;x-amz-date",
                  "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
    req.method = "PUT";
    req.path = "/test$file.text";
    req.headers = put_object;
    req.header_count = 5;
    req.payload_hash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
    check("S3 PUT Object", &req, &s3_key, S3_DATE,
          S3_AUTH("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                  "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"));
    req.method = "GET";
    req.path = "/";
    req.headers = bucket;
    req.header_count = 3;
    req.payload_hash = EMPTY_HASH;
    req.query = lifecycle;
    req.query_count = 1;
    check("S3 GET Bucket Lifecycle (?lifecycle: a name without a value)", &req, &s3_key,
          S3_DATE, S3_AUTH("host;x-amz-content-sha256;x-amz-date",
                           "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"));
    req.query = listing;
    req.query_count = 2;
    check("S3 GET Bucket (List Objects), query out of order", &req, &s3_key, S3_DATE,
          S3_AUTH("host;x-amz-content-sha256;x-amz-date",
                  "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"));
}

static void test_encoding(void)
{
    struct mc_pair query[] = { { "uploadId", "a+b/c=" }, { "partNumber", "2" },
                               { "uploads", NULL } };
    struct mc_buf out;

    mc_buf_init(&out, 1024);
    is_int(mc_uri_encode(&out, "/a b+c%d#e?f=g~h\xc3\xa9/", 1), 0, "encodes");
    is_str(mc_buf_str(&out), "/a%20b%2Bc%25d%23e%3Ff%3Dg~h%C3%A9/",
           "a path: every byte but unreserved and '/', upper-case hex, UTF-8 bytewise");
    mc_buf_reset(&out);
    is_int(mc_sigv4_canonical_query(&out, query, 3), 0, "a canonical query");
    is_str(mc_buf_str(&out), "partNumber=2&uploadId=a%2Bb%2Fc%3D&uploads=",
           "... sorted, '/' encoded in values, a name without value as \"name=\"");
    mc_buf_free(&out);
    mc_buf_init(&out, 1024);
    ok(mc_sigv4_authorization(&out, &(struct mc_sigv4_request){ "GET", "/", NULL, 0, NULL, 0,
                                                                EMPTY_HASH },
                              &s3_key, "2013-05-24T00:00:00Z") == -1,
       "a date not in YYYYMMDDTHHMMSSZ form is refused");
    mc_buf_free(&out);
}

/* The line of wire that starts with `name: `, or NULL. */
static const char *line_of(const struct mc_s3_wire *wire, const char *name)
{
    size_t len = strlen(name);
    size_t i;

    for (i = 0; i < wire->line_count; i++) {
        if (strncmp(wire->lines[i], name, len) == 0 && strncmp(wire->lines[i] + len, ": ", 2) == 0)
            return wire->lines[i] + len + 2;
    }
    return NULL;
}

static void check_request(const char *name, const struct mc_s3_signer *signer,
                          const struct mc_s3_request *req, const char *url, const char *auth)
{
    struct mc_s3_wire wire;
    struct mc_err err;

    is_int(mc_s3_request_sign(&wire, signer, req, S3_DATE, &err), 0, "%s: made and signed", name);
    is_str(mc_buf_str(&wire.url), url, "%s: URL", name);
    is_str(line_of(&wire, "Authorization"), auth, "%s: Authorization", name);
    ok(wire.line_count && strncmp(wire.lines[wire.line_count - 1], "Authorization: ", 15) == 0,
       "%s: Authorization last", name);
    mc_s3_wire_free(&wire);
}

/* The same S3 examples, as whole requests: what request.c adds (host,
 * x-amz-date, x-amz-content-sha256 of the body) signs as AWS did. */
static void test_requests(void)
{
    struct mc_s3_endpoint ep = { "https://examplebucket.s3.amazonaws.com",
                                 "examplebucket.s3.amazonaws.com", "", 0 };
    struct mc_aws_creds creds = { (char *)s3_key.access_key, (char *)s3_key.secret_key, NULL,
                                  NULL };
    struct mc_s3_signer signer = { &ep, "examplebucket", "us-east-1", &creds };
    struct mc_pair range[] = { { "range", "bytes=0-9" } };
    struct mc_pair put_headers[] = { { "date", "Fri, 24 May 2013 00:00:00 GMT" },
                                     { "x-amz-storage-class", "REDUCED_REDUNDANCY" } };
    struct mc_pair lifecycle[] = { { "lifecycle", NULL } };
    struct mc_pair listing[] = { { "prefix", "J" }, { "max-keys", "2" } };
    static const char body[] = "Welcome to Amazon S3.";
    struct mc_s3_request req = { "GET", "test.txt", NULL, 0, range, 1, MC_S3_PAYLOAD_NONE,
                                 NULL, 0 };
    struct mc_s3_wire wire;
    struct mc_err err;
    char long_key[MC_S3_KEY_MAX * 20];

    check_request("request GET Object", &signer, &req,
                  "https://examplebucket.s3.amazonaws.com/test.txt",
                  S3_AUTH("host;range;x-amz-content-sha256;x-amz-date",
                          "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
    req = (struct mc_s3_request){ "PUT", "test$file.text", NULL, 0, put_headers, 2,
                                  MC_S3_PAYLOAD_BYTES, body, strlen(body) };
    check_request("request PUT Object (the body's hash)", &signer, &req,
                  "https://examplebucket.s3.amazonaws.com/test%24file.text",
                  S3_AUTH("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                          "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"));
    req = (struct mc_s3_request){ "GET", "", lifecycle, 1, NULL, 0, MC_S3_PAYLOAD_NONE, NULL, 0 };
    check_request("request GET ?lifecycle", &signer, &req,
                  "https://examplebucket.s3.amazonaws.com/?lifecycle=",
                  S3_AUTH("host;x-amz-content-sha256;x-amz-date",
                          "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"));
    req.query = listing;
    req.query_count = 2;
    check_request("request GET Bucket, query in canonical order in the URL", &signer, &req,
                  "https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J",
                  S3_AUTH("host;x-amz-content-sha256;x-amz-date",
                          "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"));

    req = (struct mc_s3_request){ "PUT", "big", NULL, 0, NULL, 0, MC_S3_PAYLOAD_STREAM, NULL, 0 };
    creds.session_token = "token";
    is_int(mc_s3_request_sign(&wire, &signer, &req, S3_DATE, &err), 0, "a streamed body");
    is_str(line_of(&wire, "x-amz-content-sha256"), MC_SIGV4_UNSIGNED, "... UNSIGNED-PAYLOAD");
    is_str(line_of(&wire, "x-amz-security-token"), "token", "... a session token is sent");
    ok(strstr(mc_buf_str(&wire.url), "big") && line_of(&wire, "Authorization") &&
       strstr(line_of(&wire, "Authorization"),
              "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"),
       "... and signed");
    is_str(line_of(&wire, "host"), "examplebucket.s3.amazonaws.com", "... host: the endpoint's");
    is_int(wire.line_count, 5, "... five lines: host, date, sha256, token, Authorization");
    mc_s3_wire_free(&wire);
    ep = (struct mc_s3_endpoint){ "http://127.0.0.1:9000/base", "127.0.0.1:9000", "/base", 1 };
    req = (struct mc_s3_request){ "GET", "a b/c+d", NULL, 0, NULL, 0, MC_S3_PAYLOAD_NONE, NULL,
                                  0 };
    is_int(mc_s3_request_sign(&wire, &signer, &req, S3_DATE, &err), 0, "path style");
    is_str(mc_buf_str(&wire.url), "http://127.0.0.1:9000/base/examplebucket/a%20b/c%2Bd",
           "... the endpoint's path, the bucket, the key encoded");
    mc_s3_wire_free(&wire);
    memset(long_key, 'k', sizeof(long_key) - 1);
    long_key[sizeof(long_key) - 1] = '\0';
    req.key = long_key;
    is_int(mc_s3_request_sign(&wire, &signer, &req, S3_DATE, &err), -1, "a key too long");
    ok(strncmp(err.msg, "S3: key too long: kkk", 21) == 0, "... says so");
    mc_s3_wire_free(&wire);
    req.key = "k";
    is_int(mc_s3_request_sign(&wire, &signer, &req, "20130524", &err), -1, "a bad date");
    is_str(err.msg, "S3: cannot sign the request", "... cannot be signed");
    mc_s3_wire_free(&wire);
}

int main(void)
{
    test_suite();
    test_s3_examples();
    test_encoding();
    test_requests();
    return done_testing();
}
