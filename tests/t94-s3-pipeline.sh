#!/bin/bash
# t94-s3-pipeline.sh — caches in a CI pipeline, by name alone, against a
# real S3-compatible server (s3rver) with the aws CLI as the independent
# reader: a build job on runner A (its own root), then test jobs on
# runners B, C, D; the first run of the pipeline (nothing in S3: not an
# error) and a later run; fan-out, where jobs that restored one cache
# write files of their own and end in any order, or all at once: no file
# disappears; read-only jobs
# (MONOCACHE_S3_UPLOAD=never) change nothing in S3; on-success uploads
# only what succeeded; restore keys; pull is read-only unless --upload.
. "$(dirname "$0")/lib.sh"
. "$here/lib-s3.sh"
start_s3
export MONOCACHE_S3=s3://testbucket/ci
unset MONOCACHE_ROOT

# job RUNNER NAME COMMAND...: a job on its own runner (root), by name.
job() {
    local runner=$1 name=$2
    shift 2
    MONOCACHE_ROOT=$T/runner-$runner "$MC_BIN" run --name "$name" -- "$@"
}
keys() {
    awsq s3api list-objects-v2 --bucket testbucket --prefix "ci/$1/" --query 'Contents[].Key' \
        --output text | tr '\t' '\n' | sed "s#^ci/$1/##" | sort | tr '\n' ' '
}
body() {
    awsq s3 cp --quiet "s3://testbucket/ci/$1/$2" -
}

# --- First run of the pipeline: nothing in S3.
out=$(job a build-main sh -c 'echo "$MONOCACHE_ID"; ls -A "$MONOCACHE_PATH"; echo v1 > "$MONOCACHE_PATH/app"' 2>&1)
is "a first run by name: nothing in S3 is no error (exit 0)" "$?" 0
is "... the cache's id is the name, and it starts empty" "$out" "build-main
meta.json"
is "... uploaded under the name at its end (aws)" "$(keys build-main)" "app meta.json "
ok "... wiped on runner A" gone "$T/runner-a/cache/build-main"

# --- Three test jobs restore it; each writes a file of its own.
for r in b c d; do
    job "$r" build-main sh -c 'cat "$MONOCACHE_PATH/app" > "$0"; echo "from $1" > "$MONOCACHE_PATH/from-$1"' \
        "$T/seen.$r" "$r" 2> "$T/err.$r"
done
is "the test jobs saw the build's file" "$(cat "$T/seen.b" "$T/seen.c" "$T/seen.d" | tr '\n' ' ')" "v1 v1 v1 "
is "... one after the other: every job's file kept (aws)" "$(keys build-main)" \
    "app from-b from-c from-d meta.json "
is "... nothing to warn of" "$(cat "$T/err.b" "$T/err.c" "$T/err.d")" ""

# --- Read-only test jobs change nothing in S3.
before=$(awsq s3api list-objects-v2 --bucket testbucket --prefix ci/ --query 'Contents[].[Key,ETag]' --output text)
MONOCACHE_S3_UPLOAD=never job d build-main sh -c 'echo junk > "$MONOCACHE_PATH/junk"; rm -f "$MONOCACHE_PATH/app"'
is "MONOCACHE_S3_UPLOAD=never: exit 0" "$?" 0
after=$(awsq s3api list-objects-v2 --bucket testbucket --prefix ci/ --query 'Contents[].[Key,ETag]' --output text)
is "... S3 unchanged, object for object (aws)" "$after" "$before"
ok "... wiped here all the same" gone "$T/runner-d/cache/build-main"
MONOCACHE_S3_UPLOAD=on-success job d build-main sh -c 'echo failed > "$MONOCACHE_PATH/failed"; exit 1'
is "on-success, a job that fails: its status kept" "$?" 1
is "... nothing uploaded" "$(awsq s3api list-objects-v2 --bucket testbucket --prefix ci/ --query 'Contents[].[Key,ETag]' --output text)" "$before"
ok "... wiped here" gone "$T/runner-d/cache/build-main"
MONOCACHE_S3_UPLOAD=on-success job d build-main sh -c 'echo ok > "$MONOCACHE_PATH/passed"'
like "on-success, a job that succeeds: uploaded" "$(keys build-main)" "passed"
out=$(MONOCACHE_S3_UPLOAD=sometimes job d build-main true 2>&1)
is "MONOCACHE_S3_UPLOAD=sometimes: 125" "$?" 125
is "... one line naming it" "$out" "monocache: MONOCACHE_S3_UPLOAD=sometimes: expected always, on-success or never"

