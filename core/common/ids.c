/* ids.c — generating cache ids (see ids.h). */
#include "ids.h"

#include <uuid/uuid.h>

void mc_id_new(char *out)
{
    uuid_t uuid;

    uuid_generate_random(uuid);
    uuid_unparse_lower(uuid, out);
}
