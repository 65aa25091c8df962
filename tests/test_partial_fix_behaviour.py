"""The fixes of IO101, IO104, IO404 and IO502 keep what the code did, shown by running the
code before and after the fix: short writes injected into ``os.write``, a raw file whose
``write`` returns None, a parser fed EOF by a loop's ``else:``, a file written through a
``with`` block, a file created by ``os.open``."""

from __future__ import annotations

import array
import contextlib
import os
import stat
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import lint
from test_partial_io_fixes import apply_fixes, check_fix, load

from iolint.rules.base import RuleOptions

# ----------------------------------------------------------------- harness


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    r, w = os.pipe()
    yield r, w
    for fd in (r, w):
        with contextlib.suppress(OSError):  # the test closed it already
            os.close(fd)


def drain(fd: int) -> bytes:
    out = bytearray()
    while chunk := os.read(fd, 65536):
        out.extend(chunk)
    return bytes(out)


@pytest.fixture
def short_writes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """``os.write`` that writes at most 3 bytes per call (what a signal or a full pipe does),
    recording each count."""
    real_write = os.write
    counts: list[int] = []

    def write(fd: int, data: object) -> int:
        n = real_write(fd, bytes(memoryview(data).cast("B")[:3]))  # type: ignore[arg-type]
        counts.append(n)
        return n

    monkeypatch.setattr(os, "write", write)
    return counts


def run_both(source: str, code: str, name: str) -> tuple[Callable[..., object], ...]:
    source = textwrap.dedent(source)
    return load(source, name), load(check_fix(source, code), name)


# ----------------------------------------------------------------- IO101

WRITE_ANY = """
import os


def dump(fd, payload):
    os.write(fd, payload)
"""


def test_io101_fixed_code_writes_everything_through_short_writes(
    pipe: tuple[int, int], short_writes: list[int]
) -> None:
    before, after = run_both(WRITE_ANY, "IO101", "dump")
    r, w = pipe
    before(w, b"hello, world")
    after(w, b"hello, world")
    os.close(w)
    # The original loses all but the first 3 bytes; the fixed code writes the rest.
    assert drain(r) == b"hel" + b"hello, world"
    assert short_writes == [3, 3, 3, 3, 3]


def test_io101_fixed_code_releases_a_bytearray(
    pipe: tuple[int, int], short_writes: list[int]
) -> None:
    """A view left alive would make the caller's ``buf.clear()`` raise BufferError."""
    _, after = run_both(WRITE_ANY, "IO101", "dump")
    r, w = pipe
    buf = bytearray(b"0123456789")
    after(w, buf)
    buf.clear()  # raises BufferError if the fix leaked an export of the buffer
    os.close(w)
    assert drain(r) == b"0123456789"


def test_io101_fixed_code_releases_the_buffer_after_an_error(pipe: tuple[int, int]) -> None:
    _, after = run_both(WRITE_ANY, "IO101", "dump")
    r, w = pipe
    os.close(r)
    buf = bytearray(b"x" * 10)
    with pytest.raises(BrokenPipeError):
        after(w, buf)
    buf.clear()


def test_io101_fixed_code_counts_bytes_of_a_typed_array(
    pipe: tuple[int, int], short_writes: list[int]
) -> None:
    """``os.write`` returns bytes; an ``array('H')`` view counts items: the loop must not
    skip or repeat half of the data."""
    _, after = run_both(WRITE_ANY, "IO101", "dump")
    r, w = pipe
    payload = array.array("H", range(1000))
    after(w, payload)
    os.close(w)
    assert drain(r) == payload.tobytes()


class NonBlockingRaw:
    """A raw file on a non-blocking descriptor: 4 bytes fit, then ``write`` returns None (the
    descriptor would block), then it fails the test instead of letting a loop spin."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.calls = 0

    def write(self, b: object) -> int | None:
        self.calls += 1
        if self.calls == 1:
            self.data.extend(bytes(memoryview(b).cast("B")[:4]))  # type: ignore[arg-type]
            return 4
        if self.calls == 2:
            return None
        raise AssertionError("write called again after it returned None: the loop spins")


RAW_WRITE = """
def dump(path, payload, opener=open):
    f = open(path, "wb", buffering=0)
    f.write(payload)
