/* test_redisconf.c — the Redis settings, read through a fake getenv: URLs
 * of both schemes with every part, the host/port pair, passwords from each
 * place, timeouts, leases, host ids; every refusal names its variable and
 * never shows the password. Pure: no socket. */
#include "host/proto.h"
#include "redis/redisconf.h"
#include "fakeenv.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECRET "s3cr3t-pw"


static int load(struct fake_var *vars, struct mc_redis_config *rc, struct mc_err *err)
{
    mc_err_clear(err);
    return mc_redis_config_load(rc, NULL, fake_getenv, vars, err);
}

static void check_url(const char *url, const char *host, int port, const char *socket,
                      const char *user, const char *password, int db, const char *display)
{
    struct fake_var vars[] = { { MC_ENV_REDIS, url }, { MC_ENV_HOST_ID, "h1" }, { NULL, NULL } };
    struct mc_redis_config rc;
    struct mc_err err;

    if (!is_int(load(vars, &rc, &err), 0, "%s loads", url)) {
        diag("error: %s", err.msg);
        return;
    }
    ok(rc.enabled, "enabled");
    is_str(rc.host, host, "host");
    if (host)
        is_int(rc.port, port, "port");
    is_str(rc.socket_path, socket, "socket");
    is_str(rc.user, user, "user");
    is_str(rc.password, password, "password");
    is_int(rc.db, db, "db");
    is_str(rc.display, display, "shown as");
    mc_redis_config_free(&rc);
}

static void check_refused(const char *name, const char *value, const char *reason)
{
    struct fake_var vars[] = { { name, value }, { MC_ENV_HOST_ID, "h1" }, { NULL, NULL } };
    struct mc_redis_config rc;
    struct mc_err err;

    if (strcmp(name, MC_ENV_REDIS) != 0) {
        vars[1].name = MC_ENV_REDIS;
        vars[1].value = "redis://h";
        if (strcmp(name, MC_ENV_REDIS_PORT) == 0 || strcmp(name, MC_ENV_REDIS_HOST) == 0) {
            vars[1].name = strcmp(name, MC_ENV_REDIS_PORT) == 0 ? MC_ENV_REDIS_HOST
                                                                 : MC_ENV_HOST_ID;
            vars[1].value = "h";
        }
    }
    is_int(load(vars, &rc, &err), -1, "refused: %s=%s", name, value);
    ok(strstr(err.msg, name) && strstr(err.msg, reason), "... naming it, saying \"%s\": %s",
       reason, err.msg);
    ok(!strstr(err.msg, SECRET), "... without the password");
}

static void test_urls(void)
{
    check_url("redis://localhost", "localhost", 6379, NULL, NULL, NULL, 0, "redis://localhost");
    check_url("redis://:" SECRET "@127.0.0.1:6390/3", "127.0.0.1", 6390, NULL, NULL, SECRET, 3,
              "redis://:***@127.0.0.1:6390/3");
    check_url("redis://alice:p%40ss%3Aw@db.example:7000/", "db.example", 7000, NULL, "alice",
              "p@ss:w", 0, "redis://alice:***@db.example:7000/");
    check_url("redis://[::1]:6400/1", "::1", 6400, NULL, NULL, NULL, 1, "redis://[::1]:6400/1");
    check_url("unix:///run/redis/redis.sock", NULL, 0, "/run/redis/redis.sock", NULL, NULL, 0,
              "unix:///run/redis/redis.sock");
    check_url("unix:///tmp/r%20s.sock?db=4", NULL, 0, "/tmp/r s.sock", NULL, NULL, 4,
              "unix:///tmp/r%20s.sock?db=4");
}

