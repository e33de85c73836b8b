"""listen.py — what redisproxy.py (and any test server added here) needs:
a socket listening on a free port of 127.0.0.1, the port
written to a file whole (by a rename), for the test that waits for it."""
import os
import socket


def listen(port_file, backlog):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(backlog)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % listener.getsockname()[1])
    os.rename(port_file + ".tmp", port_file)
    return listener
