"""faultproxy.py — an HTTP proxy in front of s3rver that logs every request
and injects faults on demand, for the S3 tests (tests/lib-s3.sh starts it).

usage: faultproxy.py UPSTREAM_PORT PORT_FILE CONTROL_FILE LOG_FILE [LISTEN_PORT]

Without LISTEN_PORT it listens on a free port; either way the port is
written to PORT_FILE.

The control file holds one order, re-read when it changes:
  fail N STATUS   the next N requests get STATUS (an S3 error body)
  drop N          the next N requests: connection closed without an answer
  slow MS         every request waits MS milliseconds first
  forbid          every request gets 403 AccessDenied
  hold METHOD...  requests with one of these methods wait, unanswered, until
                  the order changes; the order then in force applies to them
  (empty)         pass everything through
Each request is logged as "METHOD PATH?QUERY STATUS".
"""
import http.client
import http.server
import os
import socketserver
import sys
import threading
import time

UPSTREAM, PORT_FILE, CONTROL, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
LISTEN = int(sys.argv[5]) if len(sys.argv) > 5 else 0
state = {"mtime": None, "order": [], "left": 0}
lock = threading.Lock()

ERROR_BODY = ('<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
              '<Message>injected by faultproxy</Message></Error>')
CODES = {500: "InternalError", 503: "SlowDown", 403: "AccessDenied", 429: "SlowDown"}


def current_order():
    try:
        mtime = os.stat(CONTROL).st_mtime_ns
    except FileNotFoundError:
        mtime = None
    with lock:
        if mtime != state["mtime"]:
            state["mtime"] = mtime
            text = open(CONTROL).read().split() if mtime else []
            state["order"] = text
            state["left"] = int(text[1]) if text and text[0] in ("fail", "drop") else 0
        order = state["order"]
        if order and order[0] in ("fail", "drop"):
            if state["left"] <= 0:
                return []
            state["left"] -= 1
        return order


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def log(self, status):
        with lock, open(LOG, "a") as log:
            log.write("%s %s %s\n" % (self.command, self.path, status))

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def answer_error(self, status):
        body = ERROR_BODY.format(code=CODES.get(status, "InternalError")).encode()
        self.log(status)
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def relay(self):
        order = current_order()
        data = self.body()
        while order and order[0] == "hold" and self.command in order[1:]:
            time.sleep(0.02)
            order = current_order()
        if order and order[0] == "slow":
            time.sleep(int(order[1]) / 1000)
        if order and order[0] == "drop":
            self.log("dropped")
            self.close_connection = True
            self.connection.close()
            return
        if order and order[0] == "fail":
            return self.answer_error(int(order[2]))
        if order and order[0] == "forbid":
            return self.answer_error(403)
        upstream = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "expect"}
        upstream.request(self.command, self.path, body=data, headers=headers)
        reply = upstream.getresponse()
        payload = reply.read()
        self.log(reply.status)    # before the answer: once a client has it, it is logged
        self.send_response(reply.status)
        for name, value in reply.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        upstream.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = relay


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass    # dropped connections, on purpose


server = Server(("127.0.0.1", LISTEN), Proxy)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
