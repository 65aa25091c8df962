"""IO2xx: the IO204 fix, target versions, PEP 475 data and the non-blocking facts."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest
from helpers import codes_at, lint

from iolint.diagnostics import Applicability, Diagnostic, Edit
from iolint.model import ModuleModel
from iolint.model.nonblocking import errno_test, key_of, nonblocking_facts
from iolint.model.pep475 import eintr_retry, retried_on_eintr
from iolint.model.source import SourceText
from iolint.rules.base import RuleOptions

IO2 = ["IO201", "IO202", "IO203", "IO204", "IO205", "IO206"]
FIXTURES = Path(__file__).parent / "fixtures"


def _apply(text: str, edits: tuple[Edit, ...] | list[Edit]) -> str:
    """Apply non-overlapping edits to ``text``, last first so earlier offsets stay valid."""
    source = SourceText(text)
    spans = sorted(
        ((source.offset(e.start), source.offset(e.end), e.content) for e in edits), reverse=True
    )
    for start, end, content in spans:
        text = text[:start] + content + text[end:]
    return text


def _fix_io204(source: str, options: RuleOptions | None = None) -> tuple[str, list[Diagnostic]]:
    source = textwrap.dedent(source)
    found = [d for d in lint(source, ["IO204"], options=options) if d.code == "IO204"]
    edits = [e for d in found if d.fix is not None for e in d.fix.edits]
    return _apply(source, edits), found


def _model(source: str) -> ModuleModel:
    text = textwrap.dedent(source)
    return ModuleModel(ast.parse(text), SourceText(text))


# ------------------------------------------------------------------ IO204 fix


def test_fix_unwraps_the_retry_loop() -> None:
    fixed, found = _fix_io204(
        """\
        import os


        def write(fd, b):
            while True:
                try:
                    return os.write(fd, b)
                except InterruptedError:
                    continue
        """
    )
    assert len(found) == 1 and found[0].fix is not None
    assert found[0].fix.applicability is Applicability.SAFE
    assert fixed == textwrap.dedent(
        """\
        import os


        def write(fd, b):
            return os.write(fd, b)
        """
    )
    assert codes_at(fixed, IO2) == []


def test_fix_keeps_a_loop_that_does_more() -> None:
    fixed, _ = _fix_io204(
        """\
        import os


        def pump(fd, out):
            while True:
                try:
                    data = os.read(fd, 4096)  # one chunk
                except InterruptedError:
                    continue  # retry
                if not data:
                    break
                out.append(data)
        """
    )
    assert fixed == textwrap.dedent(
        """\
        import os


        def pump(fd, out):
            while True:
                data = os.read(fd, 4096)  # one chunk
                if not data:
                    break
                out.append(data)
        """
    )
    assert codes_at(fixed, ["IO204"]) == []


def test_fix_drops_the_final_break_when_unwrapping() -> None:
    fixed, _ = _fix_io204(
        """\
        import errno
        import select


        def wait(fds):
            while True:
                try:
                    ready, _, _ = select.select(fds, [], [])
                    break
                except select.error as exc:
                    if exc.args[0] != errno.EINTR:
                        raise
            return ready
        """
    )
    assert "while" not in fixed and "except" not in fixed and "break" not in fixed
    assert "    ready, _, _ = select.select(fds, [], [])\n    return ready\n" in fixed
    ast.parse(fixed)


def test_fix_removes_only_the_dead_handler() -> None:
    fixed, _ = _fix_io204(
        """\
        import socket


        def send(address, data):
            sock = socket.create_connection(address)
            while True:
                try:
                    sock.sendall(data)
                    return True
                except InterruptedError:
                    continue
                except ConnectionError:
                    return False
        """
    )
    assert "InterruptedError" not in fixed
    assert "        except ConnectionError:\n            return False\n" in fixed
    ast.parse(fixed)
    assert codes_at(fixed, ["IO204"]) == []


def test_fix_keeps_try_else_in_order() -> None:
    fixed, _ = _fix_io204(
        """\
        import os


        def first(fd):
            while True:
                try:
                    data = os.read(fd, 10)
                except InterruptedError:
                    continue
                else:
                    return data
        """
    )
    assert fixed.endswith("    while True:\n        data = os.read(fd, 10)\n        return data\n")


def test_fix_not_offered_when_other_errnos_are_handled() -> None:
    _, found = _fix_io204(
        """\
        import errno, os


        def sync(fd):
            while True:
                try:
                    return os.fsync(fd)
                except OSError as exc:
                    if exc.errno == errno.EINTR:
                        continue
                    return None
        """
    )
    assert len(found) == 1 and found[0].fix is None


def test_fix_not_offered_over_multiline_strings() -> None:
    _, found = _fix_io204(
        '''\
        import os


        def banner(fd):
            while True:
                try:
                    return os.write(fd, b"""two
        lines""")
                except InterruptedError:
                    continue
        '''
    )
    assert len(found) == 1 and found[0].fix is None


def test_fixing_the_fixture_leaves_only_unfixable_findings() -> None:
    text = (FIXTURES / "IO204.py").read_text(encoding="utf-8")
    fixed, found = _fix_io204(text)
    assert fixed != text
    ast.parse(fixed)
    unfixable = sum(1 for d in found if d.fix is None)
    assert len([d for d in lint(fixed, ["IO204"]) if d.code == "IO204"]) == unfixable
    again, _ = _fix_io204(fixed)
    assert again == fixed  # idempotent


# ------------------------------------------------------------------ target versions

RETRY = """\
import fcntl, os


