/* test_s3header.c — an HTTP answer's head as libcurl hands it over: lines
 * that end with no NUL (each test line is followed by bytes that must not
 * be read), the status line's code, and ETags as servers send them, or
 * not: missing, empty, too long, with blanks or control characters. */
#include "s3/header.h"
#include "tap.h"

#include <string.h>

/* line, then garbage right after its last byte (no NUL). */
static const char *unterminated(const char *line, char *buf, size_t size)
{
    size_t len = strlen(line);

    memset(buf, 'X', size);
    memcpy(buf, line, len);
    return buf;
}

static long status_of(const char *line)
{
    char buf[256];

    return mc_s3_header_status(unterminated(line, buf, sizeof(buf)), strlen(line));
}

static int etag_of(const char *line, char *out)
{
    char buf[256];

    return mc_s3_header_etag(unterminated(line, buf, sizeof(buf)), strlen(line), out);
}

static void test_status(void)
{
    is_int(status_of("HTTP/1.1 200 OK\r\n"), 200, "HTTP/1.1 200 OK");
    is_int(status_of("HTTP/2 404\r\n"), 404, "HTTP/2 404 (no reason)");
    is_int(status_of("HTTP/1.1 100 Continue\r\n"), 100, "100 Continue");
    is_int(status_of("HTTP/1.1 2000 OK\r\n"), -1, "four digits: not a status");
    is_int(status_of("HTTP/1.1 20"), -1, "cut short after two digits (the bytes after unread)");
    is_int(status_of("HTTP/1.1"), -1, "no code at all");
    is_int(status_of("ETag: \"x\"\r\n"), 0, "another header: 0");
    is_int(status_of("HTTP"), 0, "four bytes: 0");
}

static void test_etag(void)
{
    char out[MC_S3_ETAG_MAX];
    char line[MC_S3_ETAG_MAX + 32];

    is_int(etag_of("ETag: \"d41d8cd98f00b204e9800998ecf8427e\"\r\n", out), 1, "a quoted ETag");
    is_str(out, "d41d8cd98f00b204e9800998ecf8427e", "... unquoted");
    is_int(etag_of("etag: \"0123456789abcdef0123456789abcdef-12\"\r\n", out), 1,
           "a multipart one, any case");
    is_str(out, "0123456789abcdef0123456789abcdef-12", "... as it is");
    is_int(etag_of("ETag:abc", out), 1, "no blank, no quote, no CRLF (the bytes after unread)");
    is_str(out, "abc", "... abc");
    strcpy(out, "stale");
    is_int(etag_of("ETag: \"\"\r\n", out), -1, "an empty ETag: unusable");
    is_str(out, "", "... and none kept");
    memset(line, 'a', sizeof(line));
    memcpy(line, "ETag: ", 6);
    line[6 + MC_S3_ETAG_MAX] = '\0';
    is_int(etag_of(line, out), -1, "an ETag of %d characters: unusable", MC_S3_ETAG_MAX);
    is_str(out, "", "... none kept (not cut, not left as it was)");
    line[6 + MC_S3_ETAG_MAX - 1] = '\0';
    is_int(etag_of(line, out), 1, "%d characters: kept", MC_S3_ETAG_MAX - 1);
    is_int(etag_of("ETag: \"ab cd\"\r\n", out), -1, "a blank inside: unusable");
    is_int(etag_of("ETag: \"ab\033[2Jcd\"\r\n", out), -1, "an escape sequence: unusable");
    is_int(etag_of("Content-Length: 3\r\n", out), 0, "another header: 0");
}

int main(void)
{
    test_status();
    test_etag();
    return done_testing();
}
