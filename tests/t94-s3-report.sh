#!/bin/bash
# t94-s3-report.sh — what a transfer says it moved, and what ls shows of S3,
# against s3rver behind the fault proxy (lib-s3.sh), the aws CLI as the
# independent reader: push and pull write one summary line at
# MONOCACHE_LOG=info off a terminal (none at the default level, none on a
# pty, where the progress bar says it), the release's upload too; its
# figures are those aws lists; ls --s3 shows when, from which host and under
# which name, newest first; ls marks an upload that did not complete.
. "$(dirname "$0")/lib.sh"
. "$here/lib-s3.sh"
start_s3
unset MONOCACHE_S3
host=$(hostname)

# listed ID [NAME]: what aws lists under r/ID/ but meta.json (and NAME, a
# link a pull makes from the index): "COUNT BYTES".
listed() {
    awsq s3api list-objects-v2 --bucket testbucket --prefix "r/$1/" --output json |
        "$PY" -c 'import json, sys
skip = ["meta.json"] + sys.argv[1:]
rows = [o for o in json.load(sys.stdin).get("Contents", []) if o["Key"].split("/", 2)[2] not in skip]
print(len(rows), sum(o["Size"] for o in rows))' "${@:2}"
}

# figures LOG: the JSON line's "files bytes unchanged-or-linked deleted" (and
# its event), after checking it is the only line.
figures() {
    "$PY" -c 'import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 1, lines
l = lines[0]
print(l["event"], l["files"], l["bytes"], l.get("unchanged", l.get("linked")), l["deleted"],
      "seconds" in l and l["id"] == sys.argv[2])' "$1" "$2"
}

# --- 1. A cache, kept here, pushed by hand.
mc run --lock -- sh -c 'cd "$MONOCACHE_PATH" && echo "$MONOCACHE_ID" > "$0"
    for i in 1 2 3 4 5 6 7 8; do head -c $((i * 1000)) /dev/urandom > f$i; done
    mkdir sub; echo deep > sub/deep; ln -s f1 link' "$T/id"
id=$(cat "$T/id")
MONOCACHE_LOG=info MONOCACHE_LOG_FORMAT=json mc push "$id" --s3 s3://testbucket/r 2> "$T/json"
read -r files bytes < <(listed "$id")
is "first push: aws lists the files and the link" "$files" 10
is "... the JSON line's figures are what aws lists (files, bytes; none unchanged, none deleted)" \
    "$(figures "$T/json" "$id")" "uploaded $files $bytes 0 0 True"
like "... its message says so in words" "$(cat "$T/json")" \
    "\"message\":\"cache $id: uploaded to s3://testbucket/r/$id/: 10 files, 35.2 KiB in [0-9.]+ s; 0 unchanged \(not sent\), 0 deleted\""