static void test_refused(void)
{
    check_refused(MC_ENV_REDIS, "redis://h:0", "port");
    check_refused(MC_ENV_REDIS, "redis://h:65536", "port");
    check_refused(MC_ENV_REDIS, "redis://h:port", "port");
    check_refused(MC_ENV_REDIS, "redis://:" SECRET "@h:99999", "port");
    check_refused(MC_ENV_REDIS, "redis://h/x", "database");
    check_refused(MC_ENV_REDIS, "redis://h/-1", "database");
    check_refused(MC_ENV_REDIS, "redis://", "no host");
    check_refused(MC_ENV_REDIS, "redis://" SECRET "@h", "credentials");
    check_refused(MC_ENV_REDIS, "redis://[::1:6379", "IPv6");
    check_refused(MC_ENV_REDIS, "http://h", "expected redis://");
    check_refused(MC_ENV_REDIS, "localhost:6379", "expected redis://");
    check_refused(MC_ENV_REDIS, "unix://relative.sock", "absolute");
    check_refused(MC_ENV_REDIS, "unix:///x.sock?foo=1", "db=N");
    check_refused(MC_ENV_REDIS, "redis://:%zz@h", "escape");
    check_refused(MC_ENV_REDIS_PORT, "70000", "port");
    check_refused(MC_ENV_REDIS_TIMEOUT, "0", "whole number");
    check_refused(MC_ENV_REDIS_TIMEOUT, "1s", "whole number");
    check_refused(MC_ENV_REDIS_LEASE, "-5", "whole number");
    check_refused(MC_ENV_HOST_ID, "two words", "no blanks");
}

/* A set of variables refused, naming `name` and saying `reason`. */
static void check_refused_set(struct fake_var *vars, const char *name, const char *reason)
{
    struct mc_redis_config rc;
    struct mc_err err;

    is_int(load(vars, &rc, &err), -1, "refused: %s=%s", vars[0].name, vars[0].value);
    ok(strncmp(err.msg, name, strlen(name)) == 0 && strstr(err.msg, reason),
       "... naming %s first, saying \"%s\": %s", name, reason, err.msg);
    ok(!strstr(err.msg, SECRET), "... without the password");
}

/* rediss:// and its files; a TLS setting without TLS is refused, never
 * ignored (it would say TLS where there is none). */
static void test_tls(void)
{
    char ca[] = "/tmp/mc-test-ca.XXXXXX";
    int fd = mkstemp(ca);
    struct fake_var with_ca[] = { { MC_ENV_REDIS, "rediss://:" SECRET "@redis.lan:6380/2" },
                                  { MC_ENV_REDIS_CACERT, ca }, { MC_ENV_REDIS_SNI, "cache.lan" },
                                  { MC_ENV_HOST_ID, "h1" }, { NULL, NULL } };
    struct fake_var ca_dir[] = { { MC_ENV_REDIS, "rediss://h" }, { MC_ENV_REDIS_CACERT, "/tmp" },
                                 { MC_ENV_REDIS_CERT, ca }, { MC_ENV_REDIS_KEY, ca },
                                 { MC_ENV_HOST_ID, "h1" }, { NULL, NULL } };
    struct fake_var no_tls[] = { { MC_ENV_REDIS_CACERT, ca }, { MC_ENV_REDIS, "redis://h" },
                                 { NULL, NULL } };
    struct fake_var missing[] = { { MC_ENV_REDIS_CACERT, "/nonexistent/ca.pem" },
                                  { MC_ENV_REDIS, "rediss://h" }, { NULL, NULL } };
    struct fake_var fifo_dir[] = { { MC_ENV_REDIS_CERT, "/tmp" }, { MC_ENV_REDIS_KEY, ca },
                                   { MC_ENV_REDIS, "rediss://h" }, { NULL, NULL } };
    struct fake_var cert_alone[] = { { MC_ENV_REDIS_CERT, ca }, { MC_ENV_REDIS, "rediss://h" },
                                     { NULL, NULL } };
    struct fake_var key_alone[] = { { MC_ENV_REDIS_KEY, ca }, { MC_ENV_REDIS, "rediss://h" },
                                    { NULL, NULL } };
    struct fake_var bad_sni[] = { { MC_ENV_REDIS_SNI, "two words" }, { MC_ENV_REDIS, "rediss://h" },
                                  { NULL, NULL } };
    struct mc_redis_config rc;
    struct mc_err err;

    close(fd);
    if (is_int(load(with_ca, &rc, &err), 0, "rediss:// with a CA file and a server name loads")) {
        ok(rc.tls.enabled, "... TLS on");
        is_str(rc.host, "redis.lan", "... host");
        is_int(rc.port, 6380, "... port");
        is_int(rc.db, 2, "... database");
        is_str(rc.password, SECRET, "... password");
        is_str(rc.tls.cacert, ca, "... the CA file");
        ok(!rc.tls.cacert_is_dir, "... a file");
        is_str(rc.tls.sni, "cache.lan", "... the server name");
        is_str(rc.display, "rediss://:***@redis.lan:6380/2", "... shown without the password");
        mc_redis_config_free(&rc);
    } else {
        diag("error: %s", err.msg);
    }
    if (is_int(load(ca_dir, &rc, &err), 0, "a CA directory and a client certificate load")) {
        is_int(rc.port, MC_REDIS_DEFAULT_PORT, "... default port");
        ok(rc.tls.cacert_is_dir, "... a directory of CAs");
        is_str(rc.tls.cert, ca, "... certificate");
        is_str(rc.tls.key, ca, "... key");
        mc_redis_config_free(&rc);
    }
    check_refused_set(no_tls, MC_ENV_REDIS_CACERT, "not a rediss:// URL");
    check_refused_set(missing, MC_ENV_REDIS_CACERT, "No such file");
    check_refused_set(fifo_dir, MC_ENV_REDIS_CERT, "not a file");
    check_refused_set(cert_alone, MC_ENV_REDIS_CERT, "set " MC_ENV_REDIS_KEY " too");
    check_refused_set(key_alone, MC_ENV_REDIS_KEY, "set " MC_ENV_REDIS_CERT " too");
    check_refused_set(bad_sni, MC_ENV_REDIS_SNI, "host name");
    unlink(ca);
}

