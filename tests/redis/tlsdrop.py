"""tlsdrop.py — a TLS server that finishes the handshake and then ends the
session without a word (no alert, no close_notify), as a server that wants
a client certificate does under TLS 1.3: for tests/t93-redis-tls.sh.

usage: tlsdrop.py CERT KEY PORT_FILE close|reset

close ends each connection with a FIN, reset with a RST (SO_LINGER 0).
"""
import socket
import ssl
import struct
import sys

sys.dont_write_bytecode = True     # (nothing written in the source tree)
from listen import listen  # noqa: E402

CERT, KEY, PORT_FILE, HOW = sys.argv[1:5]
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(CERT, KEY)
listener = listen(PORT_FILE, 16)
while True:
    client, _ = listener.accept()
    try:
        tls = context.wrap_socket(client, server_side=True)
        tls.recv(1)         # the client's first request has arrived
    except (OSError, ssl.SSLError):
        client.close()
        continue
    if HOW == "reset":
        tls.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    # The descriptor itself is closed: no close_notify goes out.
    socket.socket(fileno=tls.detach()).close()
