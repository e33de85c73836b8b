/* ids.c — generating and checking cache ids (see ids.h). */
#include "ids.h"
#include "proto.h"

#include <string.h>
#include <uuid/uuid.h>

void mc_id_new(char *out)
{
    uuid_t uuid;

    uuid_generate_random(uuid);
    uuid_unparse_lower(uuid, out);
}

int mc_id_valid_n(const char *text, size_t len)
{
    size_t i;

    if (len != MC_ID_LEN)
        return 0;
    for (i = 0; i < len; i++) {
        char c = text[i];

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return 0;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

int mc_id_valid(const char *text)
{
    return mc_id_valid_n(text, strlen(text));
}