static void test_sentinels(void)
{
    struct fake_var three[] = { { MC_ENV_REDIS_SENTINEL, "s1:26380,[::1],10.0.0.3:5000" },
                                { MC_ENV_REDIS_MASTER, "cache" },
                                { MC_ENV_REDIS_PASSWORD, SECRET }, { MC_ENV_HOST_ID, "h1" },
                                { NULL, NULL } };
    struct fake_var no_master[] = { { MC_ENV_REDIS_SENTINEL, "s1" }, { NULL, NULL } };
    struct fake_var no_sentinel[] = { { MC_ENV_REDIS_MASTER, "cache" }, { NULL, NULL } };
    struct fake_var and_url[] = { { MC_ENV_REDIS_SENTINEL, "s1" }, { MC_ENV_REDIS_MASTER, "m" },
                                  { MC_ENV_REDIS, "redis://h" }, { NULL, NULL } };
    struct fake_var empty[] = { { MC_ENV_REDIS_SENTINEL, "s1,,s2" }, { MC_ENV_REDIS_MASTER, "m" },
                                { NULL, NULL } };
    struct fake_var port[] = { { MC_ENV_REDIS_SENTINEL, "s1:x" }, { MC_ENV_REDIS_MASTER, "m" },
                               { NULL, NULL } };
    struct fake_var scheme[] = { { MC_ENV_REDIS_SENTINEL, "redis://s1" },
                                 { MC_ENV_REDIS_MASTER, "m" }, { NULL, NULL } };
    struct fake_var blank[] = { { MC_ENV_REDIS_MASTER, "my master" },
                                { MC_ENV_REDIS_SENTINEL, "s1" }, { NULL, NULL } };
    struct fake_var tls[] = { { MC_ENV_REDIS_SNI, "x" }, { MC_ENV_REDIS_SENTINEL, "s1" },
                              { MC_ENV_REDIS_MASTER, "m" }, { NULL, NULL } };
    struct mc_redis_config rc;
    struct mc_err err;

    if (is_int(load(three, &rc, &err), 0, "three sentinels and a master load")) {
        is_int(rc.sentinel_count, 3, "... three");
        is_str(rc.sentinels[0].host, "s1", "... the first's host");
        is_int(rc.sentinels[0].port, 26380, "... its port");
        is_str(rc.sentinels[1].host, "::1", "... an IPv6 address");
        is_int(rc.sentinels[1].port, MC_REDIS_DEFAULT_SENTINEL_PORT, "... the default port");
        is_int(rc.sentinels[2].port, 5000, "... the third's port");
        is_str(rc.master, "cache", "... the master's name");
        is_str(rc.password, SECRET, "... the password, from " MC_ENV_REDIS_PASSWORD);
        is_str(rc.source, MC_ENV_REDIS_SENTINEL, "... messages name " MC_ENV_REDIS_SENTINEL);
        is_str(rc.display, "redis-sentinel://s1:26380,[::1],10.0.0.3:5000/cache",
               "... shown as a sentinel URL");
        mc_redis_config_free(&rc);
    } else {
        diag("error: %s", err.msg);
    }
    check_refused_set(no_master, MC_ENV_REDIS_SENTINEL, "set " MC_ENV_REDIS_MASTER " too");
    check_refused_set(no_sentinel, MC_ENV_REDIS_MASTER, "set " MC_ENV_REDIS_SENTINEL " too");
    check_refused_set(and_url, MC_ENV_REDIS_SENTINEL, MC_ENV_REDIS " is set too");
    check_refused_set(empty, MC_ENV_REDIS_SENTINEL, "empty entry");
    check_refused_set(port, MC_ENV_REDIS_SENTINEL, "port");
    check_refused_set(scheme, MC_ENV_REDIS_SENTINEL, "without a scheme");
    check_refused_set(blank, MC_ENV_REDIS_MASTER, "no blanks");
    check_refused_set(tls, MC_ENV_REDIS_SNI, "TLS with " MC_ENV_REDIS_SENTINEL " is not supported");
}

