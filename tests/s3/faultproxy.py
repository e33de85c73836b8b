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
  silent METHOD...  requests with one of these methods are read and never
                  answered (the connection stays open until the order changes)
  trickle METHOD...  the answers to these methods (head and body) go one
                  byte every 300 ms, until the order changes
  fake200 METHOD...  these get "200 OK" with an <Error> body (InvalidRequest)
                  and no ETag, and never reach s3rver
  noetag METHOD...  these reach s3rver, and their answers lose their ETag
  etag METHOD VALUE [TEXT]  the answers to METHOD (on paths holding TEXT)
                  carry ETag "VALUE" instead
  holdfirst METHOD TEXT  the first request with METHOD whose path holds TEXT
                  waits, unanswered, until the order changes (logged "held"
                  when it arrives); the others pass
  failkey TEXT STATUS  requests whose path holds TEXT get STATUS
  inject KEY      every listing also names KEY (as if it were there)
  biglist PREFIX N [PAGE]  listings of PREFIX (a cache's, "p/<id>/") or of a
                  prefix of it also name N made-up objects PREFIXfNNNNNNN,
                  among what is really there, in key order, PAGE (1000) a
                  page; a GET of one of them answers its 4 bytes
  listloop        every listing is truncated and names the same
                  continuation token again
  (empty)         pass everything through
Listings asked with encoding-type=url come back encoded as AWS encodes them
(a space as '+', '+' as %2B), which s3rver does not do.
A file CONTROL_FILE.conditional, while it exists, makes PUT honour
If-Match and If-None-Match (answering 412), as AWS does and s3rver does not.
Each request is logged as "METHOD PATH?QUERY STATUS".
"""
import hashlib
import html
import re
import http.client
import http.server
import os
import socketserver
import sys
import threading
import time
import urllib.parse

UPSTREAM, PORT_FILE, CONTROL, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
LISTEN = int(sys.argv[5]) if len(sys.argv) > 5 else 0
state = {"mtime": None, "order": [], "left": 0, "held": False}
lock = threading.Lock()

ERROR_BODY = ('<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
              '<Message>injected by faultproxy</Message></Error>')
CODES = {500: "InternalError", 503: "SlowDown", 403: "AccessDenied", 429: "SlowDown",
         412: "PreconditionFailed"}
PAGE = 1000
FAKE_BODY = b"fake"
FAKE_ETAG = hashlib.md5(FAKE_BODY).hexdigest()


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
            state["held"] = False
        order = state["order"]
        if order and order[0] in ("fail", "drop"):
            if state["left"] <= 0:
                return []
            state["left"] -= 1
        return order


def aws_encoded(payload):
    """A listing as AWS answers encoding-type=url: keys and prefixes %XX,
    a space as '+'. s3rver answers them raw, without EncodingType."""
    text = payload.decode()
    if "<EncodingType>" in text or "<ListBucketResult" not in text:
        return payload

    def encode(match):
        raw = html.unescape(match.group(2))
        return "<%s>%s</%s>" % (match.group(1), urllib.parse.quote_plus(raw, safe="/"),
                                match.group(1))
    text = re.sub(r"<(Key|Prefix)>([^<]*)</(?:Key|Prefix)>", encode, text)
    text = text.replace("<Name>", "<EncodingType>url</EncodingType><Name>", 1)
    return text.encode()


def listing_page(prefix, keys, token):
    contents = "".join("<Contents><Key>%s</Key><ETag>&quot;%s&quot;</ETag><Size>%d</Size>"
                       "</Contents>" % (urllib.parse.quote(k, safe="/"), FAKE_ETAG,
                                        len(FAKE_BODY)) for k in keys)
    more = ("<IsTruncated>true</IsTruncated><NextContinuationToken>%s</NextContinuationToken>"
            % token) if token else "<IsTruncated>false</IsTruncated>"
    return ('<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>testbucket</Name>'
            '<Prefix>%s</Prefix><EncodingType>url</EncodingType>%s%s</ListBucketResult>'
            % (urllib.parse.quote(prefix, safe="/"), more, contents)).encode()


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

    def answer(self, status, body, headers=(), trickle=False):
        self.log(status)
        if trickle:
            # The whole answer, head included, a byte at a time, until the
            # order changes (then the rest at once).
            head = "HTTP/1.1 %d %s\r\n" % (status, self.responses.get(status, ("",))[0])
            head += "".join("%s: %s\r\n" % (n, v) for n, v in headers)
            head += "Content-Length: %d\r\n\r\n" % len(body)
            data = head.encode() + (body if self.command != "HEAD" else b"")
            order = current_order()
            for i in range(len(data)):
                if current_order() != order:
                    self.wfile.write(data[i:])
                    break
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
                time.sleep(0.3)
            return
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def answer_error(self, status):
        body = ERROR_BODY.format(code=CODES.get(status, "InternalError")).encode()
        self.answer(status, body, [("Content-Type", "application/xml")])

    def query(self):
        parsed = urllib.parse.urlsplit(self.path)
        return parsed.path, urllib.parse.parse_qs(parsed.query, keep_blank_values=True)

    def is_listing(self):
        path, query = self.query()
        return self.command == "GET" and query.get("list-type") == ["2"]

    def upstream(self, method, path, body=b"", headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
        conn.request(method, path, body=body, headers=headers or {})
        reply = conn.getresponse()
        payload = reply.read()
        conn.close()
        return reply, payload

    def precondition_failed(self):
        """PUT If-Match / If-None-Match, checked against what s3rver has."""
        if self.command != "PUT" or not os.path.exists(CONTROL + ".conditional"):
            return False
        want, none = self.headers.get("If-Match"), self.headers.get("If-None-Match")
        if not want and not none:
            return False
        # Unsigned: s3rver answers anyone (a signature is for one request).
        head, _ = self.upstream("HEAD", urllib.parse.urlsplit(self.path).path)
        etag = head.getheader("ETag") if head.status == 200 else None
        if none == "*" and etag:
            return True
        return bool(want) and want != etag

    def biglist(self, order):
        """Made-up objects among the real ones, in key order. True if answered."""
        fake_prefix, count = order[1], int(order[2])
        size = int(order[3]) if len(order) > 3 else PAGE
        path, query = self.query()
        if self.command == "GET" and path.startswith("/testbucket/" + fake_prefix + "f"):
            self.answer(200, FAKE_BODY, [("ETag", '"%s"' % FAKE_ETAG)])
            return True
        prefix = query.get("prefix", [""])[0]
        if not self.is_listing() or not fake_prefix.startswith(prefix):
            return False
        token = query.get("continuation-token", ["fake-0"])[0]
        memo = (tuple(order), prefix)
        if token == "fake-0" or state.get("biglist", (None,))[0] != memo:
            # What is really there (a few objects: one page of s3rver's).
            reply, payload = self.upstream("GET", path + "?" + urllib.parse.urlencode(
                {"list-type": "2", "prefix": prefix}))
            real = [(html.unescape(k), b) for b, k in re.findall(
                r"(<Contents><Key>([^<]*)</Key>.*?</Contents>)", payload.decode())]
            keys = sorted([k for k, _ in real] +
                          ["%sf%07d" % (fake_prefix, i) for i in range(count)])
            state["biglist"] = (memo, keys, dict(real))
        keys, blocks = state["biglist"][1], state["biglist"][2]
        first = int(token[5:])
        page = keys[first:first + size]
        contents = "".join(
            blocks[k].replace("<Key>%s</Key>" % html.escape(k, quote=False),
                              "<Key>%s</Key>" % urllib.parse.quote_plus(k, safe="/"))
            if k in blocks else
            "<Contents><Key>%s</Key><ETag>&quot;%s&quot;</ETag><Size>%d</Size></Contents>"
            % (urllib.parse.quote_plus(k, safe="/"), FAKE_ETAG, len(FAKE_BODY)) for k in page)
        more = ("<IsTruncated>true</IsTruncated><NextContinuationToken>fake-%d"
                "</NextContinuationToken>" % (first + size)) if first + size < len(keys) \
            else "<IsTruncated>false</IsTruncated>"
        body = ('<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>testbucket'
                '</Name><EncodingType>url</EncodingType><Prefix>%s</Prefix>%s%s'
                '</ListBucketResult>' % (urllib.parse.quote_plus(prefix, safe="/"), more,
                                         contents))
        self.answer(200, body.encode(), [("Content-Type", "application/xml")])
        return True

    def first_to_hold(self, order):
        if not order or order[0] != "holdfirst" or self.command != order[1]:
            return False
        if order[2] not in self.path:
            return False
        with lock:
            if state["held"]:
                return False
            state["held"] = True
        return True

    def relay(self):
        order = current_order()
        data = self.body()
        if self.first_to_hold(order):
            self.log("held")
            while current_order() == order:
                time.sleep(0.02)
            order = current_order()
        if order and order[0] == "failkey" and order[1] in self.path:
            return self.answer_error(int(order[2]))
        while order and order[0] == "hold" and self.command in order[1:]:
            time.sleep(0.02)
            order = current_order()
        if order and order[0] == "silent" and self.command in order[1:]:
            self.log("silent")
            while current_order() == order:
                time.sleep(0.05)
            self.close_connection = True
            return
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
        if order and order[0] == "fake200" and self.command in order[1:]:
            return self.answer(200, ERROR_BODY.format(code="InvalidRequest").encode(),
                               [("Content-Type", "application/xml")])
        if order and order[0] == "listloop" and self.is_listing():
            path, query = self.query()
            prefix = query.get("prefix", [""])[0]
            return self.answer(200, listing_page(prefix, [prefix + "loop"], "again"),
                               [("Content-Type", "application/xml")])
        if order and order[0] == "biglist" and self.biglist(order):
            return
        if self.precondition_failed():
            return self.answer_error(412)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "expect"}
        reply, payload = self.upstream(self.command, self.path, data, headers)
        if self.is_listing() and self.query()[1].get("encoding-type") == ["url"]:
            payload = aws_encoded(payload)
        if order and order[0] == "inject" and self.is_listing():
            extra = ("<Contents><Key>%s</Key><ETag>&quot;%s&quot;</ETag><Size>4</Size>"
                     "</Contents>" % (urllib.parse.quote(order[1], safe="/"), FAKE_ETAG))
            payload = payload.replace(b"</ListBucketResult>",
                                      extra.encode() + b"</ListBucketResult>")
        out = []
        for name, value in reply.getheaders():
            if name.lower() in ("transfer-encoding", "connection", "content-length"):
                continue
            if (name.lower() == "etag" and order and order[0] == "etag" and
                    self.command == order[1] and (len(order) < 4 or order[3] in self.path)):
                value = '"%s"' % order[2]
            if (name.lower() == "etag" and order and order[0] == "noetag" and
                    self.command in order[1:]):
                continue
            out.append((name, value))
        self.answer(reply.status, payload, out,
                    trickle=bool(order and order[0] == "trickle" and self.command in order[1:]))

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
