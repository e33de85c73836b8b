"""fakesentinel.py — a sentinel that names, whatever it is asked, the
server it was given: for the test of a sentinel that names a replica (as
one may, for a moment, after a failover). tests/t92-redis-sentinel.sh
starts it.

usage: fakesentinel.py PORT_FILE NAMED_HOST NAMED_PORT

Listens on a free port of 127.0.0.1 (written to PORT_FILE); every command
it reads gets the reply of SENTINEL get-master-addr-by-name: [host, port].
"""
import socket
import sys
import threading

sys.dont_write_bytecode = True     # (nothing written in the source tree)
from listen import listen  # noqa: E402

PORT_FILE, HOST, PORT = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
REPLY = b"*2\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(HOST), HOST, len(PORT), PORT)


def serve(client):
    pending = b""
    try:
        while True:
            data = client.recv(65536)
            if not data:
                break
            pending += data
            # One reply per whole command: "*N\r\n" then N "$len\r\narg\r\n".
            while True:
                parts = pending.split(b"\r\n")
                if not parts[0].startswith(b"*"):
                    break
                count = int(parts[0][1:])
                if len(parts) < 1 + 2 * count + 1:
                    break
                used = sum(len(p) + 2 for p in parts[:1 + 2 * count])
                pending = pending[used:]
                client.sendall(REPLY)
    except OSError:
        pass
    client.close()


def main():
    listener = listen(PORT_FILE, 16)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=serve, args=(client,), daemon=True).start()


main()
