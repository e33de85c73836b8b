/* setting.c — settings named as the user gave them (see setting.h). */
#include "setting.h"

#include <stdio.h>
#include <string.h>

#define MC_SETTINGS_MAX 16
#define MC_SETTING_NAME_MAX 64
#define MC_SETTING_TEXT_MAX 4096

struct from_option {
    char var[MC_SETTING_NAME_MAX];
    char option[MC_SETTING_NAME_MAX];
};

static struct from_option known[MC_SETTINGS_MAX];
static size_t known_count;

void mc_setting_from_option(const char *var, const char *option)
{
    size_t i;

    if (strlen(var) >= MC_SETTING_NAME_MAX || strlen(option) >= MC_SETTING_NAME_MAX)
        return;
    for (i = 0; i < known_count && strcmp(known[i].var, var) != 0; i++)
        ;
    if (i == known_count) {
        if (known_count == MC_SETTINGS_MAX)
            return;
        known_count++;
    }
    snprintf(known[i].var, sizeof(known[i].var), "%s", var);
    snprintf(known[i].option, sizeof(known[i].option), "%s", option);
}

void mc_settings_from_text(const char *text)
{
    char var[MC_SETTING_NAME_MAX];
    char option[MC_SETTING_NAME_MAX];
    const char *p = text;

    while (p && *p) {
        const char *equals = strchr(p, '=');
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);

        if (equals && equals < end && (size_t)(equals - p) < sizeof(var) &&
            (size_t)(end - equals - 1) < sizeof(option)) {
            snprintf(var, sizeof(var), "%.*s", (int)(equals - p), p);
            snprintf(option, sizeof(option), "%.*s", (int)(end - equals - 1), equals + 1);
            if (strncmp(var, "MONOCACHE_", 10) == 0 && strncmp(option, "--", 2) == 0)
                mc_setting_from_option(var, option);
        }
        p = comma ? comma + 1 : NULL;
    }
}

int mc_settings_text(char *out, size_t size)
{
    size_t used = 0;
    size_t i;
    int n;

    if (size)
        out[0] = '\0';
    for (i = 0; i < known_count; i++) {
        n = snprintf(out + used, size - used, "%s%s=%s", used ? "," : "", known[i].var,
                     known[i].option);
        if (n < 0 || (size_t)n >= size - used)
            return -1;
        used += (size_t)n;
    }
    return 0;
}

const char *mc_setting_name(const char *var)
{
    size_t i;

    for (i = 0; i < known_count; i++) {
        if (strcmp(known[i].var, var) == 0)
            return known[i].option;
    }
    return var;
}

const char *mc_setting(const char *var, const char *value)
{
    static __thread char slots[MC_SETTING_SLOTS][MC_SETTING_TEXT_MAX];
    static __thread unsigned next;
    const char *name = mc_setting_name(var);
    char *out = slots[next++ % MC_SETTING_SLOTS];

    snprintf(out, MC_SETTING_TEXT_MAX, "%s%s%s", name, name == var ? "=" : " ",
             value ? value : "");
    return out;
}