"""


def test_io101_raw_write_returning_none_raises_instead_of_spinning() -> None:
    source = textwrap.dedent(RAW_WRITE)
    fixed = check_fix(source, "IO101")
    raws: list[NonBlockingRaw] = []

    def fake_open(*args: object, **kwargs: object) -> NonBlockingRaw:
        raws.append(NonBlockingRaw())
        return raws[-1]

    for text in (source, fixed):
        namespace: dict[str, object] = {"open": fake_open}
        exec(compile(text, "<io101>", "exec"), namespace)
        if text is source:
            namespace["dump"]("p", b"0123456789")  # type: ignore[operator]
        else:
            with pytest.raises(BlockingIOError):
                namespace["dump"]("p", b"0123456789")  # type: ignore[operator]
    assert [bytes(r.data) for r in raws] == [b"0123", b"0123"]
    assert [r.calls for r in raws] == [1, 2]


@pytest.mark.parametrize(
    "payload",
    [
        '"hello"',
        'f"{n}\\n"',
        '"%d\\n" % n',
        '"-".join(parts)',
        "str(n)",
        "line.decode()",
        "text.upper()",
    ],
)
def test_io101_no_write_all_loop_for_text(payload: str) -> None:
    source = f"import os\ndef f(fd, n, parts, line, text: str):\n    os.write(fd, {payload})\n"
    # Strict mode: some of these payloads are small and written once, which is silent by
    # default; the fixer is the same in both modes.
    found = lint(source, ["IO101"], RuleOptions(strict=True))
    assert [d.code for d in found] == ["IO101"]
    assert found[0].fix is None


def test_io101_text_bound_to_a_name_gets_no_loop() -> None:
    source = "import os\ndef f(fd, n):\n    msg = f'{n}'\n    os.write(fd, msg)\n"
    (d,) = lint(source, ["IO101"], RuleOptions(strict=True))
    assert d.fix is None


def test_io101_bytes_payload_needs_no_cast() -> None:
    fixed = check_fix(
        """
        import os


        def f(fd, n: int, data: bytes):
            os.write(fd, data + b"\\n")
        """,
        "IO101",
    )
    assert 'with memoryview(data + b"\\n") as _view:' in fixed


# ----------------------------------------------------------------- IO101: project helpers

MODULE_HELPER = """
import os


def _writen(fd, data):
    while data:
        n = os.write(fd, data)
        data = data[n:]


def dump(fd, payload):
    os.write(fd, payload)
"""


def test_io101_calls_the_module_write_all_helper(
    pipe: tuple[int, int], short_writes: list[int]
) -> None:
    fixed = check_fix(MODULE_HELPER, "IO101")
    assert "    _writen(fd, payload)\n" in fixed
    assert "memoryview" not in fixed
    r, w = pipe
    load(fixed, "dump")(w, b"0123456789")
    os.close(w)
    assert drain(r) == b"0123456789"


CLASS_HELPER = """
import os


class Channel:
    def __init__(self, fd):
        self._fd = fd

    def _send_all(self, payload):
        view = memoryview(payload)
        sent = 0
        while sent < len(view):
            sent += os.write(self._fd, view[sent:])

    def ping(self, body):
        os.write(self._fd, body)

    def other(self, fd, body):
        os.write(fd, body)
"""


def test_io101_calls_the_class_helper_for_the_same_descriptor(
    pipe: tuple[int, int], short_writes: list[int]
) -> None:
    source = textwrap.dedent(CLASS_HELPER)
    fixed = apply_fixes(source, "IO101")
    assert "        self._send_all(body)\n" in fixed
    # A write to another descriptor cannot go through a helper bound to self._fd.
    assert "os.write(fd, _view[_sent:])" in fixed
    namespace: dict[str, object] = {}
    exec(compile(fixed, "<fixed>", "exec"), namespace)
    r, w = pipe
    channel = namespace["Channel"](w)  # type: ignore[operator]
    channel.ping(b"0123456789")
    os.close(w)
    assert drain(r) == b"0123456789"


@pytest.mark.parametrize(
    "helper",
    [
        # Named like a helper but writes once: not a write-all loop.
        "def _write_all(fd, data):\n    os.write(fd, data)\n",
        # Loops, but the count does not advance anything.
        "def _write_all(fd, data):\n    while True:\n        n = os.write(fd, data)\n"
        "        if n:\n            break\n",
    ],
)
def test_io101_helper_is_recognised_by_what_it_does(helper: str) -> None:
    source = f"import os\n\n\n{helper}\n\ndef dump(fd, payload):\n    os.write(fd, payload)\n"
    fixed = apply_fixes(source, "IO101")
    assert "memoryview(payload)" in fixed


LIVENESS_HELPER = """
import os


