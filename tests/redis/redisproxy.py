"""redisproxy.py — a TCP proxy in front of a real redis-server that passes
requests on at once and its replies on as it is told, for the Redis
register tests (tests/lib-redis.sh starts it: start_redis_proxy).

usage: redisproxy.py UPSTREAM_PORT PORT_FILE CONTROL_FILE DONE_FILE

Listens on a free port of 127.0.0.1 and writes it to PORT_FILE. The control
file holds one order, re-read as it changes:
  trickle MS   each byte of a reply goes on MS milliseconds after the one
               before; a reply sent whole this way touches DONE_FILE
  cut          every connection is closed, and every new one at once: the
               host behind this proxy is cut off from Redis
  (empty)      pass everything through
"""
import os
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True     # (nothing written in the source tree)
from listen import listen  # noqa: E402

UPSTREAM, PORT_FILE, CONTROL, DONE = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
POLL_S = 0.02
CHUNK = 65536
state = {"mtime": None, "order": []}
lock = threading.Lock()
open_sockets = set()


def order():
    try:
        mtime = os.stat(CONTROL).st_mtime_ns
    except FileNotFoundError:
        mtime = None
    with lock:
        if mtime != state["mtime"]:
            state["mtime"] = mtime
            try:
                with open(CONTROL) as f:
                    state["order"] = f.read().split()
            except FileNotFoundError:
                state["order"] = []
        return list(state["order"])


def close(*socks):
    for s in socks:
        with lock:
            open_sockets.discard(s)
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


def requests(client, upstream):
    try:
        while True:
            data = client.recv(CHUNK)
            if not data:
                break
            upstream.sendall(data)
    except OSError:
        pass
    close(client, upstream)


def replies(client, upstream):
    try:
        while True:
            data = upstream.recv(CHUNK)
            if not data:
                break
            now = order()
            if now[:1] == ["trickle"]:
                for i in range(len(data)):
                    time.sleep(int(now[1]) / 1000.0)
                    client.sendall(data[i:i + 1])
                with open(DONE, "a") as f:
                    f.write("%d bytes\n" % len(data))
            else:
                client.sendall(data)
    except OSError:
        pass
    close(client, upstream)


def cutter():
    while True:
        time.sleep(POLL_S)
        if order()[:1] == ["cut"]:
            with lock:
                socks = list(open_sockets)
            close(*socks)


def main():
    listener = listen(PORT_FILE, 64)
    threading.Thread(target=cutter, daemon=True).start()
    while True:
        client, _ = listener.accept()
        if order()[:1] == ["cut"]:
            close(client)
            continue
        try:
            upstream = socket.create_connection(("127.0.0.1", UPSTREAM))
        except OSError:
            close(client)
            continue
        with lock:
            open_sockets.update((client, upstream))
        threading.Thread(target=requests, args=(client, upstream), daemon=True).start()
        threading.Thread(target=replies, args=(client, upstream), daemon=True).start()


main()
