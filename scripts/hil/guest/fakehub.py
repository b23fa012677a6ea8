#!/usr/bin/env python3
"""A stand-in for the node's yurthub, just enough to move yurtnetd's cloud state (and so the cloud LED) without
timing: yurtnetd decides from yurthub's health metric when there is one, and a 401 is evidence of nothing.
- 127.0.0.1:10261, the API port: every request is answered 401 Unauthorized, so yurtnetd's own requests never
  count as online or offline;
- 127.0.0.1:10267, the management port: any GET is answered with the file METRICS (yurthub's
  node_yurthub_server_healthy_status 0 or 1), or an empty exposition while the file does not exist.
So the cloud is unknown until METRICS says healthy (online) or unhealthy (offline), for as long as it says so.
usage: fakehub.py METRICS. Uses only what python3-minimal has (the guest's Python: no http.server, no json)."""
import socket
import sys
import threading

metrics = sys.argv[1]
UNAUTHORIZED = (b'{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized",'
                b'"code":401}')


def answer(conn, api):
    with conn:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk:
                return
            request += chunk
        if api:
            status, kind, body = b"401 Unauthorized", b"application/json", UNAUTHORIZED
        else:
            try:
                body = open(metrics, "rb").read()
            except FileNotFoundError:
                body = b""
            status, kind = b"200 OK", b"text/plain; version=0.0.4"
        conn.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Type: " + kind + b"\r\nConnection: close\r\n"
                     + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def serve(port, api):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=answer, args=(conn, api), daemon=True).start()


threading.Thread(target=serve, args=(10261, True), daemon=True).start()
serve(10267, False)
