/* ids.h — cache ids: 128-bit random UUID v4 in lower-case text, as the Python
 * "Monolith Caching" package names its cache directories. Checking ids and
 * names is in names.h. */
#ifndef MC_IDS_H
#define MC_IDS_H

#include "host/names.h"

/* Writes a fresh id and its NUL into out (MC_UUID_LEN + 1 bytes at least). */
void mc_id_new(char *out);

#endif
