/* jsontext.h — JSON text as monocache reads and prints it.
 *
 * meta.json is written by Python too: its json module writes integers of any
 * size and NaN, Infinity and -Infinity, which cJSON would round to doubles or
 * refuse. mc_json_parse keeps every number as the text it was (a raw item),
 * so a meta edit changes only the keys it edits. For people, two-space
 * indentation (cJSON's own printer indents with tabs); for scripts,
 * cJSON_PrintUnformatted gives one line. */
#ifndef MC_JSONTEXT_H
#define MC_JSONTEXT_H

#include <cjson/cJSON.h>

/* Parses text[0..len) (no NUL needed) as one JSON value, numbers kept as
 * their text (cJSON_Raw items). NULL if it is not JSON. */
cJSON *mc_json_parse(const char *text, size_t len);

/* Indented text of item: malloc'd, or NULL if out of memory. */
char *mc_json_pretty(const cJSON *item);

#endif
