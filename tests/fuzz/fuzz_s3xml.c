/* fuzz_s3xml.c — libFuzzer target: every parser of S3's XML answers on the
 * same bytes (they come from a server we do not control). */
#include "s3/xml.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *xml = (const char *)data;
    struct mc_s3_listing listing = { 0 };
    struct mc_err err;
    char code[64], message[128];

    mc_s3_parse_listing(xml, size, &listing, &err);
    mc_s3_listing_free(&listing);
    mc_s3_parse_error(xml, size, code, sizeof(code), message, sizeof(message));
    free(mc_s3_parse_upload_id(xml, size));
    free(mc_s3_parse_complete_etag(xml, size));
    mc_s3_parse_delete_errors(xml, size, &err);
    return 0;
}
