"""A length-prefixed message protocol over stream sockets."""

import struct


def send_message(sock, payload):
    sock.sendall(struct.pack(">I", len(payload)) + payload)


def recv_exactly(sock, n):
    chunks = []
    while n:
        chunk = sock.recv(n)
        if not chunk:
            raise EOFError("connection closed mid-message")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def recv_message(sock):
    (size,) = struct.unpack(">I", recv_exactly(sock, 4))
    return recv_exactly(sock, size)