def lock(fd):
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            return
        except InterruptedError:
            continue


def read(fd):
    while True:
        try:
            return os.read(fd, 10)
        except InterruptedError:
            continue
"""


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ((3, 4), []),
        ((3, 7), [(17, "IO204")]),
        ((3, 8), [(9, "IO204"), (17, "IO204")]),
    ],
)
def test_target_version(target: tuple[int, int], expected: list[tuple[int, str]]) -> None:
    assert codes_at(RETRY, ["IO204"], options=RuleOptions(target_version=target)) == expected


def test_ioctl_only_from_3_14() -> None:
    source = """\
    import fcntl, termios


    def size(fd):
        while True:
            try:
                return fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\\0" * 8)
            except InterruptedError:
                continue
    """
    assert codes_at(source, ["IO204"], options=RuleOptions(target_version=(3, 13))) == []
    assert codes_at(source, ["IO204"], options=RuleOptions(target_version=(3, 14))) == [
        (8, "IO204")
    ]


# ------------------------------------------------------------------ PEP 475 data


def _call(model: ModuleModel, name: str) -> ast.Call:
    return next(c for c in model.calls if ast.unparse(c.func) == name)


def test_pep475_table() -> None:
    model = _model(
        """\
        import os, fcntl, socket, selectors, ctypes
        s = socket.socket()
        sel = selectors.DefaultSelector()
        os.read(0, 1); os.close(3); os.dup2(3, 4); fcntl.ioctl(0, 1); fcntl.lockf(0, 1)
        s.recv(1); s.close(); sel.select(); ctypes.CDLL(None); helper()
        """
    )
    assert retried_on_eintr(model, _call(model, "os.read"), (3, 5)) is True
    assert retried_on_eintr(model, _call(model, "os.read"), (3, 4)) is False
    assert retried_on_eintr(model, _call(model, "os.close"), (3, 14)) is False
    assert retried_on_eintr(model, _call(model, "os.dup2"), (3, 14)) is False
    assert retried_on_eintr(model, _call(model, "fcntl.ioctl"), (3, 13)) is False
    assert retried_on_eintr(model, _call(model, "fcntl.ioctl"), (3, 14)) is True
    assert retried_on_eintr(model, _call(model, "fcntl.lockf"), (3, 7)) is False
    assert retried_on_eintr(model, _call(model, "fcntl.lockf"), (3, 8)) is True
    assert retried_on_eintr(model, _call(model, "s.recv"), (3, 9)) is True
    assert retried_on_eintr(model, _call(model, "s.close"), (3, 9)) is False
    assert retried_on_eintr(model, _call(model, "sel.select"), (3, 9)) is True
    assert retried_on_eintr(model, _call(model, "ctypes.CDLL"), (3, 9)) is False
    assert retried_on_eintr(model, _call(model, "helper"), (3, 9)) is None
    retry = eintr_retry(model, _call(model, "os.close"))
    assert retry is not None and retry.since is None and "close" in retry.note


# ------------------------------------------------------------------ non-blocking facts


def test_fileno_is_the_same_descriptor() -> None:
    model = _model(
        """\
        import os


        def f(sock):
            os.set_blocking(sock.fileno(), False)
            sock.recv(1)
            other.recv(1)
        """
    )
    facts = model.fact(nonblocking_facts)
    recv, other = sorted(
        (c for c in model.calls if ast.unparse(c.func).endswith(".recv")), key=lambda c: c.lineno
    )
    assert facts.is_nonblocking(recv.func.value, recv)  # type: ignore[attr-defined]
    assert not facts.is_nonblocking(other.func.value, other)  # type: ignore[attr-defined]
    key = key_of(model, recv.func.value)  # type: ignore[attr-defined]
    assert key is not None and key.kind == "local" and key.path == "sock"


def test_facts_are_shared_per_module() -> None:
    model = _model("import os\n")
    assert model.fact(nonblocking_facts) is model.fact(nonblocking_facts)


def test_attribute_keys_span_the_class_but_respect_the_method_order() -> None:
    source = """\
    import socket


    class Conn:
        def __init__(self, addr):
            self.sock = socket.create_connection(addr)
            self.sock.sendall(b"hello")
            self.sock.setblocking(False)

        def pull(self):
            return self.sock.recv(100)
    """
    assert codes_at(source, ["IO201"]) == [(11, "IO201")]


def test_errno_tests() -> None:
    model = _model(
        """\
        import errno
        from errno import EAGAIN
        e.errno == errno.EINTR
        e.errno not in (EAGAIN, errno.EWOULDBLOCK)
        e.errno == errno.EAGAIN or e.errno == errno.EWOULDBLOCK
        e.args[0] != errno.EINTR
        other.errno == errno.EINTR
        """
    )
    tests = [s.value for s in model.tree.body[2:]]  # type: ignore[attr-defined]
    results = [errno_test(model, t, "e") for t in tests]
    assert results[0] == (frozenset({"EINTR"}), True)
    assert results[1] == (frozenset({"EAGAIN", "EWOULDBLOCK"}), False)
    assert results[2] == (frozenset({"EAGAIN", "EWOULDBLOCK"}), True)
    assert results[3] == (frozenset({"EINTR"}), False)
    assert results[4] is None


# ------------------------------------------------------------------ event-loop code


def test_async_transport_and_stream_code_is_clean() -> None:
    source = """\
    import asyncio
    import socket


    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()


    async def raw(sock: socket.socket, payload: bytes):
        loop = asyncio.get_running_loop()
        sock.setblocking(False)
        await loop.sock_sendall(sock, payload)
        while True:
            try:
                return sock.recv(100)
            except BlockingIOError:
                await loop.sock_recv(sock, 0)


    class Proto(asyncio.Protocol):
        def connection_made(self, transport):
            self.transport = transport

        def data_received(self, data):
            self.transport.write(data)
    """
    assert codes_at(source, IO2) == []


def test_self_pipe_wakeup_is_clean() -> None:
    source = """\
    import os
    import signal


    class Waker:
        def __init__(self):
            self.r, self.w = os.pipe()
            os.set_blocking(self.r, False)
            os.set_blocking(self.w, False)

        def wake(self):
            try:
                os.write(self.w, b".")
            except (BlockingIOError, InterruptedError):
                pass

        def drain(self):
            while True:
                try:
                    if not os.read(self.r, 4096):
                        break
                except BlockingIOError:
                    break
    """
    assert codes_at(source, IO2) == []


def test_no_findings_without_any_trigger_word() -> None:
    assert lint("import os\nos.read(0, 1)\n", IO2) == []


# ------------------------------------------------------------------ realistic clean code

CLEAN_PROGRAMS = {
    "selector transport": """\
    import socket


    class SelectorTransport:
        max_size = 256 * 1024

        def __init__(self, loop, sock: socket.socket, protocol):
            self._sock = sock
            self._sock.setblocking(False)
            self._protocol = protocol
            loop.add_reader(sock.fileno(), self._read_ready)

        def _read_ready(self):
            try:
                data = self._sock.recv(self.max_size)
            except (BlockingIOError, InterruptedError):
                return
            self._protocol.data_received(data)

        def write(self, data):
            try:
                n = self._sock.send(data)
            except (BlockingIOError, InterruptedError):
                n = 0
            return data[n:]
    """,
    "iostream read_from_fd": """\
    import errno
    import socket


    class SocketStream:
        def __init__(self, sock: socket.socket):
            self.socket = sock
            self.socket.setblocking(False)

        def read_from_fd(self, buf):
            try:
                return self.socket.recv_into(buf, len(buf))
            except BlockingIOError:
                return None

        def write_to_fd(self, data):
            try:
                return self.socket.send(data)
            except OSError as e:
                if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                    return 0
                raise
    """,
    "communicate with selectors": """\
    import os
    import selectors
    import subprocess


    def communicate(cmd, payload):
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        out_fd, in_fd = proc.stdout.fileno(), proc.stdin.fileno()
        os.set_blocking(out_fd, False)
        os.set_blocking(in_fd, False)
        view = memoryview(payload)
        chunks = []
        with selectors.DefaultSelector() as sel:
            sel.register(out_fd, selectors.EVENT_READ)
            sel.register(in_fd, selectors.EVENT_WRITE)
            while sel.get_map():
                for key, _ in sel.select():
                    if key.fd == in_fd:
                        view = view[os.write(in_fd, view[:512]):]
                        if not view:
                            sel.unregister(in_fd)
                            proc.stdin.close()
                    else:
                        data = os.read(out_fd, 32768)
                        if not data:
                            sel.unregister(out_fd)
                        chunks.append(data)
        proc.wait()
        return b"".join(chunks)
    """,
    "pty pump with select": """\
    import os
    import pty
    import select


    def pump(cmd):
        pid, master = pty.fork()
        if pid == 0:
            os.execvp(cmd[0], cmd)
        os.set_blocking(master, False)
        output = []
        while True:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                continue
            try:
                data = os.read(master, 4096)
            except OSError:
                break
            if not data:
                break
            output.append(data)
        return b"".join(output)
    """,
    "signal wakeup fd": """\
    import os
    import selectors
    import signal


    def install(sel: selectors.BaseSelector, on_signal):
        r, w = os.pipe()
        os.set_blocking(r, False)
        os.set_blocking(w, False)
        signal.set_wakeup_fd(w)
        sel.register(r, selectors.EVENT_READ, on_signal)
        return r
    """,
    "ioctl eintr loop": """\
    import errno
    import fcntl
    import struct
    import termios


    def window_size(fd):
        while True:
            try:
                raw = fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\\0" * 8)
            except OSError as exc:
                if exc.errno == errno.EINTR:
                    continue
                raise
            rows, cols = struct.unpack("hhhh", raw)[:2]
            return rows, cols
    """,
    "blocking socket with timeout": """\
    import socket


    def fetch(addr, request):
        sock = socket.create_connection(addr, timeout=10)
        sock.settimeout(5)
        sock.sendall(request)
        chunks = []
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    """,
}


@pytest.mark.parametrize("name", sorted(CLEAN_PROGRAMS))
def test_realistic_code_is_clean(name: str) -> None:
    assert codes_at(CLEAN_PROGRAMS[name], IO2) == []


def test_io204_retry_around_a_parameters_method_is_reported_without_a_fix() -> None:
    """The caller may pass a gevent socket or a test double that raises EINTR, for which the
    retry is live: the finding stays (it holds for the stdlib's socket), the fix does not."""
    source = """
        import errno
        import socket


        def recv_retrying(sock: socket.socket, size: int) -> bytes:
            while True:
                try:
                    return sock.recv(size)
                except OSError as e:
                    if e.errno != errno.EINTR:
                        raise
    """
    (d,) = lint(source, ["IO204"])
    assert d.fix is None
    local = source.replace(
        "def recv_retrying(sock: socket.socket, size: int) -> bytes:",
        "def recv_retrying(address, size):\n            sock = socket.create_connection(address)",
    )
    (d,) = lint(local, ["IO204"])
    assert d.fix is not None and d.fix.edits


def test_io201_always_true_errno_test_names_the_platform_only_for_alias_pairs() -> None:
    # EAGAIN and EWOULDBLOCK are one number on Linux: the message says where the test is wrong;
    # two names that always differ make it wrong everywhere.
    template = """
        import errno, os

        def take(fd):
            os.set_blocking(fd, False)
            try:
                return os.read(fd, 64)
            except OSError as exc:
                if exc.errno != errno.EAGAIN or exc.errno != errno.{other}:
                    raise
                return b""
    """
    aliases = lint(template.format(other="EWOULDBLOCK"), ["IO201"])
    different = lint(template.format(other="EINTR"), ["IO201"])
    assert [d.start.line for d in aliases] == [7] == [d.start.line for d in different]
    assert "(Windows)" in aliases[0].message
    assert "whatever the errno" in different[0].message
    # ``and`` between the same two inequalities is the right test: silent.
    fixed = template.format(other="EWOULDBLOCK").replace(" or exc.errno", " and exc.errno")
    assert lint(fixed, ["IO201"]) == []


def test_io203_broad_handler_needs_the_descriptor_known_non_blocking() -> None:
    template = """
        import socket

        def pull(conn: socket.socket) -> bytes:
            {setup}
            while True:
                try:
                    return conn.recv(64)
                except socket.error:
                    pass
    """
    assert codes_at(template.format(setup="conn.setblocking(0)"), ["IO203"]) == [(9, "IO203")]
    for setup in ("conn.setblocking(1)", "conn.settimeout(2.5)", "pass"):
        assert lint(template.format(setup=setup), ["IO203"]) == [], setup
