/* header.c — an HTTP answer's head, line by line (see header.h). Every
 * read stays within the len bytes given: curl's lines end with no NUL. */
#include "header.h"

#include <string.h>
#include <strings.h>

#define MC_HTTP_STATUS_MAX 999

long mc_s3_header_status(const char *line, size_t len)
{
    size_t i = 5;
    long code = 0;
    int digits = 0;

    if (len < 5 || memcmp(line, "HTTP/", 5) != 0)
        return 0;
    while (i < len && line[i] != ' ')
        i++;
    while (i < len && line[i] == ' ')
        i++;
    for (; i < len && line[i] >= '0' && line[i] <= '9' && digits < 3; i++, digits++)
        code = code * 10 + (line[i] - '0');
    if (digits != 3 || code < 100 || code > MC_HTTP_STATUS_MAX ||
        (i < len && line[i] != ' ' && line[i] != '\r' && line[i] != '\n'))
        return -1;
    return code;
}

static int blank_or_quote(char c)
{
    return c == ' ' || c == '\t' || c == '"' || c == '\r' || c == '\n';
}

int mc_s3_header_etag(const char *line, size_t len, char *out)
{
    const char *value;
    size_t value_len;
    size_t i;

    if (len < 5 || strncasecmp(line, "etag:", 5) != 0)
        return 0;
    out[0] = '\0';
    value = line + 5;
    value_len = len - 5;
    while (value_len && blank_or_quote(*value)) {
        value++;
        value_len--;
    }
    while (value_len && blank_or_quote(value[value_len - 1]))
        value_len--;
    if (value_len == 0 || value_len >= MC_S3_ETAG_MAX)
        return -1;
    for (i = 0; i < value_len; i++) {
        unsigned char c = (unsigned char)value[i];

        if (c <= ' ' || c >= 0x7f || c == '"')
            return -1;
    }
    memcpy(out, value, value_len);
    out[value_len] = '\0';
    return 1;
}
