/* header.h — the head of an HTTP answer as libcurl hands it over, one line
 * at a time and not NUL-terminated: the status line's code, and the ETag
 * header as S3 gives it. Pure: unit-tested (tests/unit/test_s3header.c)
 * without a network; transfer.c calls it from its header callback. */
#ifndef MC_S3_HEADER_H
#define MC_S3_HEADER_H

#include <stddef.h>

/* S3's ETags are 32 hex digits, "-<parts>" for a multipart object: 79
 * characters is room for any server's, and more is not an ETag. */
#define MC_S3_ETAG_MAX 80

/* "HTTP/1.1 200 OK\r\n": 200. 0 if line (len bytes) is not a status line,
 * -1 if it is one without a usable code. */
long mc_s3_header_status(const char *line, size_t len);

/* "ETag: \"abc\"\r\n" (any case): "abc" into out (MC_S3_ETAG_MAX bytes),
 * 1. 0 if the line is another header. -1 if it is an ETag no server gives
 * (empty, too long, blanks or control characters inside): out is "". */
int mc_s3_header_etag(const char *line, size_t len, char *out);

#endif
