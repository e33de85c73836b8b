/* test_jsontext.c — mc_json_parse keeps numbers as written (Python's big
 * integers, NaN, Infinity) and leaves strings alone; mc_json_pretty indents
 * with two spaces and prints no tab. Pure: no files. */
#include "common/jsontext.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

/* Parse, print compact, compare. */
static void round_trip(const char *text, const char *want, const char *what)
{
    cJSON *parsed = mc_json_parse(text, strlen(text));
    char *printed = parsed ? cJSON_PrintUnformatted(parsed) : NULL;

    is_str(printed, want, "%s", what);
    free(printed);
    cJSON_Delete(parsed);
}

static void test_numbers(void)
{
    round_trip("{\"t\":1795877821410322777}", "{\"t\":1795877821410322777}",
               "an integer beyond 2^53 keeps every digit");
    round_trip("{\"a\":NaN,\"b\":Infinity,\"c\":-Infinity}", "{\"a\":NaN,\"b\":Infinity,\"c\":-Infinity}",
               "Python's NaN and infinities survive");
    round_trip("[1.0, 1e400, -0, 2.50]", "[1.0,1e400,-0,2.50]", "numbers print as they were written");
    round_trip("{\"s\":\"NaN 12 -3 \\\" 4\",\"n\":[{\"k\":7}]}", "{\"s\":\"NaN 12 -3 \\\" 4\",\"n\":[{\"k\":7}]}",
               "digits and words inside strings are strings");
    round_trip("{\"k\\\"1\":-1}", "{\"k\\\"1\":-1}", "an escaped quote in a key");
}

static void test_refused(void)
{
    ok(mc_json_parse("{\"a\":", 5) == NULL, "a truncated object is not JSON");
    ok(mc_json_parse("nan", 3) == NULL, "lower-case nan is not JSON");
    ok(mc_json_parse("{\"a\":1} x", 9) == NULL, "trailing garbage is refused");
    ok(mc_json_parse("", 0) == NULL, "nothing is not JSON");
}

static void test_pretty(void)
{
    cJSON *parsed = mc_json_parse("{\"a\":{\"b\":[1,\"x\\ty\"]}}", 22);
    char *text = parsed ? mc_json_pretty(parsed) : NULL;

    is_str(text, "{\n  \"a\": {\n    \"b\": [1, \"x\\ty\"]\n  }\n}", "two spaces per level");
    ok(text && !strchr(text, '\t'), "no tab anywhere (a tab in a string stays escaped)");
    free(text);
    cJSON_Delete(parsed);
}

int main(void)
{
    test_numbers();
    test_refused();
    test_pretty();
    return done_testing();
}
