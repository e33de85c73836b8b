/* fuzz_s3url.c — libFuzzer target: S3 URLs as users write them
 * (MONOCACHE_S3, MONOCACHE_EXISTING, --s3) and endpoint URLs. */
#include "host/proto.h"
#include "s3/url.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    struct mc_s3_location loc;
    struct mc_s3_endpoint ep;
    struct mc_buf path, url;
    struct mc_err err;
    char id[MC_ID_MAX + 1];
    char *key;

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (mc_s3_parse_location("F", text, &loc, &err) == 0) {
        key = mc_s3_cache_key(&loc, "id", "a/b");
        free(key);
        key = mc_s3_index_key(&loc, "id");
        free(key);
        mc_s3_split_cache(&loc, id);
        mc_s3_location_free(&loc);
    }
    if (mc_s3_endpoint_init(&ep, "F", text, "bucket", "us-east-1", &err) == 0) {
        mc_buf_init(&path, 1 << 16);
        mc_buf_init(&url, 1 << 16);
        mc_s3_request_path(&ep, "bucket", text, &path);
        mc_s3_request_url(&ep, mc_buf_str(&path), "a=b", &url);
        mc_buf_free(&path);
        mc_buf_free(&url);
        mc_s3_endpoint_free(&ep);
    }
    free(text);
    return 0;
}
