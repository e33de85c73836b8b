/* test_s3xml.c — S3's XML answers, as AWS and S3-compatible servers send
 * them: namespaces, entities, pages, errors, and what is not XML at all. */
#include "s3/xml.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

#define LISTING(body) \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>" \
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" body \
    "</ListBucketResult>"

static void test_listing(void)
{
    const char page1[] = LISTING(
        "<Name>b</Name><KeyCount>2</KeyCount><IsTruncated>true</IsTruncated>"
        "<NextContinuationToken>tok/+=</NextContinuationToken>"
        "<Contents><Key>p/a &amp; b.txt</Key><ETag>&quot;0123&quot;</ETag><Size>12</Size>"
        "<LastModified>2026-12-03T13:45:07.123Z</LastModified></Contents>"
        "<Contents><Key>p/big</Key><ETag>\"abcd-3\"</ETag><Size>30000000</Size>"
        "<LastModified>yesterday</LastModified></Contents>");
    const char page2[] = LISTING("<IsTruncated>false</IsTruncated>"
                                 "<CommonPrefixes><Prefix>p/x/</Prefix></CommonPrefixes>");
    struct mc_s3_listing listing;
    struct mc_err err;

    memset(&listing, 0, sizeof(listing));
    is_int(mc_s3_parse_listing(page1, strlen(page1), &listing, &err), 0, "a first page");
    is_int((long long)listing.count, 2, "... two objects");
    is_str(listing.objects[0].key, "p/a & b.txt", "... entities decoded");
    is_str(listing.objects[0].etag, "0123", "... ETag unquoted (&quot;)");
    is_int(listing.objects[1].size, 30000000, "... sizes");
    is_str(listing.objects[1].etag, "abcd-3", "... ETag unquoted (\")");
    is_str(listing.objects[0].modified, "2026-12-03T13:45:07Z", "... LastModified, to the second");
    is_str(listing.objects[1].modified, "", "... one not of that shape: unknown");
    ok(listing.truncated, "... truncated");
    is_str(listing.next_token, "tok/+=", "... the continuation token");
    is_int(mc_s3_parse_listing(page2, strlen(page2), &listing, &err), 0, "a second page");
    is_int((long long)listing.count, 2, "... adds no object");
    ok(!listing.truncated && !listing.next_token, "... the last");
    is_str(listing.prefix_count ? listing.prefixes[0] : "", "p/x/", "... a common prefix");
    mc_s3_listing_free(&listing);

    is_int(mc_s3_parse_listing("<Error/>", 8, &listing, &err), -1, "an Error is not a listing");
    mc_s3_listing_free(&listing);
    is_int(mc_s3_parse_listing("not xml", 7, &listing, &err), -1, "nor is text");
    mc_s3_listing_free(&listing);
    is_int(mc_s3_parse_listing(LISTING("<IsTruncated>true</IsTruncated>"),
                               strlen(LISTING("<IsTruncated>true</IsTruncated>")), &listing,
                               &err), -1, "truncated without a token is refused (no endless loop)");
    mc_s3_listing_free(&listing);
}

static void test_error_and_uploads(void)
{
    const char error[] = "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code>"
                         "<Message>The specified bucket does not exist</Message></Error>";
    const char init[] = "<InitiateMultipartUploadResult xmlns=\"x\"><Bucket>b</Bucket>"
                        "<UploadId>u-1/2</UploadId></InitiateMultipartUploadResult>";
    const char done[] = "<CompleteMultipartUploadResult><ETag>\"e-2\"</ETag>"
                        "</CompleteMultipartUploadResult>";
    const char deleted[] = "<DeleteResult><Deleted><Key>a</Key></Deleted><Error><Key>b</Key>"
                           "<Code>AccessDenied</Code></Error></DeleteResult>";
    char code[32], message[64];
    struct mc_err err;
    char *text;

    is_int(mc_s3_parse_error(error, strlen(error), code, sizeof(code), message, sizeof(message)),
           1, "an S3 error");
    is_str(code, "NoSuchBucket", "... its code");
    is_str(message, "The specified bucket does not exist", "... its message");
    is_int(mc_s3_parse_error(init, strlen(init), code, sizeof(code), message, sizeof(message)), 0,
           "another answer is not an error");
    is_int(mc_s3_parse_error("<a>", 3, code, sizeof(code), message, sizeof(message)), -1,
           "broken XML");
    text = mc_s3_parse_upload_id(init, strlen(init));
    is_str(text, "u-1/2", "an UploadId");
    free(text);
    text = mc_s3_parse_complete_etag(done, strlen(done));
    is_str(text, "e-2", "a completed upload's ETag");
    free(text);
    is_int(mc_s3_parse_delete_errors(deleted, strlen(deleted), &err), 1, "a delete with an error");
    ok(strstr(err.msg, "first b: AccessDenied") != NULL, "... which: %s", err.msg);
}

static void test_hostile(void)
{
    static const char laughs[] =
        "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\">"
        "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
        "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\"><!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">"
        "<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\"><!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">]>"
        "<Error><Code>&g;</Code></Error>";
    char deep[2000];
    char code[32], message[32];
    struct mc_s3_listing listing;
    struct mc_err err;
    size_t i;

    ok(mc_s3_parse_error(laughs, strlen(laughs), code, sizeof(code), message, sizeof(message)) != 1,
       "entity expansion (billion laughs) is refused, not expanded");
    for (i = 0; i < 60; i++)
        memcpy(deep + 3 * i, "<a>", 3);
    deep[180] = '\0';
    memset(&listing, 0, sizeof(listing));
    is_int(mc_s3_parse_listing(deep, strlen(deep), &listing, &err), -1, "nesting too deep");
    mc_s3_listing_free(&listing);
}

int main(void)
{
    test_listing();
    test_error_and_uploads();
    test_hostile();
    return done_testing();
}
