/* opts.h — one parser for the options of every monocache command.
 *
 * Options may come anywhere among the arguments, until "--" (after it,
 * everything is an argument). A value is given as `--name VALUE` or
 * `--name=VALUE`; "--" is never taken as a value. Errors are one line
 * naming the option as typed, then the command's synopsis (cli_bad_usage),
 * status MC_EXIT_USAGE. */
#ifndef MC_OPTS_H
#define MC_OPTS_H

struct cli_opt {
    const char *name;       /* "--root" */
    char short_name;        /* 'n' for -n, or 0 */
    int *flag;              /* a flag: set to 1 */
    const char **value;     /* an option with a value: the last one given */
    /* an option with a value that may be repeated: each value, in order;
     * returns 0, or -1 having reported why (cli_opt_error) */
    int (*each)(const char *option, const char *value, void *ctx);
};

#define CLI_ANY (-1)
#define CLI_WHICH_CACHE "which cache? (an id or a path)"

struct cli_parse {
    const char *command;    /* "ls", for messages */
    const char *usage;      /* the command's usage text */
    const struct cli_opt *opts;     /* ended by an entry whose name is NULL */
    int min_args;           /* fewer arguments: `missing` is the error */
    int max_args;           /* more: "one cache at a time", or CLI_ANY */
    const char *missing;    /* "which cache? (an id or a path)" */
    void *ctx;              /* for `each` */
    int stop_at_argument;   /* run: the first argument is the program; the
                               rest are its own */
};

/* Parses argv[1..argc). The arguments that are not options are moved, in
 * order, to the front of argv from argv[1]; *count says how many. Returns
 * 1 to go on; 0 when the command is to end with *status: 0 after --help
 * (the usage went to stdout), MC_EXIT_USAGE after a usage error (reported). */
int cli_parse(const struct cli_parse *parse, int argc, char **argv, int *count, int *status);

/* An `each` for --redis URL: sets MONOCACHE_REDIS for this command,
 * replacing the whole Redis setting (MONOCACHE_REDIS_HOST/_PORT). */
int cli_take_redis(const char *option, const char *url, void *ctx);
/* --redis replaces the whole Redis setting: the variables that name the
 * server otherwise (_HOST and _PORT, _SENTINEL and _MASTER) go. */
void cli_redis_url_only(void);

/* Reports a bad value of an option: "monocache: COMMAND: OPTION VALUE: why"
 * with the synopsis. Returns MC_EXIT_USAGE. */
int cli_opt_error(const struct cli_parse *parse, const char *option, const char *value,
                  const char *why);

#endif