class Spawn:
    def __init__(self, fd, alive):
        self._alive = alive
        self.fd = fd

    def isalive(self):
        return self._alive

    def _writen(self, fd, data):
        while data != b"" and self.isalive():
            n = os.write(fd, data)
            data = data[n:]

    def relay(self, out_fd, data):
        os.write(out_fd, data)
"""


def test_io101_helper_that_also_stops_on_another_condition_is_not_called(
    pipe: tuple[int, int],
) -> None:
    # pexpect's shape: the helper stops when the child is gone. Called for the relay, it
    # would drop a dead child's last output, which the single write still wrote.
    source = textwrap.dedent(LIVENESS_HELPER)
    fixed = apply_fixes(source, "IO101")
    assert "self._writen(out_fd, data)" not in fixed
    assert "os.write(out_fd, _view[_sent:])" in fixed
    outputs = []
    for text in (source, fixed):
        namespace: dict[str, object] = {}
        exec(compile(text, "<fixed>", "exec"), namespace)
        r, w = os.pipe()
        namespace["Spawn"](-1, False).relay(w, b"last words")  # type: ignore[operator]
        os.close(w)
        outputs.append(drain(r))
        os.close(r)
    assert outputs == [b"last words", b"last words"]


# ----------------------------------------------------------------- IO104


class Parser:
    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.eof = False

    def feed(self, data: bytes) -> None:
        self.chunks.append(data)

    def feed_eof(self) -> None:
        self.eof = True


@pytest.mark.parametrize(
    "loop",
    [
        # the loop's else: feeds EOF to the parser
        """
        def pump(sock, parser):
            while parser.wants_more():
                data = sock.recv(4096)
                parser.feed(data)
            else:
                parser.feed_eof()
        """,
        # an emptiness branch without break
        """
        def pump(sock, parser):
            while True:
                data = sock.recv(4096)
                if not data:
                    parser.feed_eof()
                parser.feed(data)
        """,
        """
        def pump(sock, parser):
            while True:
                data = sock.recv(4096)
                if data == b"":
                    parser.close()
                parser.feed(data)
        """,
        # b"" fed to a parser that takes it as EOF
        """
        def pump(sock, conn):
            while True:
                data = sock.recv(4096)
                conn.receive_data(data)
        """,
    ],
)
def test_io104_no_break_where_eof_is_handled(loop: str) -> None:
    source = "import socket\n" + textwrap.dedent(loop).replace(
        "def pump(sock,", "def pump(sock: socket.socket,"
    )
    for d in lint(source, ["IO104"]):
        assert d.fix is None, source


def test_io104_else_branch_still_runs_after_the_original_loop() -> None:
    """What the refused fix would have broken: the else clause runs at the end."""
    source = textwrap.dedent(
        """
        import os


        def pump(fd, parser, rounds):
            while rounds:
                rounds -= 1
                data = os.read(fd, 4)
                parser.feed(data)
            else:
                parser.feed_eof()
        """
    )
    assert all(d.fix is None for d in lint(source, ["IO104"]))
    r, w = os.pipe()
    os.write(w, b"abcdef")
    os.close(w)
    parser = Parser()
    try:
        load(source, "pump")(r, parser, 4)
    finally:
        os.close(r)
    assert parser.chunks == [b"abcd", b"ef", b"", b""] and parser.eof


# ----------------------------------------------------------------- IO404


IO404_SOURCE = """
import json


def save(path, obj):
    json.dump(obj, open(path, "w"))
