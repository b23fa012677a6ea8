#!/usr/bin/env python3
"""A stand-in for the node's yurthub, just enough to move yurtnetd's cloud state (and so the cloud LED):
- 127.0.0.1:10261, the API port: accepts connections and never answers, so yurtnetd gets no evidence from its own
  requests (they time out after 30 s);
- 127.0.0.1:10267, the management port: any GET is answered with the file METRICS (yurthub's
  node_yurthub_server_healthy_status 0 or 1), or an empty exposition while the file does not exist.
usage: fakehub.py METRICS. Uses only what python3-minimal has (the guest's Python: no http.server)."""
import socket
import sys
import threading

metrics = sys.argv[1]

api = socket.socket()
api.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
api.bind(("127.0.0.1", 10261))
api.listen(64)  # never accepted: the kernel completes the handshakes, nothing ever answers


def answer(conn):
    with conn:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk:
                return
            request += chunk
        try:
            body = open(metrics, "rb").read()
        except FileNotFoundError:
            body = b""
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nConnection: close\r\n"
                     + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


management = socket.socket()
management.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
management.bind(("127.0.0.1", 10267))
management.listen(16)
while True:
    conn, _ = management.accept()
    threading.Thread(target=answer, args=(conn,), daemon=True).start()