# --- A pulled copy is read-only unless --upload.
MONOCACHE_ROOT=$T/runner-e "$MC_BIN" pull s3://testbucket/ci/build-main > /dev/null
before=$(awsq s3api list-objects-v2 --bucket testbucket --prefix ci/ --query 'Contents[].[Key,ETag]' --output text)
MONOCACHE_ROOT=$T/runner-e env -u MONOCACHE_S3 "$MC_BIN" run --existing build-main -- \
    sh -c 'echo x > "$MONOCACHE_PATH/after-pull"'
is "pull, then run --existing on the copy: nothing uploaded" \
    "$(awsq s3api list-objects-v2 --bucket testbucket --prefix ci/ --query 'Contents[].[Key,ETag]' --output text)" "$before"
MONOCACHE_ROOT=$T/runner-e "$MC_BIN" pull --upload s3://testbucket/ci/build-main > /dev/null
MONOCACHE_ROOT=$T/runner-e env -u MONOCACHE_S3 "$MC_BIN" run --existing build-main -- \
    sh -c 'echo x > "$MONOCACHE_PATH/after-pull"'
like "pull --upload, then run: it goes back at its end" "$(keys build-main)" "after-pull"

# --- Restore keys: a new branch starts from the newest main cache.
job a ccache-main-2 sh -c 'echo old > "$MONOCACHE_PATH/obj"'
sleep 1.1    # (LastModified is to the second)
job a ccache-main-3 sh -c 'echo new > "$MONOCACHE_PATH/obj"'
job a ccache-other sh -c 'echo other > "$MONOCACHE_PATH/obj"'
sleep 1.1
job a ccache-main-1 sh -c 'echo partial > "$MONOCACHE_PATH/obj"'
awsq s3 rm --quiet s3://testbucket/ci/ccache-main-1/meta.json
out=$(MONOCACHE_S3_RESTORE_KEYS=ccache-feature-,ccache-main- job b ccache-feature-x \
    sh -c 'cat "$MONOCACHE_PATH/obj"; echo mine > "$MONOCACHE_PATH/mine"' 2>&1)
is "restore keys: the newest complete cache of the first key that matches" "$out" new
is "... uploaded under its own name" "$(keys ccache-feature-x)" "meta.json mine obj "
is "... the one it came from unchanged" "$(keys ccache-main-3)" "meta.json obj "
like "... whose meta.json in S3 names the new one" "$(body ccache-feature-x meta.json)" '"id":"ccache-feature-x"'
out=$(MONOCACHE_S3_RESTORE_KEYS=ccache-feature- job c ccache-feature-x sh -c 'cat "$MONOCACHE_PATH/mine"' 2>&1)
is "... the next run restores it by its own name" "$out" mine
out=$(MONOCACHE_S3_RESTORE_KEYS=nothing- job c fresh-one sh -c 'ls -A "$MONOCACHE_PATH"' 2>&1)
is "no key matches: a new cache, no error" "$out" meta.json
out=$(MONOCACHE_S3_RESTORE_KEYS='bad key' job c x true 2>&1)
is "a bad restore key: 125" "$?" 125
like "... one line naming it" "$out" "^monocache: MONOCACHE_S3_RESTORE_KEYS=bad key: expected"
out=$(MONOCACHE_S3_RESTORE_KEYS=a MONOCACHE_ROOT=$T/runner-c "$MC_BIN" run -- true 2>&1)
is "restore keys without a name: 125" "$?" 125
like "... saying what they need" "$out" "only with MONOCACHE_NAME and MONOCACHE_S3"

