#!/usr/bin/env bash
# tests/mutants.sh — make mutants: applies small, plausible bugs to a scratch
# copy of the tree, one at a time, runs `make check` on each and reports
# whether the suite noticed (killed) or not (survived). A mutant whose
# pattern no longer matches the code is reported as "stale": update it here
# when the code it targets changes. Exits non-zero if any mutant survived or
# went stale. Not run by CI (about half a minute per mutant).
#
#   tests/mutants.sh              all mutants
#   tests/mutants.sh NAME...      only those
#   MUTANT_CHECK='make check-unit' tests/mutants.sh   a faster, partial check
#   MUTANT_CHECK='prove tests/t9[0-3]-redis-*.sh' tests/mutants.sh acl-user-dropped ...
#                                 the Redis mutants, under the Redis tests

set -u
top=$(cd "$(dirname "$0")/.." && pwd)
: "${MUTANT_CHECK:=make check}"

# name|file|perl substitution, applied to the whole file (-0777).
mutants=$(cat <<'LIST'
exit-let-go|shim/exit.c|s/(int saved_errno = errno;\n\n)    mc_shim_let_go\(\);\n/$1/
fini-let-go|shim/exit.c|s/(mc_shim_fini\(void\)\n\{\n)    mc_shim_let_go\(\);\n/$1/
crash-let-go|shim/signals.c|s/(\(void\)context;\n)    mc_shim_let_go\(\);\n/$1/
meta-id-proof|core/local/release.c|s/mc_meta_check_id\(meta, cache->id, cache->path, &meta_err\) == 0\)/mc_meta_check_id(meta, cache->id, cache->path, &meta_err) != 0)/
mount-id-fallback|core/local/wipe.c|s/(mount_id_of\(\(int\)fd, &mount\) != 0 \|\|\n\s*)mount != parent_mount\)/${1}0)/
signal-restart|shim/signals.c|s/(__sighandler_t signal\(int sig, __sighandler_t handler\)\n\{\n    return install\(sig, handler, )[^,]+,/$1 0,/
sigdfl-rehook|shim/signals.c|s/if \(hooks_enabled && act && is_default\(act\) && is_crash_signal\(sig\)\)/if (0 \&\& hooks_enabled \&\& act \&\& is_default(act) \&\& is_crash_signal(sig))/
run-sigchld|tools/cli/supervise.c|s/(            setpgid\(0, 0\);\n)        sigaction\(SIGCHLD, &inherited_sigchld, NULL\);\n/$1/
close-protects-hold|shim/fds.c|s/    if \(fd >= 0 && fd == mc_shim_hold_fd && mc_shim_is_hold\(fd\)\)\n        return 0;\n//
push-ignores-mtime|core/s3/plan.c|s/was->mtime_s == e->mtime_s && was->mtime_ns == e->mtime_ns && //
meta-json-not-last|core/s3/push.c|s/(    if \()put_index\(push, index_key, text, err\)( != 0\)\n        return -1;\n    return )put_meta\(push, generation, err\);/${1}put_meta(push, generation, err)${2}put_index(push, index_key, text, err);/
etag-mismatch-warned|core/s3/upload.c|s/(    else if \(mismatch\)\n)        fail_text\(up->uploads, up->key, problem\);\n    if \(ok && !mismatch\)/${1}        (void)problem;    \/* only noticed *\/\n    if (ok)/
pull-over-held|core/local/pullguard.c|s/if \(lstat\(cache.lock_path, &st\) == 0\) \{/if (0) {/
pull-over-held-late|core/s3/pull.c|s/\} else if \(lock_path && lstat\(lock_path, &st\) == 0\) \{/} else if (lock_path \&\& 0 \&\& lstat(lock_path, \&st) == 0) {/
attach-no-pull-guard|tools/watch/watch.c|s/    if \(guarded \|\| access\(answer->root.run_dir, F_OK\) != 0\)\n/    if (guarded || 1)\n/
url-decoded-plus|core/s3/xml.c|s/\*out\+\+ = \*in == '\+' \? ' ' : \*in;/*out++ = *in;/
creds-profile-over-env|core/s3/creds.c|s/rc = from_env\(creds, get, get_ctx, err\);\n    if \(rc == 1\)\n        rc = from_profile\(creds, get, get_ctx, err\);/rc = from_profile(creds, get, get_ctx, err);\n    if (rc == 1)\n        rc = from_env(creds, get, get_ctx, err);/
index-mtime-padding|core/s3/tree.c|s/"%lld.%09ld", e->mtime_s, e->mtime_ns/"%lld.%ld", e->mtime_s, e->mtime_ns/
keys-outside-prefix|core/s3/common.c|s/if \(strncmp\(out->objects\[i\].key, prefix, strlen\(prefix\)\) != 0\) \{/if (0) {/
acl-user-dropped|core/redis/conn.c|s/\(rc->user \? expect_ok\(conn, 3, auth_user,/(0 ? expect_ok(conn, 3, auth_user,/
redact-first-at|core/redis/redisconf.c|s/strrchr\(authority, '\@'\);(\n    const char \*after)/strchr(authority, '\@');$1/
renew-once-per-lease|tools/watch/watch_share.c|s/#define MC_RENEWALS_PER_LEASE 3/#define MC_RENEWALS_PER_LEASE 1/
dry-run-expires|core/local/gc.c|s/quiet && !sweep->dry_run &&/quiet &&/
gc-wipes-after-failed-retry|tools/watch/watch_share.c|s/    heartbeat\(ws\);\n//; s/(\} else if \(rc == 0\) \{\n)/$1        heartbeat(ws);\n/
gc-ignores-heartbeat|core/local/gc.c|s/if \(mtime_ms > active_ms\)/if (0 \&\& mtime_ms > active_ms)/
read-deadline-per-read|core/redis/conn.c|s/wait_io\(conn, events, deadline, "reading"/wait_io(conn, events, deadline > 0 ? now_ms() + conn->rc->timeout_ms : deadline, "reading"/
tls-no-verify|core/redis/tls.c|s/SSL_VERIFY_PEER, NULL/SSL_VERIFY_NONE, NULL/
tls-no-name-check|core/redis/tls.c|s/ssl\.set1_host\(tls->ssl, name\) != 1 \|\|/0 ||/
sentinel-role-unchecked|core/redis/sentinel.c|s/is_master\(rc, \*out, master_label, err\) != 0/is_master(rc, *out, master_label, err) != 0 \&\& 0/
cluster-asking-dropped|core/redis/link.c|s/const char \*asking\[\] = \{ "ASKING" \};/const char *asking[] = { "PING" };/
cluster-tryagain-given-up|core/redis/link.c|s/MC_LINK_TRYAGAIN_PAUSE_MS > give_up\)/MC_LINK_TRYAGAIN_PAUSE_MS > give_up - link->rc->timeout_ms)/
report-on-terminal|tools/cli/cmd_s3.c|s/    if \(isatty\(STDERR_FILENO\)\)\n        return;\n    cache_url/    cache_url/
ls-s3-oldest-first|core/s3/lscaches.c|s/strcmp\(b->uploaded, a->uploaded\)/strcmp(a->uploaded, b->uploaded)/
pending-shown-uploading|tools/cli/cmd_ls.c|s/return with_watcher \? "uploading" : "pending";/return with_watcher ? "uploading" : "uploading";/
link-bytes-uncounted|core/s3/push.c|s/: e->target \? \(long long\)strlen\(e->target\) : 0;/: 0;/
LIST
)

scratch=$(mktemp -d "${TMPDIR:-/tmp}/mc-mutants.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
killed=0
survived=0
stale=0

while IFS='|' read -r name file expr; do
    [ -n "$name" ] || continue
    if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$name"; then
        continue
    fi
    copy=$scratch/$name
    mkdir -p "$copy"
    (cd "$top" && git ls-files -co --exclude-standard -z | xargs -0 cp -P --parents -t "$copy")
    before=$(md5sum < "$copy/$file")
    perl -0777 -pi -e "$expr" "$copy/$file"
    if [ "$(md5sum < "$copy/$file")" = "$before" ]; then
        echo "stale     $name ($file: pattern not found)"
        stale=$((stale + 1))
        continue
    fi
    if ! (cd "$copy" && make -s all helpers > "$copy/build.log" 2>&1); then
        echo "stale     $name (does not build; see $copy/build.log)"
        stale=$((stale + 1))
        continue
    fi
    if (cd "$copy" && $MUTANT_CHECK > "$copy/check.log" 2>&1); then
        echo "SURVIVED  $name ($file)"
        survived=$((survived + 1))
    else
        echo "killed    $name ($file): $(grep -m1 -E '^not ok|Failed test' "$copy/check.log")"
        killed=$((killed + 1))
    fi
    rm -rf "$copy"
done <<< "$mutants"

echo "mutants: $killed killed, $survived survived, $stale stale"
[ "$survived" = 0 ] && [ "$stale" = 0 ]
