/* request.c — one S3 request made and signed for the wire (see request.h):
 * the URL from url.c, the canonical query and the Authorization header
 * from sigv4.c. */
#include "request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MC_S3_URL_MAX (16 * 1024)
#define MC_S3_SERVICE "s3"

static void payload_hash(const struct mc_s3_request *req, char *out)
{
    if (req->payload == MC_S3_PAYLOAD_BYTES)
        mc_sha256_hex(req->body, req->body_len, out);
    else if (req->payload == MC_S3_PAYLOAD_STREAM)
        snprintf(out, MC_SHA256_HEX_LEN + 1, "%s", MC_SIGV4_UNSIGNED);
    else
        mc_sha256_hex("", 0, out);
}

/* Every header signed and sent, ours first; their count. */
static size_t signed_headers(const struct mc_s3_signer *signer, const struct mc_s3_request *req,
                             const char *date, const char *payload, struct mc_pair *out)
{
    size_t count = 0;
    size_t i;

    out[count++] = (struct mc_pair){ "host", signer->endpoint->host };
    out[count++] = (struct mc_pair){ "x-amz-date", date };
    out[count++] = (struct mc_pair){ "x-amz-content-sha256", payload };
    if (signer->creds->session_token)
        out[count++] = (struct mc_pair){ "x-amz-security-token", signer->creds->session_token };
    for (i = 0; i < req->header_count; i++)
        out[count++] = req->headers[i];
    return count;
}

static int add_line(struct mc_s3_wire *wire, const char *name, const char *value)
{
    char *line = mc_concat(name, ": ", value, NULL);

    if (!line)
        return -1;
    wire->lines[wire->line_count++] = line;
    return 0;
}

static int sign(struct mc_s3_wire *wire, const struct mc_s3_signer *signer,
                const struct mc_s3_request *req, const char *raw_path, const char *date,
                struct mc_err *err)
{
    struct mc_pair headers[MC_S3_WIRE_LINES_MAX - 1];
    char payload[MC_SHA256_HEX_LEN + 1];
    struct mc_sigv4_key key = { signer->creds->access_key, signer->creds->secret_key,
                                signer->region, MC_S3_SERVICE };
    struct mc_sigv4_request signed_req;
    struct mc_buf auth;
    size_t count;
    size_t i;
    int rc = 0;

    payload_hash(req, payload);
    count = signed_headers(signer, req, date, payload, headers);
    signed_req = (struct mc_sigv4_request){ req->method, raw_path, req->query, req->query_count,
                                            headers, count, payload };
    mc_buf_init(&auth, MC_S3_URL_MAX);
    if (mc_sigv4_authorization(&auth, &signed_req, &key, date) != 0) {
        mc_err_set(err, "S3: cannot sign the request");
        rc = -1;
    } else {
        for (i = 0; rc == 0 && i < count; i++)
            rc = add_line(wire, headers[i].name, headers[i].value);
        if (rc == 0)
            rc = add_line(wire, "Authorization", mc_buf_str(&auth));
        if (rc != 0)
            mc_err_set(err, "S3: out of memory");
    }
    if (auth.data)
        memset(auth.data, 0, auth.len);
    mc_buf_free(&auth);
    return rc;
}

int mc_s3_request_sign(struct mc_s3_wire *wire, const struct mc_s3_signer *signer,
                       const struct mc_s3_request *req, const char *amz_date,
                       struct mc_err *err)
{
    struct mc_buf raw_path, query;
    int rc;

    memset(wire, 0, sizeof(*wire));
    mc_buf_init(&wire->url, MC_S3_URL_MAX);
    if (req->query_count > MC_S3_QUERY_MAX || req->header_count > MC_S3_HEADERS_MAX) {
        mc_err_set(err, "S3: too many query parameters or headers");
        return -1;
    }
    mc_buf_init(&raw_path, MC_S3_URL_MAX);
    mc_buf_init(&query, MC_S3_URL_MAX);
    rc = mc_s3_request_path(signer->endpoint, signer->bucket, req->key, &raw_path);
    rc |= mc_sigv4_canonical_query(&query, req->query, req->query_count);
    rc |= mc_s3_request_url(signer->endpoint, mc_buf_str(&raw_path), mc_buf_str(&query),
                            &wire->url);
    if (rc != 0)
        mc_err_set(err, "S3: key too long: %.200s", req->key);
    else
        rc = sign(wire, signer, req, mc_buf_str(&raw_path), amz_date, err);
    mc_buf_free(&raw_path);
    mc_buf_free(&query);
    return rc;
}

void mc_s3_wire_free(struct mc_s3_wire *wire)
{
    size_t i;

    for (i = 0; i < wire->line_count; i++)
        free(wire->lines[i]);
    mc_buf_free(&wire->url);
    memset(wire, 0, sizeof(*wire));
}
