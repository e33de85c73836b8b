/* test_config.c — the MONOCACHE_* environment, read through a fake getenv
 * (a small table), never the real one: defaults, every variable with good
 * and bad values, and that a refusal names its variable and leaves nothing
 * to free (run under valgrind --leak-check=full). */
#include "common/config.h"
#include "host/proto.h"
#include "fakeenv.h"
#include "tap.h"

#include <stdio.h>
#include <string.h>


static int load_one(const char *name, const char *value, struct mc_config *cfg,
                    struct mc_err *err)
{
    struct fake_var vars[] = { { name, value }, { NULL, NULL } };

    mc_err_clear(err);
    return mc_config_load(cfg, fake_getenv, vars, err);
}

static int config_is_empty(const struct mc_config *cfg)
{
    return !cfg->root && !cfg->tmpdir && !cfg->existing && !cfg->inherited_path &&
           !cfg->log_file && !cfg->meta && !cfg->exports && cfg->export_count == 0;
}

/* name=value must be refused with one line that names the variable. */
static void check_refused(const char *name, const char *value, const char *shown)
{
    struct mc_config cfg;
    struct mc_err err;

    is_int(load_one(name, value, &cfg, &err), -1, "%s=%s is refused", name, shown);
    ok(strstr(err.msg, name) != NULL, "the message names %s: %s", name, err.msg);
    ok(strchr(err.msg, '\n') == NULL, "the message is one line");
    ok(config_is_empty(&cfg), "nothing is left to free after refusing %s", name);
}

static void test_defaults(void)
{
    struct fake_var none[] = { { NULL, NULL } };
    struct mc_config cfg;
    struct mc_err err;

    mc_err_clear(&err);
    is_int(mc_config_load(&cfg, fake_getenv, none, &err), 0, "an empty environment loads");
    is_int(cfg.log_level, MC_LOG_ERROR, "default log level is error");
    is_int(cfg.on_error, MC_ON_ERROR_FAIL, "default on_error is fail");
    is_int(cfg.lock, 0, "default lock is 0");
    is_int(cfg.new_cache, 0, "default new is 0");
    ok(cfg.meta == NULL, "no meta by default");
    ok(cfg.root == NULL && cfg.tmpdir == NULL, "no root and no TMPDIR by default");
    ok(cfg.existing == NULL && cfg.inherited_path == NULL && cfg.log_file == NULL,
       "no existing, inherited path or log file by default");
    ok(cfg.exports == NULL && cfg.export_count == 0, "no exports by default");
    mc_config_free(&cfg);
}

static void test_text_values(void)
{
    struct fake_var vars[] = {
        { MC_ENV_ROOT, "/srv/mc" },
        { "TMPDIR", "/scratch" },
        { MC_ENV_EXISTING, "/srv/mc/cache/x" },
        { MC_ENV_PATH, "/srv/mc/cache/y" },
        { MC_ENV_LOG_FILE, "/var/log/mc.log" },
        { NULL, NULL },
    };
    struct fake_var empty[] = {
        { MC_ENV_ROOT, "" },
        { "TMPDIR", "" },
        { MC_ENV_EXISTING, "" },
        { MC_ENV_PATH, "" },
        { MC_ENV_LOG_FILE, "" },
        { MC_ENV_META, "" },
        { MC_ENV_EXPORT, "" },
        { NULL, NULL },
    };
    struct mc_config cfg;
    struct mc_err err;

    is_int(mc_config_load(&cfg, fake_getenv, vars, &err), 0, "path variables load");
    is_str(cfg.root, "/srv/mc", MC_ENV_ROOT);
    is_str(cfg.tmpdir, "/scratch", "TMPDIR");
    is_str(cfg.existing, "/srv/mc/cache/x", MC_ENV_EXISTING);
    is_str(cfg.inherited_path, "/srv/mc/cache/y", MC_ENV_PATH);
    is_str(cfg.log_file, "/var/log/mc.log", MC_ENV_LOG_FILE);
    mc_config_free(&cfg);
    ok(config_is_empty(&cfg), "mc_config_free leaves an empty config");

    is_int(mc_config_load(&cfg, fake_getenv, empty, &err), 0, "empty values load");
    ok(config_is_empty(&cfg), "an empty value counts as unset");
    mc_config_free(&cfg);
}

/* The field set by MONOCACHE_LOCK or MONOCACHE_NEW. */
static int flag_of(const struct mc_config *cfg, const char *name)
{
    return strcmp(name, MC_ENV_LOCK) == 0 ? cfg->lock : cfg->new_cache;
}

