/* test_shown.c — text as monocache shows it: credentials in URLs hidden,
 * control characters and bytes that are not UTF-8 escaped, UTF-8 kept. */
#include "common/shown.h"
#include "tap.h"

static const char *shown(const char *in)
{
    static char out[256];

    mc_shown(in, out, sizeof(out));
    return out;
}

int main(void)
{
    char small[12];

    is_str(shown("MONOCACHE_S3=s3://user:secret@bucket/p: not a bucket name"),
           "MONOCACHE_S3=s3://***@bucket/p: not a bucket name", "s3://user:secret@bucket: hidden");
    is_str(shown("AWS_ENDPOINT_URL=http://k:s@host:9000/x"), "AWS_ENDPOINT_URL=http://***@host:9000/x",
           "an endpoint's user and password: hidden");
    is_str(shown("a@b s3://bucket/a@b"), "a@b s3://bucket/a@b",
           "an @ outside a URL's host part stays (a key may hold one)");
    is_str(shown("x://a@b@c/d"), "x://***@c/d", "up to the last @ before the host");
    is_str(shown("MONOCACHE_REDIS=redis://ci:p@ss@db:6379/0"), "MONOCACHE_REDIS=redis://ci:***@db:6379/0",
           "redis://: the ACL user shown, the password (with its @) hidden");
    is_str(shown("rediss://:pw@db"), "rediss://:***@db", "rediss:// without a user: ':***@'");
    is_str(shown("redis://pw@db"), "redis://***@db", "redis:// with no ':': all of it hidden");
    is_str(shown("xredis://u:p@db"), "xredis://u:***@db", "(a scheme ending in redis reads as one)");
    ok(mc_has_credentials("s3=s3://u:p@b/x"), "a pair key=URL with credentials: found");
    ok(!mc_has_credentials("s3://bucket/pre@fix"), "... an @ in the prefix is not one");
    ok(!mc_has_credentials("no url at all"), "... nor text without a URL");
    is_str(shown("key \033[31mred\033[0m"), "key \\x1b[31mred\\x1b[0m", "escape sequences escaped");
    is_str(shown("two\nlines\ttab"), "two\\x0alines\\x09tab", "newline and tab: escaped");
    is_str(shown("caf\xc3\xa9 \xe2\x82\xac"), "caf\xc3\xa9 \xe2\x82\xac", "UTF-8 kept as it is");
    is_str(shown("c1 \xc2\x9b" "2J"), "c1 \\xc2\\x9b2J", "a C1 control (U+009B, CSI) escaped");
    is_str(shown("raw \x9b" "2J \xff"), "raw \\x9b2J \\xff", "bytes that are not UTF-8 escaped");
    is_str(shown("del \x7f"), "del \\x7f", "DEL escaped");
    mc_shown("abcdefghijklmnop", small, sizeof(small));
    is_str(small, "abcdefghijk", "cut to fit");
    mc_shown("abcdefgh\033x", small, sizeof(small));
    is_str(small, "abcdefgh", "... never in the middle of an escape");
    return done_testing();
}
