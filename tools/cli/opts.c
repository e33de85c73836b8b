/* opts.c — the options parser of every command (see opts.h). */
#include "opts.h"
#include "cli.h"

#include "common/setting.h"
#include "host/proto.h"
#include "redis/redisconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLI_PARSED 0
#define CLI_HELP_SHOWN (-1)

static const struct cli_opt *find_long(const struct cli_opt *opts, const char *arg, size_t len)
{
    for (; opts->name; opts++) {
        if (strlen(opts->name) == len && strncmp(opts->name, arg, len) == 0)
            return opts;
    }
    return NULL;
}

static const struct cli_opt *find_short(const struct cli_opt *opts, char letter)
{
    for (; opts->name; opts++) {
        if (opts->short_name && opts->short_name == letter)
            return opts;
    }
    return NULL;
}

static int takes_value(const struct cli_opt *opt)
{
    return opt->value || opt->each;
}

void cli_redis_url_only(void)
{
    unsetenv(MC_ENV_REDIS_HOST);
    unsetenv(MC_ENV_REDIS_PORT);
    unsetenv(MC_ENV_REDIS_SENTINEL);
    unsetenv(MC_ENV_REDIS_MASTER);
}

int cli_take_redis(const char *option, const char *url, void *ctx)
{
    (void)ctx;
    setenv(MC_ENV_REDIS, url, 1);
    mc_setting_from_option(MC_ENV_REDIS, option);
    cli_redis_url_only();
    return 0;
}

int cli_opt_error(const struct cli_parse *parse, const char *option, const char *value,
                  const char *why)
{
    return cli_bad_usage(parse->command, parse->usage, MC_EXIT_USAGE, "%s %s: %s", option,
                         value, why);
}

static int give(const struct cli_parse *parse, const struct cli_opt *opt, const char *value)
{
    if (opt->each)
        return opt->each(opt->name, value, parse->ctx) == 0 ? CLI_PARSED : MC_EXIT_USAGE;
    *opt->value = value;
    return CLI_PARSED;
}

/* One option at argv[*i]; takes its value from argv[*i + 1] if needed. */
static int one_option(const struct cli_parse *parse, int argc, char **argv, int *i)
{
    const char *arg = argv[*i];
    const char *equals = arg[1] == '-' ? strchr(arg, '=') : NULL;
    size_t len = equals ? (size_t)(equals - arg) : strlen(arg);
    const struct cli_opt *opt;

    if (arg[1] == '-')
        opt = find_long(parse->opts, arg, len);
    else
        opt = arg[2] == '\0' ? find_short(parse->opts, arg[1]) : NULL;
    if (!opt)
        return cli_bad_usage(parse->command, parse->usage, MC_EXIT_USAGE, "unknown option %.*s",
                             (int)len, arg);
    if (!takes_value(opt)) {
        if (equals)
            return cli_bad_usage(parse->command, parse->usage, MC_EXIT_USAGE,
                                 "%s takes no value", opt->name);
        *opt->flag = 1;
        return CLI_PARSED;
    }
    if (equals)
        return give(parse, opt, equals + 1);
    if (*i + 1 >= argc || strcmp(argv[*i + 1], "--") == 0)
        return cli_bad_usage(parse->command, parse->usage, MC_EXIT_USAGE,
                             "%s needs an argument", arg);
    *i += 1;
    return give(parse, opt, argv[*i]);
}

/* Options and arguments, without counting the arguments. */
static int parse_all(const struct cli_parse *parse, int argc, char **argv, int *count)
{
    int kept = 1;
    int options = 1;
    int rc;
    int i;

    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];

        if (options && strcmp(arg, "--") == 0) {
            options = 0;
            continue;
        }
        if (!options || arg[0] != '-' || arg[1] == '\0') {
            argv[kept++] = argv[i];
            if (parse->stop_at_argument)
                options = 0;
            continue;
        }
        if (cli_is_help(arg)) {
            cli_help(parse->usage);
            return CLI_HELP_SHOWN;
        }
        rc = one_option(parse, argc, argv, &i);
        if (rc != CLI_PARSED)
            return rc;
    }
    *count = kept - 1;
    argv[kept] = NULL;
    return CLI_PARSED;
}

/* The number of arguments against what the command takes. */
static int check_count(const struct cli_parse *parse, int count, char **argv)
{
    if (count < parse->min_args)
        return cli_bad_usage(parse->command, parse->usage, MC_EXIT_USAGE, "%s", parse->missing);
    if (parse->max_args == CLI_ANY || count <= parse->max_args)
        return CLI_PARSED;
    if (parse->max_args == 1)
        return cli_bad_usage(parse->command, parse->usage, MC_EXIT_USAGE, "one cache at a time");
    return cli_bad_usage(parse->command, parse->usage, MC_EXIT_USAGE, "unexpected argument %s",
                         argv[parse->max_args + 1]);
}

int cli_parse(const struct cli_parse *parse, int argc, char **argv, int *count, int *status)
{
    int rc = parse_all(parse, argc, argv, count);

    if (rc == CLI_PARSED)
        rc = check_count(parse, *count, argv);
    *status = rc == CLI_HELP_SHOWN ? 0 : rc;
    return rc == CLI_PARSED;
}