static void test_flag(const char *name)
{
    struct mc_config cfg;
    struct mc_err err;

    is_int(load_one(name, "1", &cfg, &err), 0, "%s=1 loads", name);
    is_int(flag_of(&cfg, name), 1, "%s=1 sets the flag", name);
    mc_config_free(&cfg);
    is_int(load_one(name, "0", &cfg, &err), 0, "%s=0 loads", name);
    is_int(flag_of(&cfg, name), 0, "%s=0 clears the flag", name);
    mc_config_free(&cfg);
    is_int(load_one(name, "", &cfg, &err), 0, "%s= (empty) loads", name);
    is_int(flag_of(&cfg, name), 0, "%s= (empty) is 0", name);
    mc_config_free(&cfg);
    {
        static const char *const trues[] = { "true", "TRUE", "yes", "Yes", "on", "ON" };
        static const char *const falses[] = { "false", "False", "no", "NO", "off", "Off" };
        size_t i;

        for (i = 0; i < sizeof(trues) / sizeof(trues[0]); i++) {
            is_int(load_one(name, trues[i], &cfg, &err), 0, "%s=%s loads", name, trues[i]);
            is_int(flag_of(&cfg, name), 1, "%s=%s sets the flag", name, trues[i]);
            mc_config_free(&cfg);
            is_int(load_one(name, falses[i], &cfg, &err), 0, "%s=%s loads", name, falses[i]);
            is_int(flag_of(&cfg, name), 0, "%s=%s clears it", name, falses[i]);
            mc_config_free(&cfg);
        }
    }
    check_refused(name, "maybe", "maybe");
    check_refused(name, "yess", "yess");
    check_refused(name, "2", "2");
    check_refused(name, "1 ", "'1 '");
}

static void test_log_levels(void)
{
    static const char *const names[] = { "error", "warn", "info", "debug" };
    static const enum mc_log_level levels[] = {
        MC_LOG_ERROR, MC_LOG_WARN, MC_LOG_INFO, MC_LOG_DEBUG
    };
    struct mc_config cfg;
    struct mc_err err;
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        is_int(load_one(MC_ENV_LOG, names[i], &cfg, &err), 0, MC_ENV_LOG "=%s loads", names[i]);
        is_int(cfg.log_level, levels[i], MC_ENV_LOG "=%s sets its level", names[i]);
        mc_config_free(&cfg);
    }
    check_refused(MC_ENV_LOG, "verbose", "verbose");
}

static void test_on_error(void)
{
    struct mc_config cfg;
    struct mc_err err;

    is_int(load_one(MC_ENV_ON_ERROR, "fail", &cfg, &err), 0, MC_ENV_ON_ERROR "=fail loads");
    is_int(cfg.on_error, MC_ON_ERROR_FAIL, MC_ENV_ON_ERROR "=fail");
    mc_config_free(&cfg);
    is_int(load_one(MC_ENV_ON_ERROR, "continue", &cfg, &err), 0,
           MC_ENV_ON_ERROR "=continue loads");
    is_int(cfg.on_error, MC_ON_ERROR_CONTINUE, MC_ENV_ON_ERROR "=continue");
    mc_config_free(&cfg);
    check_refused(MC_ENV_ON_ERROR, "ignore", "ignore");
}

static void test_meta(void)
{
    struct mc_config cfg;
    struct mc_err err;
    const cJSON *item;

    is_int(load_one(MC_ENV_META, "{\"team\":\"ml\",\"locked\":true,\"n\":[1,2]}", &cfg, &err),
           0, MC_ENV_META " with an object loads");
    ok(cJSON_IsObject(cfg.meta), "meta is an object");
    item = cJSON_GetObjectItemCaseSensitive(cfg.meta, "team");
    is_str(cJSON_IsString(item) ? item->valuestring : NULL, "ml", "meta keeps \"team\"");
    ok(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cfg.meta, "locked")),
       "meta keeps \"locked\": true");
    mc_config_free(&cfg);

    is_int(load_one(MC_ENV_META, " {\"locked\":false} \n", &cfg, &err), 0,
           MC_ENV_META " with \"locked\": false and white space loads");
    mc_config_free(&cfg);

    check_refused(MC_ENV_META, "{\"team\":", "{\"team\":");
    check_refused(MC_ENV_META, "team=ml", "team=ml");
    check_refused(MC_ENV_META, "[1,2]", "[1,2] (an array)");
    check_refused(MC_ENV_META, "\"text\"", "\"text\" (a string)");
    check_refused(MC_ENV_META, "{\"a\":1}x", "{\"a\":1}x (trailing garbage)");
    check_refused(MC_ENV_META, "{\"a\":1}{}", "{\"a\":1}{} (two objects)");
    check_refused(MC_ENV_META, "{\"id\":\"x\"}", "{\"id\":\"x\"} (reserved)");
    check_refused(MC_ENV_META, "{\"created\":\"x\"}", "{\"created\":\"x\"} (reserved)");
    check_refused(MC_ENV_META, "{\"locked\":\"yes\"}", "{\"locked\":\"yes\"}");
    check_refused(MC_ENV_META, "{\"locked\":1}", "{\"locked\":1}");
}

