"""IO1xx beyond the fixtures: exact reporting locations, what the messages teach, and shapes
that are awkward to mark inline (multi-line calls, odd syntax the model must survive)."""

from __future__ import annotations

import sys
import textwrap

import pytest
from helpers import lint

CODES = ["IO101", "IO102", "IO103", "IO104", "IO105"]


def only(source: str, code: str) -> list[tuple[int, int]]:
    return [(d.start.line, d.start.column) for d in lint(textwrap.dedent(source), [code])]


def test_io101_reports_at_the_call_not_the_statement() -> None:
    source = """
    import os
    def f(fd, data):
        unused = os.write(fd, data)
        os.write(
            fd,
            data,
        )
    """
    assert only(source, "IO101") == [(4, 13), (5, 4)]


def test_io102_reports_at_the_call() -> None:
    source = """
    import socket
    def f(s: socket.socket, d):
        if d: s.send(d)
    """
    assert only(source, "IO102") == [(4, 10)]


def test_io103_reports_at_the_read_call() -> None:
    source = """
    import os, struct
    def f(fd):
        return struct.unpack(
            "<I", os.read(fd, 4)
        )
    """
    assert only(source, "IO103") == [(5, 14)]


def test_io104_reports_at_the_read_call() -> None:
    source = """
    import os
    def f(fd, out):
        while True:
            out.append(os.read(fd, 10))
    """
    assert only(source, "IO104") == [(5, 19)]


def test_io105_reports_at_the_comparison() -> None:
    source = """
    import os
    def f(fd):
        data = os.read(fd, 1)
        return None if data == 0 else data
    """
    assert only(source, "IO105") == [(5, 19)]


@pytest.mark.parametrize(
    ("code", "source", "consequence", "remedy"),
    [
        ("IO101", "import os\nos.write(3, data)\n", "silently lost", "loop until"),
        (
            "IO102",
            "import socket\ns = socket.socket()\ns.send(data)\n",
            "lost under load",
            "sendall()",
        ),
        (
            "IO103",
            "import os, struct\nstruct.unpack('<I', os.read(3, 4))\n",
            "fewer bytes",
            "raise EOFError",
        ),
        (
            "IO104",
            "import os\ndef f():\n    while True:\n        d = os.read(3, 1)\n        print(d)\n",
            "100% CPU",
            "if not data: break",
        ),
        ("IO105", "import os\nif os.read(3, 1) == 0:\n    pass\n", "always False", "not data"),
        ("IO105", "import os\nif os.open('p', 0) < 0:\n    pass\n", "raises OSError", "catch"),
    ],
)
def test_messages_say_what_happens_and_what_to_do(
    code: str, source: str, consequence: str, remedy: str
) -> None:
    (d,) = lint(source, [code])
    assert consequence in d.message and remedy in d.message, d.message


@pytest.mark.parametrize(
    ("source", "sentinel"),
    [
        (
            "import os\ndef f(fd):\n    while True:\n        d = os.read(fd, 1)\n"
            "        if d is None:\n            break\n",
            "`is None`",
        ),
        (
            "import os\ndef f(fd):\n    while True:\n        try:\n            d = os.read(fd, 1)\n"
            "        except EOFError:\n            break\n        print(d)\n",
            "`except EOFError`",
        ),
    ],
)
def test_io104_names_the_wrong_sentinel(source: str, sentinel: str) -> None:
    (d,) = lint(source, ["IO104"])
    assert sentinel in d.message and "never" in d.message


@pytest.mark.parametrize(
    "flags",
    [
        "socket.MSG_WAITALL",
        "socket.MSG_WAITALL | socket.MSG_NOSIGNAL",
        "flags=socket.MSG_WAITALL",
    ],
)
def test_io103_msg_waitall_spellings(flags: str) -> None:
    template = (
        "import socket, struct\n"
        "def f(s: socket.socket):\n"
        "    return struct.unpack('>I', s.recv(4{}))\n"
    )
    assert [d.code for d in lint(template.format(""), ["IO103"])] == ["IO103"]
    assert lint(template.format(", " + flags), ["IO103"]) == []


def test_io103_msg_waitall_imported_by_name() -> None:
    source = (
        "import struct\nfrom socket import MSG_WAITALL, socket\n"
        "def f(s: socket):\n    return struct.unpack('>I', s.recv(4, MSG_WAITALL))\n"
    )
    assert lint(source, ["IO103"]) == []


def test_noqa_on_the_reporting_line() -> None:
    source = "import os\ndef f(fd, d):\n    os.write(fd, d)  # noqa: IO101\n    os.write(fd, d)\n"
    assert [(d.start.line, d.code) for d in lint(source, ["IO101"])] == [(4, "IO101")]


def test_only_the_io1xx_family_reports_on_a_clean_read_exactly() -> None:
    source = """
    import socket
    import struct


    def read_exactly(sock: socket.socket, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            if not chunk:
                raise EOFError(f"closed after {len(buf)} of {n} bytes")
            buf += chunk
        return bytes(buf)


    def frame(sock: socket.socket) -> bytes:
        (size,) = struct.unpack(">I", read_exactly(sock, 4))
        return read_exactly(sock, size)
    """
    assert lint(textwrap.dedent(source), CODES) == []


ODD_SYNTAX = """
import os, socket, struct

def pattern(fd, cmd):
    match cmd:
        case "read":
            while True:
                data = os.read(fd, 10)
                match data:
                    case b"":
                        break
                    case _:
                        print(data)
        case _:
            pass

def nested(fd):
    def inner():
        return os.read(fd, 4)
    return [struct.unpack("<I", inner()) for _ in range(2)]

lam = lambda fd: os.write(fd, b"xy")

class K:
    sock: "socket.socket"

    def run(self):
        while (d := self.sock.recv(10)) != b"":
            print(d)

async def coro(reader):
    while True:
        data = await reader.read(100)
        if not data:
            break

def star(fd, *args, **kwargs):
    os.write(*args)
    os.read(**kwargs)
    return struct.unpack(*args)
"""


@pytest.mark.skipif(sys.version_info < (3, 10), reason="match statements need 3.10")
def test_odd_syntax_does_not_crash_and_stays_quiet() -> None:
    # helpers.lint fails on any internal error raised by a rule; the one finding is the
    # discarded count of os.write(*args), which no fix touches (its arguments are unknown).
    found = lint(ODD_SYNTAX, CODES)
    assert [(d.start.line, d.code) for d in found] == [(38, "IO101")]
    assert found[0].fix is None


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("from os import write as w\ndef f(fd, d):\n    w(fd, d)\n", "IO101"),
        (
            "from os import read as rd\ndef f(fd):\n    while True:\n        print(rd(fd, 1))\n",
            "IO104",
        ),
        ("import struct\nfrom os import pread as pr\nstruct.unpack('<I', pr(3, 4, 0))\n", "IO103"),
    ],
)
def test_aliased_calls_pass_the_trigger_scan(source: str, code: str) -> None:
    # The only spelling of the call in the file is the alias: the cheap trigger scan must
    # still let the file through to the model, which resolves the alias.
    assert [d.code for d in lint(source, [code])] == [code]
