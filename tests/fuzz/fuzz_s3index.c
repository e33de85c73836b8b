/* fuzz_s3index.c — libFuzzer target: a cache's index as read back from S3
 * (anyone with write access to the bucket can change it), and the AWS
 * profile files' INI. */
#include "s3/creds.h"
#include "s3/tree.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mc_tree tree;
    struct mc_err err;
    char *text = malloc(size + 1);

    if (!text)
        return 0;
    if (mc_index_read((const char *)data, size, &tree, &err) == 0) {
        char *again = mc_index_write(&tree, "id");

        free(again);
        mc_tree_free(&tree);
    }
    memcpy(text, data, size);
    text[size] = '\0';
    free(mc_ini_get(text, "default", "aws_access_key_id"));
    free(mc_ini_get(text, "profile x", "region"));
    free(text);
    return 0;
}
