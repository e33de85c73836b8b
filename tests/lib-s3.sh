# lib-s3.sh — an S3-compatible server for the S3 tests (t95-t98), sourced
# after lib.sh: s3rver on loopback (start_s3rver) and, in front of it, a
# proxy that logs every request and injects faults on order
# (tests/s3/faultproxy.py, start_proxy; start_s3 starts both). Trees reach
# S3 through the proxy once it runs (AWS_ENDPOINT_URL); awsq, the aws CLI
# that checks what we uploaded, goes to s3rver itself. Each server is
# stopped when the file ends, however it ends (atexit), by the pid this
# file started.

PY=$(command -v /usr/bin/python3 || command -v python3)
S3RVER=${MC_S3RVER:-$top/tests/.deps/node_modules/.bin/s3rver}
if [ ! -x "$S3RVER" ] && command -v npm > /dev/null; then
    npm install --silent --prefix "$top/tests/.deps" s3rver@3.7.1 > /dev/null 2>&1
fi
if [ ! -x "$S3RVER" ] || ! command -v aws > /dev/null || ! "$PY" -c 'import botocore' 2> /dev/null; then
    fail "s3rver (npm), the aws CLI and python3-botocore are installed (make deps)"
    finish
    exit
fi
SIGN=${MC_HELPERS%/helpers}/unit/s3sign

export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_REGION AWS_ENDPOINT_URL_S3

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# stop_server PID: ends a server this file started, and waits until it has.
stop_server() {
    [ -n "$1" ] || return 0
    kill "$1" 2> /dev/null
    eventually 10 ended "$1"
}

# start_s3rver: s3rver on a free port ($S3_PORT), its data under $T, with
# the bucket testbucket. (Without the legacy provider, a listing of more
# than 1000 keys fails on Node 18+.)
start_s3rver() {
    S3_PORT=$(free_port)
    mkdir -p "$T/s3data"
    server env NODE_OPTIONS=--openssl-legacy-provider "$S3RVER" -d "$T/s3data" \
        -a 127.0.0.1 -p "$S3_PORT" --configure-bucket testbucket --silent \
        > "$T/s3rver.log" 2>&1
    S3RVER_PID=$!
    atexit 'stop_server "$S3RVER_PID"'
    eventually 20 curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/testbucket"
    export AWS_ENDPOINT_URL=http://127.0.0.1:$S3_PORT
}

# start_proxy [PORT]: the proxy in front of s3rver, on PORT or a free one
# ($PROXY); every request of the trees goes through it from now on.
proxy_cleanup=0
start_proxy() {
    [ -e "$T/control" ] || : > "$T/control"
    rm -f "$T/proxy.port"
    server "$PY" "$top/tests/s3/faultproxy.py" "$S3_PORT" "$T/proxy.port" "$T/control" \
        "$T/requests" "$@"
    PROXY_PID=$!
    if [ "$proxy_cleanup" = 0 ]; then
        proxy_cleanup=1
        atexit 'stop_proxy'
    fi
    eventually 20 test -s "$T/proxy.port"
    PROXY=http://127.0.0.1:$(cat "$T/proxy.port")
    export AWS_ENDPOINT_URL=$PROXY
}

# stop_proxy: the proxy gone (connections reset, then refused).
stop_proxy() {
    stop_server "${PROXY_PID:-}"
    PROXY_PID=
}

start_s3() {
    start_s3rver
    start_proxy
}

awsq() {
    aws --endpoint-url "http://127.0.0.1:$S3_PORT" "$@"
}

# The requests the proxy answered since the last order.
requests() {
    cat "$T/requests" 2> /dev/null
}

# order [ORDER...]: the proxy's next order (see faultproxy.py); none passes
# everything through. The request log starts again.
order() {
    echo "$*" > "$T/control"
    : > "$T/requests"
}
