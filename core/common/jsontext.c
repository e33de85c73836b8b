/* jsontext.c — parsing JSON with its numbers kept as written, and printing
 * it with two-space indentation (see jsontext.h). */
#include "jsontext.h"

#include <stdlib.h>
#include <string.h>

#define MC_JSON_INDENT "  "
#define MC_JSON_NUMBERS_FIRST_CAP 16

/* The number tokens of a JSON text, in order. */
struct numbers {
    char **texts;
    size_t count;
    size_t cap;
    size_t next;    /* the next one to hand out */
};

static int add_number(struct numbers *numbers, const char *start, size_t len)
{
    char *text;

    if (numbers->count == numbers->cap) {
        size_t cap = numbers->cap ? numbers->cap * 2 : MC_JSON_NUMBERS_FIRST_CAP;
        char **grown = realloc(numbers->texts, cap * sizeof(*grown));

        if (!grown)
            return -1;
        numbers->texts = grown;
        numbers->cap = cap;
    }
    text = strndup(start, len);
    if (!text)
        return -1;
    numbers->texts[numbers->count++] = text;
    return 0;
}

static void free_numbers(struct numbers *numbers)
{
    size_t i;

    for (i = 0; i < numbers->count; i++)
        free(numbers->texts[i]);
    free(numbers->texts);
}

static size_t starts_with(const char *p, const char *end, const char *word)
{
    size_t len = strlen(word);

    return (size_t)(end - p) >= len && memcmp(p, word, len) == 0 ? len : 0;
}

/* Copies text into out (NUL-terminated; at most len + 1 bytes used),
 * recording every number token outside strings, and writing 0 for Python's
 * NaN, Infinity and -Infinity so that cJSON takes them. */
static int scan(const char *text, size_t len, char *out, struct numbers *numbers)
{
    const char *end = text + len;
    const char *p = text;
    int in_string = 0;

    while (p < end) {
        size_t special = 0;
        const char *start = p;

        if (in_string) {
            if (*p == '\\' && p + 1 < end)
                *out++ = *p++;
            else if (*p == '"')
                in_string = 0;
            *out++ = *p++;
            continue;
        }
        if (*p == '"') {
            in_string = 1;
            *out++ = *p++;
            continue;
        }
        special = starts_with(p, end, "NaN");
        if (!special)
            special = starts_with(p, end, "Infinity");
        if (!special)
            special = starts_with(p, end, "-Infinity");
        if (special) {
            if (add_number(numbers, p, special) != 0)
                return -1;
            p += special;
            *out++ = '0';
            continue;
        }
        if (*p != '-' && !(*p >= '0' && *p <= '9')) {
            *out++ = *p++;
            continue;
        }
        while (p < end && ((*p >= '0' && *p <= '9') || *p == '-' || *p == '+' || *p == '.' ||
                           *p == 'e' || *p == 'E'))
            *out++ = *p++;
        if (add_number(numbers, start, (size_t)(p - start)) != 0)
            return -1;
    }
    *out = '\0';
    return 0;
}

/* In document order, which is the order of the tokens: each number becomes
 * the raw text it was written as. 0, or -1 if they do not pair up. */
static int keep_numbers(cJSON *item, struct numbers *numbers)
{
    cJSON *child;

    if (cJSON_IsNumber(item)) {
        if (numbers->next >= numbers->count)
            return -1;
        item->type = cJSON_Raw;
        item->valuestring = numbers->texts[numbers->next];
        numbers->texts[numbers->next++] = NULL;
        return 0;
    }
    for (child = item->child; child; child = child->next) {
        if (keep_numbers(child, numbers) != 0)
            return -1;
    }
    return 0;
}

cJSON *mc_json_parse(const char *text, size_t len)
{
    struct numbers numbers = { NULL, 0, 0, 0 };
    char *copy = malloc(len + 1);
    cJSON *parsed = NULL;

    if (copy && scan(text, len, copy, &numbers) == 0)
        parsed = cJSON_ParseWithOpts(copy, NULL, 1);
    if (parsed && (keep_numbers(parsed, &numbers) != 0 || numbers.next != numbers.count)) {
        cJSON_Delete(parsed);
        parsed = NULL;
    }
    free_numbers(&numbers);
    free(copy);
    return parsed;
}

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
