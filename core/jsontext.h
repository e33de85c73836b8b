/* jsontext.h — JSON as monocache prints it for people: two-space indentation
 * (cJSON's own printer indents with tabs). For scripts, cJSON_PrintUnformatted
 * gives one line. */
#ifndef MC_JSONTEXT_H
#define MC_JSONTEXT_H

#include <cjson/cJSON.h>

/* Indented text of item: malloc'd, or NULL if out of memory. */
char *mc_json_pretty(const cJSON *item);

#endif
