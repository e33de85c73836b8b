/* jsontext.c — two-space JSON (see jsontext.h). cJSON_Print writes a tab per
 * level at the start of a line and one after each ':'; a tab inside a string
 * is always escaped as \t, so every raw tab is layout. */
#include "jsontext.h"

#include <stdlib.h>
#include <string.h>

#define MC_JSON_INDENT "  "

char *mc_json_pretty(const cJSON *item)
{
    char *tabbed = cJSON_Print(item);
    size_t tabs = 0;
    char *pretty;
    char *out;
    char *p;

    if (!tabbed)
        return NULL;
    for (p = tabbed; *p; p++)
        tabs += *p == '\t';
    pretty = malloc(strlen(tabbed) + tabs * (sizeof(MC_JSON_INDENT) - 1) + 1);
    if (!pretty) {
        free(tabbed);
        return NULL;
    }
    for (p = tabbed, out = pretty; *p; p++) {
        if (*p != '\t') {
            *out++ = *p;
        } else if (p > tabbed && p[-1] == ':') {
            *out++ = ' ';
        } else {
            memcpy(out, MC_JSON_INDENT, sizeof(MC_JSON_INDENT) - 1);
            out += sizeof(MC_JSON_INDENT) - 1;
        }
    }
    *out = '\0';
    free(tabbed);
    return pretty;
}