/* Variables that contradict each other are refused, not guessed between. */
static void test_conflicts(void)
{
    struct fake_var url_and_host[] = { { MC_ENV_REDIS, "redis://a" }, { MC_ENV_REDIS_HOST, "b" },
                                       { NULL, NULL } };
    struct fake_var url_and_port[] = { { MC_ENV_REDIS, "redis://a" }, { MC_ENV_REDIS_PORT, "1" },
                                       { NULL, NULL } };
    struct fake_var port_alone[] = { { MC_ENV_REDIS_PORT, "6390" }, { NULL, NULL } };
    struct mc_redis_config rc;
    struct mc_err err;

    is_int(load(url_and_host, &rc, &err), -1, "MONOCACHE_REDIS and _HOST both set: refused");
    ok(strncmp(err.msg, MC_ENV_REDIS_HOST "=b: ", strlen(MC_ENV_REDIS_HOST) + 4) == 0,
       "... naming _HOST: %s", err.msg);
    is_int(load(url_and_port, &rc, &err), -1, "MONOCACHE_REDIS and _PORT both set: refused");
    ok(strstr(err.msg, MC_ENV_REDIS_PORT "=1") != NULL, "... naming _PORT: %s", err.msg);
    is_int(load(port_alone, &rc, &err), -1, "_PORT without a host: refused");
    ok(strstr(err.msg, "set " MC_ENV_REDIS_HOST " too") != NULL, "... saying so: %s", err.msg);
    mc_err_clear(&err);
    is_int(mc_redis_config_load(&rc, "redis://h:6391", fake_getenv, url_and_host, &err), 0,
           "run --redis: the variables are not looked at");
    mc_redis_config_free(&rc);
}

