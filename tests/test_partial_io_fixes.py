"""IO1xx fixes: applied to the text they were computed on, they must give code that parses
(``ast`` and libcst), no longer triggers the rule, does not change when fixed again, and, where
it can be run, behaves as intended against real pipes and sockets."""

from __future__ import annotations

import ast
import os
import signal
import socket
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import libcst
import pytest
from helpers import lint

from iolint.diagnostics import Applicability, Diagnostic, Edit, Position

# ----------------------------------------------------------------- applying edits


def _offset(text: str, pos: Position) -> int:
    """Character offset of a (1-based line, 0-based character column) position. Lines end at
    ``\\n``, ``\\r\\n`` or a lone ``\\r``, as for the interpreter."""
    line, offset = 1, 0
    while line < pos.line:
        ends = [i for i in (text.find("\n", offset), text.find("\r", offset)) if i >= 0]
        if not ends:
            raise AssertionError(f"position {pos} is past the end of the text")
        nl = min(ends)
        offset = nl + (2 if text.startswith("\r\n", nl) else 1)
        line += 1
    return offset + pos.column


def splice(text: str, edits: list[Edit]) -> str:
    spans = sorted(
        ((_offset(text, e.start), _offset(text, e.end), e.content) for e in edits), reverse=True
    )
    for earlier, later in zip(spans[1:], spans):
        assert earlier[1] <= later[0], "overlapping edits"
    for start, end, content in spans:
        assert start <= end
        text = text[:start] + content + text[end:]
    return text


def fixes_of(source: str, code: str) -> list[Diagnostic]:
    return [d for d in lint(source, [code]) if d.fix is not None]


def apply_fixes(source: str, code: str) -> str:
    edits = [e for d in fixes_of(source, code) for e in d.fix.edits]  # type: ignore[union-attr]
    return splice(source, edits) if edits else source


def check_fix(source: str, code: str, expect_fixes: int = 1) -> str:
    """Apply every fix of ``code`` and check the properties every fix must have."""
    source = textwrap.dedent(source)
    assert len(fixes_of(source, code)) == expect_fixes, lint(source, [code])
    fixed = apply_fixes(source, code)
    assert fixed != source
    ast.parse(fixed)
    libcst.parse_module(fixed)
    assert [d for d in lint(fixed, [code])] == [], fixed
    assert apply_fixes(fixed, code) == fixed  # idempotent
    return fixed


def load(source: str, name: str) -> Callable[..., object]:
    namespace: dict[str, object] = {}
    exec(compile(source, "<fixed>", "exec"), namespace)
    func = namespace[name]
    assert callable(func)
    return func


def test_splice_handles_crlf_and_unicode() -> None:
    text = "a = 'é'\r\nb = 1\r\n"
    assert splice(text, [Edit(Position(2, 4), Position(2, 5), "2")]) == "a = 'é'\r\nb = 2\r\n"
    assert splice(text, [Edit(Position(1, 5), Position(1, 6), "e")]) == "a = 'e'\r\nb = 1\r\n"


# ----------------------------------------------------------------- short transfers for real

needs_signals = pytest.mark.skipif(
    sys.platform == "win32" or not hasattr(signal, "setitimer"), reason="needs POSIX itimers"
)
PAYLOAD = bytes(range(256)) * 16384  # 4 MiB: far beyond any pipe or socket buffer


@contextmanager
def interrupting_timer() -> Iterator[None]:
    """SIGALRM every 20 ms with a Python handler: a blocked write(2)/send(2) that has already
    transferred bytes returns the partial count (PEP 475 retries only calls that moved nothing)."""
    previous = signal.signal(signal.SIGALRM, lambda *_: None)
    signal.setitimer(signal.ITIMER_REAL, 0.02, 0.02)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0, 0)
        signal.signal(signal.SIGALRM, previous)


def transfer(
    write_side: Callable[[], None], read_fd: int, close_writer: Callable[[], None]
) -> bytes:
    """Run ``write_side`` in the main thread (where signals land) while a reader thread, which
    blocks SIGALRM and starts late so that the buffer fills first, collects everything."""
    received = bytearray()

    def reader() -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        threading.Event().wait(0.1)
        while chunk := os.read(read_fd, 65536):
            received.extend(chunk)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        with interrupting_timer():
            write_side()
    finally:
        close_writer()
        thread.join(10)
    assert not thread.is_alive()
    return bytes(received)