static void test_exports(void)
{
    struct mc_config cfg;
    struct mc_err err;

    is_int(load_one(MC_ENV_EXPORT, "TMPDIR,XDG_CACHE_HOME", &cfg, &err), 0,
           MC_ENV_EXPORT "=TMPDIR,XDG_CACHE_HOME loads");
    is_int(cfg.export_count, 2, "two names");
    if (cfg.export_count == 2) {
        is_str(cfg.exports[0], "TMPDIR", "first name");
        is_str(cfg.exports[1], "XDG_CACHE_HOME", "second name");
    }
    mc_config_free(&cfg);

    is_int(load_one(MC_ENV_EXPORT, ",A,,B,", &cfg, &err), 0, MC_ENV_EXPORT "=,A,,B, loads");
    is_int(cfg.export_count, 2, "empty entries are skipped");
    if (cfg.export_count == 2) {
        is_str(cfg.exports[0], "A", "first name");
        is_str(cfg.exports[1], "B", "second name");
    }
    mc_config_free(&cfg);

    is_int(load_one(MC_ENV_EXPORT, " TMPDIR , XDG_CACHE_HOME\t", &cfg, &err), 0,
           MC_ENV_EXPORT "=' TMPDIR , XDG_CACHE_HOME' loads: blanks around names are fine");
    is_int(cfg.export_count, 2, "two names");
    if (cfg.export_count == 2) {
        is_str(cfg.exports[0], "TMPDIR", "first name, trimmed");
        is_str(cfg.exports[1], "XDG_CACHE_HOME", "second name, trimmed");
    }
    mc_config_free(&cfg);

    is_int(load_one(MC_ENV_EXPORT, ",,", &cfg, &err), 0, MC_ENV_EXPORT "=,, loads");
    ok(cfg.exports == NULL && cfg.export_count == 0, "only commas: no names");
    mc_config_free(&cfg);

    check_refused(MC_ENV_EXPORT, "1A", "1A");
    check_refused(MC_ENV_EXPORT, "A-B", "A-B");
    check_refused(MC_ENV_EXPORT, "A B", "'A B'");
    check_refused(MC_ENV_EXPORT, "A,B=c", "A,B=c");
    check_refused(MC_ENV_EXPORT, "A\nB", "A\\nB");
    check_refused(MC_ENV_EXPORT, "LD_PRELOAD", "LD_PRELOAD");
    check_refused(MC_ENV_EXPORT, "TMPDIR,LD_LIBRARY_PATH", "TMPDIR,LD_LIBRARY_PATH");
    check_refused(MC_ENV_EXPORT, "MONOCACHE_PATH", "MONOCACHE_PATH");
    check_refused(MC_ENV_EXPORT, "A,B,MONOCACHE_HOLD", "A,B,MONOCACHE_HOLD");
    check_refused(MC_ENV_EXPORT, "TMPDIR, PATH", "TMPDIR, PATH");
    check_refused(MC_ENV_EXPORT, "IFS", "IFS");
    check_refused(MC_ENV_EXPORT, "PWD", "PWD");

    ok(mc_export_name_ok("_x9"), "_x9 is a variable name");
    ok(!mc_export_name_ok(""), "the empty string is not a variable name");
    ok(!mc_export_name_ok("x.y"), "x.y is not a variable name");
}

static void test_root_control_chars(void)
{
    check_refused(MC_ENV_ROOT, "/srv/mc\nx", "/srv/mc\\nx");
    check_refused(MC_ENV_ROOT, "/srv/mc\tx", "/srv/mc\\tx");
}

/* Everything allocated before the last variable is refused; valgrind
 * reports it if the failure path leaks it. */
static void test_late_failure(void)
{
    struct fake_var vars[] = {
        { MC_ENV_ROOT, "/srv/mc" },
        { "TMPDIR", "/scratch" },
        { MC_ENV_EXISTING, "/srv/mc/cache/x" },
        { MC_ENV_PATH, "/srv/mc/cache/y" },
        { MC_ENV_LOG_FILE, "/var/log/mc.log" },
        { MC_ENV_LOG, "debug" },
        { MC_ENV_LOCK, "1" },
        { MC_ENV_META, "{\"team\":\"ml\"}" },
        { MC_ENV_EXPORT, "TMPDIR,XDG_CACHE_HOME,LD_PRELOAD" },
        { NULL, NULL },
    };
    struct mc_config cfg;
    struct mc_err err;

    mc_err_clear(&err);
    is_int(mc_config_load(&cfg, fake_getenv, vars, &err), -1,
           "a bad last variable fails the whole load");
    ok(strstr(err.msg, MC_ENV_EXPORT) != NULL, "the message names " MC_ENV_EXPORT ": %s",
       err.msg);
    ok(config_is_empty(&cfg), "nothing is left to free");

    vars[7].value = "{\"id\":\"x\"}";
    is_int(mc_config_load(&cfg, fake_getenv, vars, &err), -1,
           "a bad meta after the text variables fails the load");
    ok(strstr(err.msg, MC_ENV_META) != NULL, "the message names " MC_ENV_META ": %s", err.msg);
    ok(config_is_empty(&cfg), "nothing is left to free");
}

int main(void)
{
    test_defaults();
    test_text_values();
    test_flag(MC_ENV_LOCK);
    test_flag(MC_ENV_NEW);
    test_log_levels();
    test_on_error();
    test_meta();
    test_exports();
    test_root_control_chars();
    test_late_failure();
    return done_testing();
}