out=$(MONOCACHE_LOG=info mc push "$id" --s3 s3://testbucket/r 2>&1)
like "nothing changed: one text line, nothing sent, every file unchanged" "$out" \
    "^monocache: info: cache $id: uploaded to s3://testbucket/r/$id/: 0 files, 0 B in [0-9.]+ s; 10 unchanged \(not sent\), 0 deleted$"
is "... exactly one line" "$(printf '%s\n' "$out" | wc -l)" 1

echo changed > "$ROOT/cache/$id/f3"
rm "$ROOT/cache/$id/f8"
MONOCACHE_LOG=info MONOCACHE_LOG_FORMAT=json mc push "$id" --s3 s3://testbucket/r 2> "$T/json"
read -r files bytes < <(listed "$id")
is "one file changed, one deleted: aws lists one file fewer" "$files" 9
is "... the line: 1 sent (8 bytes), 8 unchanged, 1 deleted" "$(figures "$T/json" "$id")" \
    "uploaded 1 8 8 1 True"

out=$(mc push "$id" --s3 s3://testbucket/r 2>&1)
is "at the default log level: nothing" "$out" ""
out=$(MONOCACHE_LOG=info mc push "$id" --s3 s3://testbucket/r 2>&1 > /dev/null)
like "... at info, stdout is not where it goes" "$out" "uploaded to"

# --- 2. Pulls (the link is made from the index: not a download).
read -r files bytes < <(listed "$id" link)
MONOCACHE_LOG=info MONOCACHE_LOG_FORMAT=json mc pull "s3://testbucket/r/$id" --root "$T/root2" \
    2> "$T/json" > "$T/pulled"
is "a pull into an empty root: every file downloaded, the bytes aws lists, none linked" \
    "$(figures "$T/json" "$id")" "pulled $files $bytes 0 0 True"
is "... stdout still the path alone" "$(cat "$T/pulled")" "$T/root2/cache/$id"
echo "not what S3 has" > "$T/root2/cache/$id/f1"
out=$(MONOCACHE_LOG=info mc pull "s3://testbucket/r/$id" --root "$T/root2" 2>&1 > /dev/null)
like "over a copy that has most files: one downloaded, the rest linked" "$out" \
    "^monocache: info: cache $id: brought from s3://testbucket/r/$id/: 1 file, 1000 B downloaded in [0-9.]+ s; 7 already here \(linked\)$"
is "... exactly one line" "$(printf '%s\n' "$out" | wc -l)" 1
out=$(mc pull "s3://testbucket/r/$id" --root "$T/root2" 2>&1 > /dev/null)
is "... nothing at the default level" "$out" ""

# --- 3. On a terminal: what push and pull print today (the progress bar), no summary.
if command -v script > /dev/null; then
    echo again > "$ROOT/cache/$id/f2"
    out=$(MONOCACHE_LOG=info script -qc "$MC_BIN push $id --s3 s3://testbucket/r" /dev/null < /dev/null | tr '\r' '\n')
    like "push on a pty: the progress bar" "$out" "push: 1/1 files"
    refute "... and no summary line" grep -q "info: cache" <<< "$out"
    out=$(MONOCACHE_LOG=info script -qc "$MC_BIN pull s3://testbucket/r/$id --root $T/root2" /dev/null < /dev/null | tr '\r' '\n')
    like "pull on a pty: the progress bar" "$out" "pull: 1/1 files"
    refute "... and no summary line" grep -q "info: cache" <<< "$out"
else
    fail "script (util-linux) is installed, for the pty tests"
fi

# --- 4. The release's upload: its line carries the figures.
# (The watcher's stderr is not a pipe's it would hold open: a log file.)
MONOCACHE_LOG=info MONOCACHE_LOG_FILE=$T/release.log MONOCACHE_S3=s3://testbucket/r with_cache \
    sh -c 'echo "$MONOCACHE_ID" > "$0"; echo hello > "$MONOCACHE_PATH/hello"' "$T/rid"
out=$(cat "$T/release.log")
rid=$(cat "$T/rid")
like "the release: one line with what was sent" "$out" \
    "info: cache $rid: uploaded to s3://testbucket/r/$rid/: 1 file, 6 B in [0-9.]+ s; 0 unchanged \(not sent\), 0 deleted"
is "... once" "$(grep -c "uploaded to" <<< "$out")" 1
out=$(MONOCACHE_S3=s3://testbucket/r with_cache sh -c 'echo x > "$MONOCACHE_PATH/x"' 2>&1)
is "... nothing at the default level" "$out" ""

# --- 5. ls --s3: when, from where, under which name; newest first.
sleep 1.1
MONOCACHE_NAME=ci-main MONOCACHE_S3=s3://testbucket/r with_cache sh -c 'echo m > "$MONOCACHE_PATH/m"'
echo x | awsq s3 cp --quiet - "s3://testbucket/r/0b9c5f7e-3d2a-4c1e-9f6b-2a7d8e4c1b05/f"
out=$(mc ls --s3 s3://testbucket/r)
like "ls --s3: NAME, UPLOADED, HOST columns" "$out" "^NAME +UPLOADED +HOST +OBJECTS +SIZE +COMPLETE"
like "... a named cache under its name, with this host" "$out" \
    "ci-main +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z +$host +2 +"
is "... newest first (the named cache pushed last), the incomplete one last" \
    "$(sed -n '2p;$p' <<< "$out" | cut -d' ' -f1 | tr '\n' ' ')" \
    "ci-main 0b9c5f7e-3d2a-4c1e-9f6b-2a7d8e4c1b05 "
like "... an incomplete one has no time and no host" "$out" \
    "0b9c5f7e-3d2a-4c1e-9f6b-2a7d8e4c1b05 +- +- +1 .* no \(no meta.json\)"
ok "ls --s3 --json: one document, the fields, the time within a minute of now, newest first" \
    "$PY" -c 'import json, sys, datetime
rows = json.loads(sys.argv[1])
assert rows[0]["name"] == rows[0]["id"] == "ci-main", rows
assert rows[0]["host"] == sys.argv[2], rows
when = datetime.datetime.strptime(rows[0]["uploaded"], "%Y-%m-%dT%H:%M:%SZ")
assert abs((datetime.datetime.utcnow() - when).total_seconds()) < 60, rows[0]
times = [r["uploaded"] for r in rows if r["complete"]]
assert times == sorted(times, reverse=True), times
assert rows[-1]["uploaded"] is None and rows[-1]["host"] is None and not rows[-1]["complete"]
' "$(mc ls --s3 s3://testbucket/r --json)" "$host"
refute "a pulled copy's meta keeps no pusher" grep -q s3_pushed_by "$T/root2/cache/$id/meta.json"
like "... S3's meta.json names it" "$(awsq s3 cp --quiet "s3://testbucket/r/$id/meta.json" -)" \
    "\"s3_pushed_by\":\"$host\""
MONOCACHE_HOST_ID=runner-7 mc push "$id" --s3 s3://testbucket/r 2> /dev/null
like "... MONOCACHE_HOST_ID names the host when set" "$(mc ls --s3 s3://testbucket/r)" \
    "$id +[0-9TZ:-]+ +runner-7 "

# --- 6. ls marks an upload that did not complete, until a push completes it.
order failkey "/r/" 403
MONOCACHE_S3=s3://testbucket/r with_cache sh -c \
    'echo "$MONOCACHE_ID" > "$0"; echo p > "$MONOCACHE_PATH/p"' "$T/pend" 2> "$T/err"
pend=$(cat "$T/pend")
order
like "the upload failed (403)" "$(cat "$T/err")" "upload to s3://testbucket/r failed"
out=$(mc ls)
like "ls: pending, and what finishes it" "$out" \
    "$pend .*"$'\n'"  \(s3: pending: the upload to s3://testbucket/r did not complete; monocache push $pend, or gc, retries it\)"
ok "ls --json: \"s3_upload\": \"pending\"" "$PY" -c 'import json, sys
rows = {r["id"]: r for r in json.loads(sys.argv[1])}
assert rows[sys.argv[2]]["s3_upload"] == "pending", rows[sys.argv[2]]
assert rows[sys.argv[3]]["s3_upload"] is None, rows[sys.argv[3]]' "$(mc ls --json)" "$pend" "$id"
ok "monocache push finishes it" mc push "$pend"
refute "... ls no longer marks it" grep -q "s3: pending" <<< "$(mc ls)"
ok "... nor ls --json" "$PY" -c 'import json, sys
assert all(r["s3_upload"] is None for r in json.loads(sys.argv[1]))' "$(mc ls --json)"

# A tree whose release is uploading: the watcher holds it.
order hold PUT
MONOCACHE_S3=s3://testbucket/r MONOCACHE_S3_ASYNC=1 with_cache sh -c \
    'echo "$MONOCACHE_ID" > "$0"; echo u > "$MONOCACHE_PATH/u"' "$T/uid"
uid=$(cat "$T/uid")
eventually 20 grep -q "^PUT .*/r/$uid/u" "$T/requests"
like "ls: a release uploading now" "$(mc ls)" "$uid .*"$'\n'"  \(s3: uploading now to s3://testbucket/r\)"
ok "... ls --json: \"uploading\"" "$PY" -c 'import json, sys
rows = {r["id"]: r for r in json.loads(sys.argv[1])}
assert rows[sys.argv[2]]["s3_upload"] == "uploading", rows[sys.argv[2]]' "$(mc ls --json)" "$uid"
order
eventually 20 gone "$ROOT/cache/$uid"
ok "... and then uploaded and wiped" gone "$ROOT/cache/$uid"

finish
