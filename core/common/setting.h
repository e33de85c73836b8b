/* setting.h — how a message names a setting: as the user gave it, the
 * variable (MONOCACHE_EXISTING=/x) or the command-line option that set it
 * (--existing /x). `monocache run --existing ID` passes its options to the
 * watcher as variables, and tells it which came from options in
 * MONOCACHE_OPTIONS ("MONOCACHE_EXISTING=--existing,..."), so that the
 * watcher's errors name what was typed. */
#ifndef MC_SETTING_H
#define MC_SETTING_H

#include <stddef.h>

/* The variable `var` was set from the option `option` ("--existing"). */
void mc_setting_from_option(const char *var, const char *option);
/* Reads a MONOCACHE_OPTIONS value (NULL: nothing). */
void mc_settings_from_text(const char *text);
/* The MONOCACHE_OPTIONS value for the options recorded so far, into out;
 * -1 if it does not fit. */
int mc_settings_text(char *out, size_t size);
/* "VAR=value", or "--option value": a thread's own buffer, good until its
 * MC_SETTING_SLOTS-th next call. */
const char *mc_setting(const char *var, const char *value);
/* The option's name, or the variable's. */
const char *mc_setting_name(const char *var);

#define MC_SETTING_SLOTS 4

#endif