static void test_other_sources(void)
{
    struct fake_var none[] = { { NULL, NULL } };
    struct fake_var pair[] = { { MC_ENV_REDIS_HOST, "redis.lan" }, { MC_ENV_REDIS_PORT, "6390" },
                               { MC_ENV_REDIS_PASSWORD, SECRET }, { "REDISCLI_AUTH", "other" },
                               { MC_ENV_REDIS_TIMEOUT, "250" }, { MC_ENV_REDIS_LEASE, "2" },
                               { NULL, NULL } };
    struct fake_var cli_auth[] = { { MC_ENV_REDIS, "redis://h" }, { "REDISCLI_AUTH", SECRET },
                                   { NULL, NULL } };
    struct fake_var url_wins[] = { { MC_ENV_REDIS, "redis://:url-pw@h" },
                                   { MC_ENV_REDIS_PASSWORD, SECRET }, { NULL, NULL } };
    struct mc_redis_config rc;
    struct mc_err err;
    char hostname[MC_HOST_ID_MAX + 1] = "";

    is_int(load(none, &rc, &err), 0, "nothing set loads");
    ok(!rc.enabled, "... and Redis is off: local counting only");
    mc_redis_config_free(&rc);

    is_int(load(pair, &rc, &err), 0, MC_ENV_REDIS_HOST " and _PORT load");
    is_str(rc.host, "redis.lan", "host");
    is_int(rc.port, 6390, "port");
    is_str(rc.password, SECRET, MC_ENV_REDIS_PASSWORD " before REDISCLI_AUTH");
    is_int(rc.timeout_ms, 250, "timeout");
    is_int(rc.lease_s, 2, "lease");
    gethostname(hostname, sizeof(hostname) - 1);
    is_str(rc.host_id, hostname, "the host id defaults to the hostname");
    ok(!strstr(rc.display, SECRET), "shown without the password: %s", rc.display);
    mc_redis_config_free(&rc);

    is_int(load(cli_auth, &rc, &err), 0, "REDISCLI_AUTH alone");
    is_str(rc.password, SECRET, "... is the password");
    is_int(rc.timeout_ms, MC_REDIS_DEFAULT_TIMEOUT_MS, "default timeout");
    is_int(rc.lease_s, MC_REDIS_DEFAULT_LEASE_S, "default lease");
    mc_redis_config_free(&rc);

    is_int(load(url_wins, &rc, &err), 0, "a URL password and the variable");
    is_str(rc.password, "url-pw", "... the URL's wins");
    mc_redis_config_free(&rc);

    mc_err_clear(&err);
    is_int(mc_redis_config_load(&rc, "redis://h:6391", fake_getenv, url_wins, &err), 0,
           "run --redis overrides MONOCACHE_REDIS");
    is_int(rc.port, 6391, "... its port");
    is_str(rc.source, "--redis", "... and errors would name --redis");
    mc_redis_config_free(&rc);
}

/* One rule for every place a URL is shown: the display and the starred
 * command line hide the same bytes. */
static void check_hidden(const char *url, const char *shown, const char *starred)
{
    char *display = mc_redis_redact(url);
    char copy[256];

    is_str(display, shown, "shown: %s", shown);
    free(display);
    snprintf(copy, sizeof(copy), "%s", url);
    mc_redis_star(copy);
    is_str(copy, starred, "starred: %s", starred);
}

static void test_secrets(void)
{
    check_hidden("redis://127.0.0.1:6390/3", "redis://127.0.0.1:6390/3", "redis://127.0.0.1:6390/3");
    check_hidden("redis://:pw@h/1", "redis://:***@h/1", "redis://:**@h/1");
    check_hidden("redis://alice:p@ss:w@db:7000/", "redis://alice:***@db:7000/",
                 "redis://alice:******@db:7000/");
    /* A '?' or '/' in a password is still the password, not a query or path. */
    check_hidden("redis://:pa?ss@h", "redis://:***@h", "redis://:*****@h");
    check_hidden("redis://:a/b#c@h:1/2", "redis://:***@h:1/2", "redis://:*****@h:1/2");
    /* Credentials without a colon may be a password alone. */
    check_hidden("redis://secret@h", "redis://***@h", "redis://******@h");
    check_hidden("unix:///run/r.sock?db=2", "unix:///run/r.sock?db=2", "unix:///run/r.sock?db=2");
    check_hidden("unix:///run/r.sock?db=2&password=x", "unix:///run/r.sock?***",
                 "unix:///run/r.sock?***************");
    check_hidden("unix:///run/r.sock?password=x", "unix:///run/r.sock?***",
                 "unix:///run/r.sock?**********");
    check_hidden("pw@host:1", "***@host:1", "**@host:1");
}

int main(void)
{
    test_secrets();
    test_urls();
    test_refused();
    test_conflicts();
    test_other_sources();
    test_tls();
    test_sentinels();
    return done_testing();
}