# --- A named cache whose index lists an object another push deleted (a
# race without conditional writes): one warning, the job runs on a new
# cache.
job a mixed sh -c 'echo 1 > "$MONOCACHE_PATH/keep"; echo 2 > "$MONOCACHE_PATH/del"'
awsq s3 rm --quiet s3://testbucket/ci/mixed/del
out=$(job b mixed sh -c 'echo ran; echo 3 > "$MONOCACHE_PATH/new"' 2>&1)
like "a named cache S3 cannot give whole: the job runs" "$out" "ran"
like "... one warning" "$out" "not the object recorded|missing, but in the index"

# --- rm --s3 of a prefix, not a cache: refused, nothing deleted.
before=$(awsq s3api list-objects-v2 --bucket testbucket --query 'Contents[].Key' --output text)
out=$("$MC_BIN" rm --s3 s3://testbucket/ci 2>&1)
is "rm --s3 s3://bucket/ci (a prefix of caches): refused" "$?" 1
like "... saying so" "$out" "not a cache \(no meta.json, no index\): nothing deleted"
is "... nothing deleted (aws)" "$(awsq s3api list-objects-v2 --bucket testbucket --query 'Contents[].Key' --output text)" "$before"
"$MC_BIN" rm --s3 s3://testbucket/ci/mixed > /dev/null
is "rm --s3 of a cache takes its history too" \
    "$(awsq s3api list-objects-v2 --bucket testbucket --prefix ci/.monocache/history/mixed/ --query 'length(Contents || `[]`)' --output text)" 0

# --- An incomplete cache under the name: one warning, a new cache.
job a half sh -c 'echo 1 > "$MONOCACHE_PATH/f"'
awsq s3 rm --quiet s3://testbucket/ci/half/meta.json
out=$(job b half sh -c 'ls -A "$MONOCACHE_PATH"' 2>&1)
like "S3 has part of the named cache: one warning" "$out" "not a complete cache.*a new cache"
like "... and the tree starts on a new one" "$out" "meta.json$"
# --- The README's recipes (examples/): what the YAML runs, the Slurm job
# (srun as a plain launcher: no Slurm here), the container entry point.
mkdir -p "$T/bin"
ln -sf "$MC_BIN" "$T/bin/monocache"
printf '#!/bin/sh\nexec "$@"\n' > "$T/bin/srun"
chmod +x "$T/bin/srun"
recipe() {
    MONOCACHE_ROOT=$T/runner-r PATH=$T/bin:$PATH "$@"
}
ok "CI recipe, build job: restores by key, builds, uploads" \
    recipe "$top/examples/ci/cache-job.sh" build-feature build-main \
    sh -c 'test -e "$MONOCACHE_PATH/from-b" && echo built > "$MONOCACHE_PATH/out"'
is "... uploaded under the branch's name" "$(body build-feature out)" built
before=$(awsq s3api list-objects-v2 --bucket testbucket --prefix ci/ --query 'Contents[].[Key,ETag]' --output text)
ok "CI recipe, a read-only test job sees the build" \
    env MONOCACHE_S3_UPLOAD=never MONOCACHE_ROOT=$T/runner-s PATH=$T/bin:$PATH \
    "$top/examples/ci/cache-job.sh" build-feature "" sh -c 'grep -q built "$MONOCACHE_PATH/out"'
is "... and changes nothing in S3" \
    "$(awsq s3api list-objects-v2 --bucket testbucket --prefix ci/ --query 'Contents[].[Key,ETag]' --output text)" "$before"
for f in github-actions.yml gitlab-ci.yml; do
    like "$f runs the recipe's script" "$(cat "$top/examples/ci/$f")" "examples/ci/cache-job.sh"
done
is "Slurm recipe, first job: meshes" "$(CASE=t94 recipe sh "$top/examples/slurm/job.sh")" meshed
rm -rf "$T/runner-r"
is "... a later job, on a new node, gets it from S3" "$(CASE=t94 recipe sh "$top/examples/slurm/job.sh" 2>&1)" "mesh from the cache"
is "container entry point: the command under its named cache" \
    "$(CACHE_NAME=box recipe "$top/examples/container/entrypoint.sh" sh -c 'echo "$MONOCACHE_ID"')" box
is "... uploaded at its end" "$(keys box)" "meta.json "
finish