def through_pipe(dump: Callable[..., object]) -> bytes:
    r, w = os.pipe()
    try:
        return transfer(lambda: dump(w, PAYLOAD), r, lambda: os.close(w))
    finally:
        os.close(r)


def through_socket(push: Callable[..., object]) -> bytes:
    a, b = socket.socketpair()
    try:
        return transfer(lambda: push(a, PAYLOAD), b.fileno(), lambda: a.shutdown(socket.SHUT_WR))
    finally:
        a.close()
        b.close()


# ----------------------------------------------------------------- IO101

IO101_FD = """
import os


def dump(fd, payload):
    os.write(fd, payload)
"""

IO101_RAW = """
def dump(fd, payload):
    f = open(fd, "wb", buffering=0, closefd=False)
    f.write(payload)
"""


def test_io101_fix_shape() -> None:
    fixed = check_fix(IO101_FD, "IO101")
    assert fixed.endswith(
        "def dump(fd, payload):\n"
        '    with memoryview(payload).cast("B") as _view:\n'
        "        _sent = 0\n"
        "        while _sent < len(_view):\n"
        "            _sent += os.write(fd, _view[_sent:])\n"
    )


def test_io101_fix_is_unsafe() -> None:
    (d,) = fixes_of(textwrap.dedent(IO101_FD), "IO101")
    assert d.fix is not None and d.fix.applicability is Applicability.UNSAFE


@needs_signals
@pytest.mark.parametrize("source", [IO101_FD, IO101_RAW], ids=["os.write", "raw write"])
def test_io101_fix_writes_everything_through_short_writes(source: str) -> None:
    fixed = check_fix(source, "IO101")
    # The harness does produce short writes: the original code loses data...
    got = through_pipe(load(textwrap.dedent(source), "dump"))
    assert len(got) < len(PAYLOAD) and PAYLOAD.startswith(got)
    # ...and the fixed code does not.
    assert through_pipe(load(fixed, "dump")) == PAYLOAD


def test_io101_fix_keeps_layout() -> None:
    crlf = "import os\r\n\r\ndef dump(fd, data):\r\n\tif data:\r\n\t\tos.write(fd, data)  # x\r\n"
    fixed = check_fix(crlf, "IO101")
    assert "\r\n\t\t\twhile _sent < len(_view):\r\n\t\t\t\t_sent += os.write(" in fixed
    assert "\n" not in fixed.replace("\r\n", "")


def test_io101_fix_picks_a_fresh_name() -> None:
    fixed = check_fix(
        """
        import os


        def dump(fd, data, _view):
            os.write(fd, data)
            return _view
        """,
        "IO101",
    )
    assert 'with memoryview(data).cast("B") as _view2:' in fixed


def test_io101_fix_with_fileno_and_attribute() -> None:
    fixed = check_fix(
        """
        import os


        class Sink:
            def __init__(self, f):
                self.f = f

            def push(self, data):
                os.write(self.f.fileno(), data)
        """,
        "IO101",
    )
    assert "os.write(self.f.fileno(), _view[_sent:])" in fixed


@pytest.mark.parametrize(
    "source",
    [
        "import os\ndef f(fd, d):\n    if d: os.write(fd, d)\n",  # one-line body
        "import os\ndef f(fd, d):\n    os.write(fd, d); print(d)\n",  # shares its line
        "import os\ndef f(fds, d):\n    os.write(fds[0], d)\n",  # target evaluated twice
        "import os\ndef f(fd, d, o):\n    os.pwrite(fd, d, o)\n",  # offset must advance too
        "import os\ndef f(fd, d):\n    os.write(fd, *d)\n",
        # a payload over several lines: moved into the loop it would lose its layout
        "import os\ndef f(fd, k):\n    os.write(\n        fd,\n        k.dump(\n"
        "            1,\n        ),\n    )\n",
    ],
)
def test_io101_no_fix_where_it_cannot_be_mechanical(source: str) -> None:
    found = lint(source, ["IO101"])
    assert [d.code for d in found] == ["IO101"]
    assert found[0].fix is None


