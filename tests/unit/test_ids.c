/* test_ids.c — cache ids: mc_id_new gives valid, distinct, version-4 ids;
 * mc_id_valid accepts names of [A-Za-z0-9][A-Za-z0-9._-]{0,127} only; the
 * file names made from an id read back to exactly that id. */
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
    static char ids[ID_COUNT][MC_ID_MAX + 1];
    int all_valid = 1;
    int all_v4 = 1;
    int all_variant = 1;
    int distinct = 1;
    int i;

    for (i = 0; i < ID_COUNT; i++) {
        mc_id_new(ids[i]);
        if (strlen(ids[i]) != MC_UUID_LEN || !mc_id_valid(ids[i]))
            all_valid = 0;
        if (ids[i][14] != '4')
            all_v4 = 0;
        if (!strchr("89ab", ids[i][19]) || ids[i][19] == '\0')
            all_variant = 0;
    }
    ok(all_valid, "%d new ids are %d-character valid ids (e.g. %s)", ID_COUNT, MC_UUID_LEN,
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
    static const char *const good[] = {
        "123e4567-e89b-42d3-a456-426614174000",     /* what we make */
        "123E4567-E89B-42D3-A456-426614174000",
        "a", "Z", "7",
        "nightly-build", "build_42", "v1.2.3", "a..b", "x-", "release.lock",
    };
    static const char *const bad[] = {
        "",
        ".hidden", "-dash", "_under",               /* first character */
        "a/b", "../etc", "a b", "a\tb", "caf\xc3\xa9", "a:b", "a*", "a\nb",
        "..", ".", "a/",
    };
    char longest[MC_ID_MAX + 2];
    char copy[MC_ID_MAX + 1];
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        is_int(mc_id_valid(good[i]), 1, "\"%s\" is a valid id", good[i]);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        is_int(mc_id_valid(bad[i]), 0, "\"%s\" is not valid", bad[i]);

    memset(longest, 'n', MC_ID_MAX);
    longest[MC_ID_MAX] = '\0';
    is_int(mc_id_valid(longest), 1, "a %d-character name is valid", MC_ID_MAX);
    longest[MC_ID_MAX] = 'n';
    longest[MC_ID_MAX + 1] = '\0';
    is_int(mc_id_valid(longest), 0, "a %d-character name is not", MC_ID_MAX + 1);
    mc_id_copy(copy, longest);
    is_int((long long)strlen(copy), MC_ID_MAX, "mc_id_copy copies at most %d characters",
           MC_ID_MAX);

    is_int(mc_id_valid_n("123e4567-e89b-42d3-a456-426614174000/meta.json", MC_UUID_LEN), 1,
           "mc_id_valid_n looks at the first %d characters only", MC_UUID_LEN);
    is_int(mc_id_valid_n("abc", 0), 0, "mc_id_valid_n refuses an empty length");
}

/* Each file name we make from an id is read back to that id, from its end,
 * even when the id itself holds the suffix's text; others are refused. */
static void test_file_names(void)
{
    char id[MC_ID_MAX + 1];

    is_int(mc_name_is_lock("job.lock", id), 1, "job.lock is a lock");
    is_str(id, "job", "of job");
    is_int(mc_name_is_lock("a.lock.lock", id), 1, "a.lock.lock is a lock");
    is_str(id, "a.lock", "of a.lock");
    is_int(mc_name_is_lock(".lock", id), 0, ".lock is not a lock (no id)");
    is_int(mc_name_is_lock(".x.lock", id), 0, ".x.lock is not (an id starts with a letter or digit)");
    is_int(mc_name_is_lock("job.lock.12.tmp", id), 0, "a lock's temporary file is not a lock");

    is_int(mc_name_is_lock_temp("job.lock.12.tmp", id), 1, "job.lock.12.tmp is a lock's temporary");
    is_str(id, "job", "of job");
    is_int(mc_name_is_lock_temp("a.lock.7.lock.12.tmp", id), 1,
           "a.lock.7.lock.12.tmp is a lock's temporary");
    is_str(id, "a.lock.7", "of a.lock.7");
    is_int(mc_name_is_lock_temp("job.lock..tmp", id), 0, "no pid: not a temporary");
    is_int(mc_name_is_lock_temp("job.lock.1x.tmp", id), 0, "a pid of digits only");

    is_int(mc_name_is_tombstone(".wipe-job.123", id), 1, ".wipe-job.123 is a tombstone");
    is_str(id, "job", "of job");
    is_int(mc_name_is_tombstone(".wipe-v1.2.123", id), 1, ".wipe-v1.2.123 is a tombstone");
    is_str(id, "v1.2", "of v1.2 (the pid is after the last dot)");
    is_int(mc_name_is_tombstone(".wipe-job", id), 0, "no pid: not a tombstone");
    is_int(mc_name_is_tombstone(".wipe-.5", id), 0, "no id: not a tombstone");
    is_int(mc_name_is_tombstone("wipe-job.5", id), 0, "no leading dot: not a tombstone");

    is_int(mc_name_is_pull_temp(".pull-job.9", id), 1, ".pull-job.9 is a pull's temporary");
    is_str(id, "job", "of job");
    is_int(mc_name_is_pull_guard("job.pull", id), 1, "job.pull is a pull guard");
    is_str(id, "job", "of job");
    is_int(mc_name_is_later("job.later", id), 1, "job.later is a later mark");
    is_str(id, "job", "of job");
    is_int(mc_name_is_later("job.later.lock", id), 0, "job.later.lock is not a later mark");
    is_int(mc_name_is_lock("job.later.lock", id), 1, "but the lock of job.later");
    is_str(id, "job.later", "of job.later");

    is_int(mc_path_is_lock("/r/run/job.lock"), 1, "/r/run/job.lock is a lock path");
    is_int(mc_path_is_lock("run/job.lock"), 0, "a relative path is not");
    is_int(mc_path_is_lock("/r/run/job.lock/"), 0, "a trailing slash is not");
}

int main(void)
{
    test_new();
    test_valid();
    test_file_names();
    return done_testing();
}
