/* test_s3url.c — S3 locations, cache keys and request URLs. */
#include "host/proto.h"
#include "s3/url.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static void test_locations(void)
{
    struct mc_s3_location loc;
    struct mc_err err;
    char id[MC_ID_MAX + 1];

    is_int(mc_s3_parse_location("X", "s3://bucket/a/b/", &loc, &err), 0, "s3://bucket/a/b/");
    is_str(loc.bucket, "bucket", "... bucket");
    is_str(loc.prefix, "a/b", "... prefix without its trailing '/'");
    mc_s3_location_free(&loc);
    is_int(mc_s3_parse_location("X", "s3://bucket", &loc, &err), 0, "no prefix");
    is_str(loc.prefix, "", "... empty");
    mc_s3_location_free(&loc);
    is_int(mc_s3_parse_location("X", "s3://bu", &loc, &err), -1, "a 2-letter bucket is refused");
    ok(strstr(err.msg, "X=s3://bu: not a bucket name") != NULL, "... naming it: %s", err.msg);
    is_int(mc_s3_parse_location("X", "http://b/x", &loc, &err), -1, "another scheme is refused");
    is_int(mc_s3_parse_location("X", "s3://bucket/a//b", &loc, &err), -1, "an empty part too");
    is_int(mc_s3_parse_location("X", "s3://bucket/a\nb", &loc, &err), -1, "a control character");
    is_int(mc_s3_parse_location("X", "s3://bucket/p/0b9c5f7e-3d2a-4c1e-9f6b-2a7d8e4c1b05", &loc,
                                &err), 0, "a cache's location");
    is_int(mc_s3_split_cache(&loc, id), 0, "... splits");
    is_str(id, "0b9c5f7e-3d2a-4c1e-9f6b-2a7d8e4c1b05", "... its id");
    is_str(loc.prefix, "p", "... and the prefix");
    mc_s3_location_free(&loc);
    is_int(mc_s3_parse_location("X", "s3://bucket/p/nightly-1.2", &loc, &err), 0, "a named cache");
    is_int(mc_s3_split_cache(&loc, id), 0, "... splits");
    is_str(id, "nightly-1.2", "... its name");
    mc_s3_location_free(&loc);
    is_int(mc_s3_parse_location("X", "s3://bucket/p/_x", &loc, &err), 0, "parses");
    is_int(mc_s3_split_cache(&loc, id), -1, "... but _x is not a cache name");
    mc_s3_location_free(&loc);
    is_int(mc_s3_parse_location("X", "s3://bucket", &loc, &err), 0, "parses");
    is_int(mc_s3_split_cache(&loc, id), -1, "... but names no cache");
    mc_s3_location_free(&loc);
}

static void test_keys(void)
{
    struct mc_s3_location top = { "b", "" };
    struct mc_s3_location deep = { "b", "x/y" };
    char *key;

    key = mc_s3_cache_key(&top, "ID", "d/f.txt");
    is_str(key, "ID/d/f.txt", "a key under no prefix");
    free(key);
    key = mc_s3_cache_key(&deep, "ID", "");
    is_str(key, "x/y/ID/", "a cache's own prefix");
    free(key);
    key = mc_s3_index_key(&deep, "ID");
    is_str(key, "x/y/.monocache/ID.json", "its index, beside the caches");
    free(key);
}

