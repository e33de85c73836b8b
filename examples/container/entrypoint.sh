#!/bin/sh
# entrypoint.sh — a container's entry point: the command runs under
# monocache run (pid 1 there: it reaps orphans and passes signals on), with
# the cache $CACHE_NAME restored from $MONOCACHE_S3 and sent back at its
# end. Dockerfile: COPY entrypoint.sh / ; ENTRYPOINT ["/entrypoint.sh"]
set -eu
exec monocache run --name "${CACHE_NAME:?set CACHE_NAME}" -- "$@"