def test_io101_no_loop_on_a_non_blocking_descriptor() -> None:
    # The loop cannot wait: its next write would raise BlockingIOError where the code dropped
    # the tail and went on (telnetlib3's pty bridge then closed the session). Advice only.
    source = """
        import fcntl
        import os


        class Bridge:
            def start(self, fd):
                self.fd = fd
                flags = fcntl.fcntl(self.fd, fcntl.F_GETFL)
                fcntl.fcntl(self.fd, fcntl.F_SETFL, flags | os.O_NONBLOCK)

            def forward(self, data):
                try:
                    os.write(self.fd, data)
                except OSError:
                    self.closing = True
    """
    found = lint(source, ["IO101"])
    assert [d.code for d in found] == ["IO101"]
    assert found[0].fix is None
    blocking = lint(source.replace("flags | os.O_NONBLOCK", "flags & ~os.O_NONBLOCK"), ["IO101"])
    assert [d.code for d in blocking] == ["IO101"] and blocking[0].fix is not None


# ----------------------------------------------------------------- IO102

IO102_SOURCE = """
import socket


def ship(addr, lines):
    sock = socket.create_connection(addr)
    for line in lines:
        sock.send(line)
    sock.close()
"""


def test_io102_fix_is_sendall_and_safe_for_a_local_blocking_socket() -> None:
    (d,) = fixes_of(textwrap.dedent(IO102_SOURCE), "IO102")
    assert d.fix is not None and d.fix.applicability is Applicability.SAFE
    fixed = check_fix(IO102_SOURCE, "IO102")
    assert "sock.sendall(line)" in fixed


def test_io102_fix_unsafe_when_the_module_uses_timeouts() -> None:
    source = textwrap.dedent(IO102_SOURCE).replace(
        "sock = socket.create_connection(addr)\n",
        "sock = socket.create_connection(addr)\n    sock.settimeout(5)\n",
    )
    (d,) = fixes_of(source, "IO102")
    assert d.fix is not None and d.fix.applicability is Applicability.UNSAFE


@pytest.mark.parametrize("timeout", ["addr, 5", "addr, timeout=5"])
def test_io102_fix_unsafe_for_a_socket_with_a_timeout(timeout: str) -> None:
    source = textwrap.dedent(IO102_SOURCE).replace(
        "create_connection(addr)", f"create_connection({timeout})"
    )
    (d,) = fixes_of(source, "IO102")
    assert d.fix is not None and d.fix.applicability is Applicability.UNSAFE


def test_io102_fix_unsafe_for_a_socket_from_elsewhere() -> None:
    source = "import socket\ndef f(s: socket.socket, d):\n    s.send(d)\n"
    (d,) = fixes_of(source, "IO102")
    assert d.fix is not None and d.fix.applicability is Applicability.UNSAFE
    assert "s.sendall(d)" in check_fix(source, "IO102")


def test_io102_no_fix_for_sendmsg() -> None:
    found = lint("import socket\ndef f(s: socket.socket, d):\n    s.sendmsg([d])\n", ["IO102"])
    assert [d.code for d in found] == ["IO102"] and found[0].fix is None


@needs_signals
def test_io102_fix_sends_everything_through_short_sends() -> None:
    source = """
    import socket


    def push(sock: socket.socket, payload):
        sock.send(payload)
    """
    fixed = check_fix(source, "IO102")
    got = through_socket(load(textwrap.dedent(source), "push"))
    assert len(got) < len(PAYLOAD) and PAYLOAD.startswith(got)
    assert through_socket(load(fixed, "push")) == PAYLOAD


# ----------------------------------------------------------------- IO104

IO104_SOURCE = """
import os


def collect(fd):
    parts = []
    while True:
        data = os.read(fd, 7)
        parts.append(data)
    return b"".join(parts)
"""


def test_io104_fix_leaves_the_loop_at_eof() -> None:
    fixed = check_fix(IO104_SOURCE, "IO104")
    assert "        data = os.read(fd, 7)\n        if not data:\n            break\n" in fixed
    collect = load(fixed, "collect")
    r, w = os.pipe()
    os.write(w, b"hello, pipe")
    os.close(w)
    try:
        assert collect(r) == b"hello, pipe"
    finally:
        os.close(r)