static void test_endpoints(void)
{
    struct mc_s3_endpoint ep;
    struct mc_buf path, url;
    struct mc_err err;

    mc_buf_init(&path, 4096);
    mc_buf_init(&url, 4096);
    is_int(mc_s3_endpoint_init(&ep, "E", "http://127.0.0.1:4569/", "bkt", "us-east-1", &err), 0,
           "an endpoint URL");
    ok(ep.path_style, "... path style");
    is_str(ep.host, "127.0.0.1:4569", "... the Host header");
    mc_s3_request_path(&ep, "bkt", "a b/c+d", &path);
    is_str(mc_buf_str(&path), "/bkt/a b/c+d", "the path signed (raw)");
    mc_s3_request_url(&ep, mc_buf_str(&path), "list-type=2", &url);
    is_str(mc_buf_str(&url), "http://127.0.0.1:4569/bkt/a%20b/c%2Bd?list-type=2",
           "the URL sent (encoded as signed)");
    mc_s3_endpoint_free(&ep);
    is_int(mc_s3_endpoint_init(&ep, "E", NULL, "bkt", "eu-west-3", &err), 0, "AWS");
    ok(!ep.path_style, "... virtual-hosted");
    is_str(ep.host, "bkt.s3.eu-west-3.amazonaws.com", "... host");
    mc_s3_endpoint_free(&ep);
    is_int(mc_s3_endpoint_init(&ep, "E", NULL, "my.bucket", "us-east-1", &err), 0,
           "AWS, a bucket with dots");
    ok(ep.path_style, "... path style (TLS names cannot cover dots)");
    mc_s3_endpoint_free(&ep);
    is_int(mc_s3_endpoint_init(&ep, "AWS_ENDPOINT_URL", "ftp://x", "bkt", "r", &err), -1,
           "an endpoint that is not http(s) is refused");
    ok(strstr(err.msg, "AWS_ENDPOINT_URL=ftp://x") != NULL, "... naming it: %s", err.msg);
    is_int(mc_s3_endpoint_init(&ep, "E", "http://user:pw@host", "bkt", "r", &err), -1,
           "credentials in an endpoint are refused");
    ok(strstr(err.msg, "pw") == NULL, "... without repeating them: %s", err.msg);
    {
        const char *bad[] = { "http://bad host:1", "http://h:99999", "http://h:0", "http://h:",
                              "http://[zz]:1", "http://:80", "http://h:8x", NULL };
        const char *good[] = { "http://[::1]:9000", "http://minio:9000/base",
                               "https://s3.example.com", "http://10.0.0.1:65535", NULL };
        size_t i;

        for (i = 0; bad[i]; i++) {
            is_int(mc_s3_endpoint_init(&ep, "E", bad[i], "bkt", "r", &err), -1, "%s: refused",
                   bad[i]);
            mc_s3_endpoint_free(&ep);
        }
        for (i = 0; good[i]; i++) {
            is_int(mc_s3_endpoint_init(&ep, "E", good[i], "bkt", "r", &err), 0, "%s: taken",
                   good[i]);
            mc_s3_endpoint_free(&ep);
        }
    }
    mc_buf_free(&path);
    mc_buf_free(&url);
}

static void test_tuning(void)
{
    struct mc_s3_tuning t;
    struct mc_err err;
    const char *bad[] = { "0", "257", "-1", "1x", " 4", "+4", "", NULL };
    int seconds;
    size_t i;

    ok(mc_s3_parse_tuning(NULL, NULL, &t, &err) == 0, "no settings: the defaults");
    is_int(t.jobs, 16, "... 16 transfers");
    is_int(t.multipart_min, 200LL << 20, "... parts above 200 MiB");
    ok(mc_s3_parse_tuning("4", "16", &t, &err) == 0 && t.jobs == 4 && t.multipart_min == 16LL << 20,
       "MONOCACHE_S3_JOBS=4 MONOCACHE_S3_MULTIPART_MB=16");
    ok(mc_s3_parse_tuning("256", "5120", &t, &err) == 0, "the largest values");
    for (i = 0; bad[i + 1]; i++) {
        ok(mc_s3_parse_tuning(bad[i], NULL, &t, &err) == -1 &&
           strncmp(err.msg, "MONOCACHE_S3_JOBS=", 18) == 0, "jobs %s: refused, named", bad[i]);
    }
    ok(mc_s3_parse_tuning(NULL, "4", &t, &err) == -1 && strstr(err.msg, "MONOCACHE_S3_MULTIPART_MB=4"),
       "multipart 4 MiB (below S3's 5 MiB part minimum): refused, named");
    ok(mc_s3_parse_tuning(NULL, "5121", &t, &err) == -1, "multipart above 5 GiB: refused");
    ok(mc_s3_parse_tuning(NULL, "99999999999999999999", &t, &err) == -1, "overflow: refused");
    ok(mc_s3_parse_timeout(NULL, &seconds, &err) == 0 && seconds == 60, "MONOCACHE_S3_TIMEOUT_S unset: 60 s");
    ok(mc_s3_parse_timeout("2", &seconds, &err) == 0 && seconds == 2, "MONOCACHE_S3_TIMEOUT_S=2");
    ok(mc_s3_parse_timeout("0", &seconds, &err) == -1 &&
       strncmp(err.msg, "MONOCACHE_S3_TIMEOUT_S=0: ", 26) == 0, "... 0: refused, named");
    ok(mc_s3_parse_timeout("1.5", &seconds, &err) == -1, "... 1.5: refused");
    ok(mc_s3_parse_timeout("86401", &seconds, &err) == -1, "... more than a day: refused");
}

int main(void)
{
    test_locations();
    test_keys();
    test_endpoints();
    test_tuning();
    return done_testing();
}