"""


def test_io404_fixed_code_closes_the_file_with_the_same_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = textwrap.dedent(IO404_SOURCE)
    fixed = check_fix(source, "IO404")
    opened: list[object] = []
    real_open = open

    def tracking_open(*args: object, **kwargs: object) -> object:
        f = real_open(*args, **kwargs)  # type: ignore[call-overload]
        opened.append(f)
        return f

    contents = []
    closed_on_return = []
    for i, text in enumerate((source, fixed)):
        namespace: dict[str, object] = {"open": tracking_open}
        exec(compile(text, "<io404>", "exec"), namespace)
        target = tmp_path / f"out{i}.json"
        namespace["save"](target, {"a": [1, 2]})  # type: ignore[operator]
        f = opened[-1]
        closed_on_return.append(f.closed)  # type: ignore[attr-defined]
        f.close()  # type: ignore[attr-defined]  # what the garbage collector does for the original
        contents.append(target.read_bytes())
    assert contents[0] == contents[1] == b'{"a": [1, 2]}'
    # The fixed code closes its file before returning; the original left it to the GC.
    assert closed_on_return == [False, True]


# ----------------------------------------------------------------- IO502


IO502_SOURCE = """
import os


def create(path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    os.write(fd, b"x")
    os.close(fd)
"""


def test_io502_fixed_mode_is_what_open_gives(tmp_path: Path) -> None:
    fixed = check_fix(IO502_SOURCE, "IO502")
    load(fixed, "create")(tmp_path / "by_fix")
    with open(tmp_path / "by_open", "w"):
        pass
    mode = stat.S_IMODE((tmp_path / "by_fix").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "by_open").stat().st_mode)
    assert not mode & 0o111


def test_io101_helper_found_by_shape_whatever_its_name(pipe: tuple[int, int]) -> None:
    """A helper called ``emit`` that loops a raw file's write until its view is empty."""
    source = textwrap.dedent(
        """
        class Port:
            def __init__(self, fd):
                self._f = open(fd, "wb", buffering=0, closefd=False)

            def emit(self, data):
                view = memoryview(data)
                while view:
                    n = self._f.write(view)
                    view = view[n:]

            def hello(self, greeting):
                self._f.write(greeting)
        """
    )
    fixed = check_fix(source, "IO101")
    assert "        self.emit(greeting)\n" in fixed
    namespace: dict[str, object] = {}
    exec(compile(fixed, "<fixed>", "exec"), namespace)
    r, w = pipe
    namespace["Port"](w).hello(b"hello, port")  # type: ignore[operator]
    os.close(w)
    assert drain(r) == b"hello, port"


def test_io104_fix_of_an_asyncio_stream_loop_keeps_whole_reads_and_ends_at_eof() -> None:
    """``await reader.read(n)`` on a StreamReader: with all the data there, the fixed loop
    returns what the original did; on a stream that ends early, it returns instead of
    spinning."""
    import asyncio

    original, fixed = run_both(
        """
        import asyncio


        async def collect(reader: asyncio.StreamReader, size):
            out = bytearray()
            while len(out) < size:
                chunk = await reader.read(size - len(out))
                out.extend(chunk)
            return bytes(out)
        """,
        "IO104",
        "collect",
    )

    class CountingReader(asyncio.StreamReader):
        """Fails the test instead of spinning: a loop that missed EOF reads b"" forever."""

        calls = 0

        async def read(self, n: int = -1) -> bytes:
            self.calls += 1
            assert self.calls < 100, "the loop kept reading after EOF"
            return await super().read(n)

    async def run(function: Callable[..., object], data: bytes, size: int) -> object:
        reader = CountingReader()
        for i in range(0, len(data), 3):  # short reads: three bytes per chunk
            reader.feed_data(data[i : i + 3])
        reader.feed_eof()
        return await function(reader, size)  # type: ignore[misc]

    whole = b"0123456789"
    assert asyncio.run(run(original, whole, 10)) == asyncio.run(run(fixed, whole, 10)) == whole
    assert asyncio.run(run(fixed, b"0123", 10)) == b"0123"
    with pytest.raises(AssertionError, match="after EOF"):
        asyncio.run(run(original, b"0123", 10))
