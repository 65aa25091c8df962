"""A tour of the bugs iolint finds. Run: iolint check examples/io_bugs.py"""

import json
import os
import socket
import struct


def ship_metrics(lines: list[bytes]) -> None:
    sock = socket.create_connection(("127.0.0.1", 2003))
    for line in lines:
        sock.send(line)  # short send under load: the rest of the metric is lost


def read_frame(sock: socket.socket) -> int:
    (length,) = struct.unpack(">I", sock.recv(4))  # recv(4) may return 1, 2 or 3 bytes
    return length


def copy_to(fd: int, chunk: bytes) -> None:
    os.write(fd, chunk)  # a short write silently drops the tail of the chunk


def pump(master_fd: int, out) -> None:
    while True:
        try:
            data = os.read(master_fd, 4096)
        except BlockingIOError:
            continue
        out.write(data)  # at EOF os.read returns b'' forever: 100% CPU


def wait_for_key(fd: int) -> bool:
    return os.read(fd, 1) == 0  # bytes are never equal to 0: EOF is b''


def save_settings(path: str, settings: dict) -> None:
    with open(path, "w") as f:  # truncates in place: a crash leaves an empty file
        json.dump(settings, f)
