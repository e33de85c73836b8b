/* ids.h — cache ids: 128-bit random UUID v4 in lower-case text, as the Python
 * "Monolith Caching" package names its cache directories. */
#ifndef MC_IDS_H
#define MC_IDS_H

#include <stddef.h>

/* Writes a fresh id and its NUL into out (MC_ID_LEN + 1 bytes). */
void mc_id_new(char *out);
/* 1 if text[0..len) is a lower-case UUID text of MC_ID_LEN characters. */
int mc_id_valid_n(const char *text, size_t len);
int mc_id_valid(const char *text);

#endif
