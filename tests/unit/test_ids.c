/* test_ids.c — cache ids: mc_id_new gives valid, distinct, version-4 ids;
 * mc_id_valid accepts only lower-case UUID text of the right shape. */
#include "common/ids.h"
#include "host/proto.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

#define ID_COUNT 1000

static int compare_ids(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void test_new(void)
{
    static char ids[ID_COUNT][MC_ID_LEN + 1];
    int all_valid = 1;
    int all_v4 = 1;
    int all_variant = 1;
    int distinct = 1;
    int i;

    for (i = 0; i < ID_COUNT; i++) {
        mc_id_new(ids[i]);
        if (strlen(ids[i]) != MC_ID_LEN || !mc_id_valid(ids[i]))
            all_valid = 0;
        if (ids[i][14] != '4')
            all_v4 = 0;
        if (!strchr("89ab", ids[i][19]) || ids[i][19] == '\0')
            all_variant = 0;
    }
    ok(all_valid, "%d new ids are %d-character valid ids (e.g. %s)", ID_COUNT, MC_ID_LEN,
       ids[0]);
    ok(all_v4, "every new id is version 4 (character 14 is '4')");
    ok(all_variant, "every new id has the RFC 4122 variant (character 19 in 89ab)");
    qsort(ids, ID_COUNT, sizeof(ids[0]), compare_ids);
    for (i = 1; i < ID_COUNT; i++) {
        if (strcmp(ids[i - 1], ids[i]) == 0)
            distinct = 0;
    }
    ok(distinct, "%d new ids are all distinct", ID_COUNT);
}

static void test_valid(void)
{
    static const char good[] = "123e4567-e89b-42d3-a456-426614174000";
    static const char *const bad[] = {
        "",
        "123E4567-e89b-42d3-a456-426614174000",     /* upper case */
        "123e4567-e89b-42d3-a456-42661417400A",
        "123e4567-e89b-42d3-a456-42661417400g",     /* not hex */
        "123e4567-e89b-42d3-a456-426614174000x",    /* 37 characters */
        "123e4567-e89b-42d3-a456-42661417400",      /* 35 characters */
        "123e4567e-89b-42d3-a456-426614174000",     /* dash moved */
        "123e4567-e89b42-d3-a456-426614174000",
        "123e4567-e89b-42d3a-456-426614174000",
        "123e4567-e89b-42d3-a4564-26614174000",
        "123e45670e89b042d30a4560426614174000",     /* no dashes */
        "123e4567-e89b-42d3-a456-4266141740-0",     /* an extra dash */
        "{23e4567-e89b-42d3-a456-426614174000",
        "../../../../../../../../../../../etc",
        "123e4567-e89b-42d3-a456-42661417400/",
    };
    size_t i;

    is_int(mc_id_valid(good), 1, "%s is valid", good);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        is_int(mc_id_valid(bad[i]), 0, "\"%s\" is not valid", bad[i]);
    is_int(mc_id_valid_n("123e4567-e89b-42d3-a456-426614174000/meta.json", MC_ID_LEN), 1,
           "mc_id_valid_n looks at the first %d characters only", MC_ID_LEN);
    is_int(mc_id_valid_n(good, MC_ID_LEN - 1), 0, "mc_id_valid_n refuses a short length");
}

int main(void)
{
    test_new();
    test_valid();
    return done_testing();
}