def test_io104_fix_inside_try_keeps_the_handler() -> None:
    fixed = check_fix(
        """
        import os


        def pump(master_fd, out):
            while True:
                try:
                    chunk = os.read(master_fd, 1024)  # the child's output
                except BlockingIOError:
                    break
                out.append(chunk)
        """,
        "IO104",
    )
    assert "# the child's output\n            if not chunk:\n                break\n" in fixed
    pump = load(fixed, "pump")
    r, w = os.pipe()
    os.write(w, b"done")
    os.close(w)
    out: list[bytes] = []
    try:
        pump(r, out)
    finally:
        os.close(r)
    assert out == [b"done"]


def test_io104_fix_socket_and_wrong_sentinel() -> None:
    fixed = check_fix(
        """
        import socket


        def echo(conn: socket.socket):
            while True:
                data = conn.recv(4096)
                if data is None:
                    break
                conn.sendall(data)
        """,
        "IO104",
    )
    echo = load(fixed, "echo")
    a, b = socket.socketpair()
    a.sendall(b"ping")
    a.shutdown(socket.SHUT_WR)
    try:
        echo(b)
        assert a.recv(16) == b"ping"
    finally:
        a.close()
        b.close()


def test_io104_fix_after_an_annotated_assignment() -> None:
    fixed = check_fix(
        """
        import os


        def collect(fd):
            while True:
                data: bytes = os.read(fd, 7)
                print(data)
        """,
        "IO104",
    )
    assert "data: bytes = os.read(fd, 7)\n        if not data:\n            break\n" in fixed


@pytest.mark.parametrize(
    "source",
    [
        # no name to test
        "import os\ndef f(fd, n):\n    buf = b''\n    while len(buf) < n:\n"
        "        buf += os.read(fd, n)\n    return buf\n",
        # a count, not bytes
        "import socket\ndef f(s: socket.socket, view):\n    while view:\n"
        "        n = s.recv_into(view)\n        view = view[n:]\n",
        # shares its line
        "import os\ndef f(fd, out):\n    while True:\n        d = os.read(fd, 9); out(d)\n",
    ],
)
def test_io104_no_fix_where_it_cannot_be_mechanical(source: str) -> None:
    found = lint(source, ["IO104"])
    assert [d.code for d in found] == ["IO104"]
    assert found[0].fix is None


# ----------------------------------------------------------------- IO105

IO105_SOURCE = """
import os


def first_byte(fd):
    data = os.read(fd, 1)
    if data == 0:
        return None
    return data


def drain(fd):
    count = 0
    while os.read(fd, 1) != 0:
        count += 1
    return count


def is_eof(fd):
    return os.read(fd, 1) is 0  # noqa: F632
"""


def test_io105_fixes_and_their_safety() -> None:
    source = textwrap.dedent(IO105_SOURCE)
    found = lint(source, ["IO105"])
    assert [(d.start.line, d.fix is not None) for d in found] == [(7, True), (14, True), (20, True)]
    assert all(d.fix.applicability is Applicability.SAFE for d in found if d.fix)
    fixed = check_fix(IO105_SOURCE, "IO105", expect_fixes=3)
    assert "if not data:" in fixed
    assert "while os.read(fd, 1):" in fixed
    assert "return not os.read(fd, 1)" in fixed
    namespace_source = fixed
    r, w = os.pipe()
    os.write(w, b"abc")
    os.close(w)
    try:
        assert load(namespace_source, "first_byte")(r) == b"a"
        assert load(namespace_source, "drain")(r) == 2
        assert load(namespace_source, "first_byte")(r) is None
        assert load(namespace_source, "is_eof")(r) is True
    finally:
        os.close(r)


def test_io105_not_equal_outside_a_condition_has_no_fix() -> None:
    source = "import os\ndef f(fd):\n    ok = os.read(fd, 1) != 0\n    return ok\n"
    (d,) = lint(source, ["IO105"])
    assert d.fix is None


def test_io105_minus_one_checks_are_advice_only() -> None:
    source = "import os\ndef f(fd, d):\n    if os.write(fd, d) == -1:\n        raise OSError\n"
    (d,) = lint(source, ["IO105"])
    assert d.fix is None
    assert "raises OSError" in d.message


def test_io105_fix_inside_boolean_operators() -> None:
    fixed = check_fix(
        """
        import os


        def stop(fd, flag):
            data = os.read(fd, 1)
            if flag or data == 0:
                return True
            while not data != 0 and flag:
                pass
            return False
        """,
        "IO105",
        expect_fixes=2,
    )
    assert "if flag or not data:" in fixed
    assert "while not data and flag:" in fixed
