#!/bin/sh
# cache-job.sh — one CI job's command under a named cache kept in S3: the
# cache <name> is restored from $MONOCACHE_S3/<name> (or, on a pipeline's
# first run, from the newest cache a restore key names, else started
# empty), the command runs with $MONOCACHE_PATH, and the cache goes back at
# its end (MONOCACHE_S3_UPLOAD: always, on-success, never).
# GitHub Actions and GitLab CI call it the same way (github-actions.yml,
# gitlab-ci.yml); tests/t94-s3-pipeline.sh runs it against s3rver.
#
#   cache-job.sh NAME RESTORE_KEYS COMMAND [ARGS...]
set -eu
name=$1 keys=$2
shift 2
exec monocache run --name "$name" ${keys:+--restore-keys "$keys"} -- "$@"
