"""The tracer in this process: faults at project call sites, durability facts, restore.

The code under trace is written to a temporary module (a test module's own calls are never
faulted: they are the test, not the code under test).
"""

from __future__ import annotations

import builtins
import importlib.util
import io
import os
import select
import shutil
import socket
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from iolint.trace.findings import TraceFinding
from iolint.trace.tracer import TraceOptions, Tracer, parse_faults


def load(tmp_path: Path, source: str, name: str = "project_code") -> ModuleType:
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(f"{name}_{abs(hash(tmp_path))}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def tracer() -> Iterator[Tracer]:
    t = Tracer(TraceOptions(faults=frozenset({"short", "eagain"}), seed=3, durability=True))
    t.start()
    t.begin("test")
    yield t
    t.stop()


def codes(findings: list[TraceFinding]) -> list[tuple[str, int]]:
    return sorted((f.code, f.site.line) for f in findings)


WRITERS = """
    import os

    def write_once(fd, data):
        os.write(fd, data)

    def write_all(fd, data):
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]

    def write_buffered(fd, chunks):
        pending = b""
        for chunk in chunks:
            pending += chunk
            pending = pending[os.write(fd, pending):]
        while pending:
            pending = pending[os.write(fd, pending):]
"""


def test_dropped_write_count_is_io101_when_the_descriptor_closes(tmp_path, tracer):
    mod = load(tmp_path, WRITERS)
    r, w = os.pipe()
    mod.write_once(w, b"x" * (select.PIPE_BUF + 1))
    os.close(w)
    os.close(r)
    found = tracer.end()
    assert codes(found) == [("IO101", 5)]
    assert "the descriptor was closed" in found[0].message


def test_writes_that_continue_the_remainder_are_not_reported(tmp_path, tracer):
    mod = load(tmp_path, WRITERS)
    path = tmp_path / "out.bin"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    data = bytes(range(256)) * 40
    mod.write_all(fd, data)
    mod.write_buffered(fd, [data[:1000], data[1000:5000], data[5000:]])
    os.close(fd)
    assert tracer.end() == []
    assert path.read_bytes() == data + data
    # The faults were really there: the first write at each site is always short.
    assert any(f.kind == "short-write" for f in tracer.faults())


def test_a_different_next_write_is_reported(tmp_path, tracer):
    mod = load(tmp_path, WRITERS)
    fd = os.open(tmp_path / "f", os.O_WRONLY | os.O_CREAT)
    mod.write_once(fd, b"a" * 50)
    mod.write_once(fd, b"b" * 50)
    os.close(fd)
    found = tracer.end()
    assert found and all(f.code == "IO101" for f in found)
    assert "was not the remainder" in found[0].message


def test_one_byte_writes_are_never_short(tmp_path, tracer):
    mod = load(tmp_path, WRITERS)
    a, b = socket.socketpair()
    with a, b:
        for _ in range(20):
            mod.write_once(a.fileno(), b"!")
        assert b.recv(100) == b"!" * 20
    assert tracer.end() == []


def test_pipe_writes_up_to_pipe_buf_are_atomic_and_never_short(tmp_path, tracer):
    mod = load(tmp_path, WRITERS)
    r, w = os.pipe()
    mod.write_once(w, b"e" * select.PIPE_BUF)
    assert len(os.read(r, 2 * select.PIPE_BUF)) == select.PIPE_BUF
    os.close(w)
    os.close(r)
    assert tracer.end() == []
    assert tracer.faults() == []


def test_test_code_itself_is_neither_faulted_nor_reported(tracer):
    r, w = os.pipe()
    assert os.write(w, b"y" * 100) == 100
    assert os.read(r, 100) == b"y" * 100
    os.close(w)
    os.close(r)
    assert tracer.end() == []
    assert tracer.faults() == []


READER = "import os\n\ndef read(fd, n):\n    return os.read(fd, n)\n"


def test_reads_are_short_on_sockets_but_not_on_regular_files_or_pipes(tmp_path, tracer):
    mod = load(tmp_path, READER)
    a, b = socket.socketpair()
    with a, b:
        a.sendall(b"z" * 64)
        assert 0 < len(mod.read(b.fileno(), 64)) < 64
    path = tmp_path / "data"
    path.write_bytes(b"q" * 64)
    fd = os.open(path, os.O_RDONLY)
    assert mod.read(fd, 64) == b"q" * 64
    r, w = os.pipe()
    os.write(w, b"p" * 64)
    assert mod.read(r, 64) == b"p" * 64  # its writer wrote once: a pipe read gets it whole
    for fd_ in (r, w, fd):
        os.close(fd_)
    # One fault: the socket's read.
    assert [(f.kind, f.call) for f in tracer.faults()] == [("short-read", "os.read(64)")]


def test_pipe_reads_are_short_in_strict_mode(tmp_path):
    mod = load(tmp_path, READER)
    t = Tracer(TraceOptions(faults=frozenset({"short"}), strict=True))
    t.start()
    try:
        t.begin("t")
        r, w = os.pipe()
        os.write(w, b"p" * 64)
        assert 0 < len(mod.read(r, 64)) < 64
        os.close(r)
        os.close(w)
    finally:
        t.stop()


def test_same_seed_and_test_give_the_same_faults(tmp_path):
    mod = load(tmp_path, WRITERS)

    def run() -> list[str]:
        t = Tracer(TraceOptions(faults=frozenset({"short"}), seed=7))
        t.start()
        try:
            t.begin("same test")
            fd = os.open(tmp_path / "d", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            mod.write_all(fd, b"k" * 5000)
            os.close(fd)
            return [f.describe() for f in t.faults()]
        finally:
            t.stop()

    first = run()
    assert first and run() == first


def test_sockets_send_and_recv_are_faulted_and_sendall_is_not(tmp_path, tracer):
    mod = load(
        tmp_path,
        """
        def send(sock, data):
            sock.send(data)

        def send_all(sock, data):
            sock.sendall(data)

        def recv_into(sock, n):
            buf = bytearray(n)
            return buf[: sock.recv_into(buf, n)]
        """,
    )
    a, b = socket.socketpair()
    with a, b:
        mod.send_all(a, b"s" * 1000)
        got = mod.recv_into(b, 1000)
        assert 0 < len(got) < 1000
        mod.send(a, b"t" * 1000)
    found = tracer.end()
    assert codes(found) == [("IO102", 3)]
    assert "the socket was closed" in found[0].message


def test_datagram_sockets_are_left_alone(tmp_path, tracer):
    mod = load(tmp_path, "def send(sock, data):\n    return sock.send(data)\n")
    a, b = socket.socketpair(type=socket.SOCK_DGRAM)
    with a, b:
        assert mod.send(a, b"d" * 100) == 100
    assert tracer.end() == []


def test_raw_files_from_open_buffering_0_are_faulted(tmp_path, tracer):
    mod = load(
        tmp_path,
        """
        def save(path, data):
            with open(path, "wb", buffering=0) as f:
                f.write(data)
        """,
    )
    mod.save(tmp_path / "raw.bin", b"r" * 300)
    found = tracer.end()
    assert codes(found) == [("IO101", 4)]
    assert "the file was closed" in found[0].message


def test_eagain_on_non_blocking_descriptors_is_io201_when_it_escapes(tmp_path, tracer):
    mod = load(tmp_path, "import os\n\ndef poll(fd):\n    return os.read(fd, 10)\n")
    r, w = os.pipe()
    os.set_blocking(r, False)
    os.write(w, b"ready")
    with pytest.raises(BlockingIOError) as info:
        mod.poll(r)
    os.close(r)
    os.close(w)
    assert [f.code for f in tracer.failure_findings(info.value, "t")] == ["IO201"]
    assert tracer.failure_findings(BlockingIOError(11, "other"), "t") == []


def test_blocking_descriptors_never_get_eagain(tmp_path, tracer):
    mod = load(tmp_path, "import os\n\ndef read(fd):\n    return os.read(fd, 1)\n")
    r, w = os.pipe()
    os.write(w, b"abc")
    assert [mod.read(r) for _ in range(3)] == [b"a", b"b", b"c"]
    os.close(r)
    os.close(w)


def test_from_os_import_write_in_project_modules_is_traced(tmp_path):
    mod = load(tmp_path, "from os import write\n\ndef put(fd, data):\n    write(fd, data)\n")
    t = Tracer(TraceOptions(faults=frozenset({"short"})))
    t.start()
    try:
        t.begin("t")
        a, b = socket.socketpair()
        with a, b:
            mod.put(a.fileno(), b"w" * 64)
        assert codes(t.end()) == [("IO101", 4)]
    finally:
        t.stop()
    assert mod.write is os.write


def test_stop_restores_everything():
    originals = (os.write, os.read, os.close, os.fsync, io.FileIO, builtins.open, io.open)
    t = Tracer(TraceOptions(faults=parse_faults("short,eagain"), durability=True))
    t.start()
    assert os.write is not originals[0] and "send" in vars(socket.socket)
    t.stop()
    assert (os.write, os.read, os.close, os.fsync, io.FileIO, builtins.open, io.open) == originals
    assert "send" not in vars(socket.socket) and "recv" not in vars(socket.socket)


def test_unknown_fault_kind_is_an_error():
    with pytest.raises(ValueError, match="unknown fault kind 'slow'"):
        parse_faults("short,slow")


# -- durability ------------------------------------------------------------------------------

SAVES = """
    import json
    import os

    def save_unsynced(path, data):
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(data, f)
        os.replace(tmp, path)

    def save_synced(path, data, dir_sync=True):
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        if dir_sync:
            fd = os.open(os.path.dirname(path), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def save_without_flush(path, data):
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def save_text_without_flush(path, text):
        with open(path, "a") as f:
            f.write(text)
            os.fsync(f.fileno())

    def overwrite(path, data):
        with open(path, "w") as f:
            json.dump(data, f)
"""


@pytest.fixture
def saves(tmp_path):
    return load(tmp_path, SAVES, "saves")


def test_publish_without_fsync_is_io302(tmp_path, tracer, saves):
    saves.save_unsynced(str(tmp_path / "state.json"), {"a": 1})
    assert codes(tracer.end()) == [("IO302", 9)]


def test_durable_publish_is_clean(tmp_path, tracer, saves):
    saves.save_synced(str(tmp_path / "state.json"), {"a": 1})
    saves.save_synced(str(tmp_path / "state.json"), {"a": 2})
    assert tracer.end() == []


def test_publish_without_directory_fsync_is_io303(tmp_path, tracer, saves):
    saves.save_synced(str(tmp_path / "state.json"), {"a": 1}, dir_sync=False)
    assert codes(tracer.end()) == [("IO303", 17)]


def test_fsync_before_flush_is_io301_and_the_publish_io302(tmp_path, tracer, saves):
    saves.save_without_flush(str(tmp_path / "blob.db"), b"data" * 10)
    assert codes(tracer.end()) == [("IO301", 29), ("IO302", 30)]


def test_fsync_before_flush_in_a_text_file_is_io301(tmp_path, tracer, saves):
    path = tmp_path / "journal.txt"
    saves.save_text_without_flush(str(path), "entry\n")
    assert codes(tracer.end()) == [("IO301", 35)]
    assert path.read_text() == "entry\n"


def test_rewrite_in_place_is_io306_only_for_an_existing_file(tmp_path, tracer, saves):
    saves.overwrite(str(tmp_path / "settings.json"), {"new": True})
    assert tracer.end() == []
    tracer.begin("second")
    saves.overwrite(str(tmp_path / "settings.json"), {"new": False})
    assert codes(tracer.end()) == [("IO306", 38)]


def test_a_rewritten_temp_file_that_is_then_published_is_not_io306(tmp_path, tracer, saves):
    (tmp_path / "state.json.tmp").write_text("left over from a crash")
    saves.save_synced(str(tmp_path / "state.json"), {"a": 1})
    assert tracer.end() == []


def test_cache_files_are_silent_unless_strict(tmp_path, saves):
    for strict, expected in ((False, []), (True, [("IO302", 9)])):
        t = Tracer(TraceOptions(durability=True, strict=strict))
        t.start()
        try:
            t.begin("t")
            saves.save_unsynced(str(tmp_path / "thumbnails.cache"), {})
            assert codes(t.end()) == expected
        finally:
            t.stop()


def test_saves_in_test_code_are_not_reported(tmp_path, tracer):
    tmp = tmp_path / "state.json.tmp"
    tmp.write_text("{}")
    os.replace(tmp, tmp_path / "state.json")
    assert tracer.end() == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_children_are_not_faulted(tmp_path, tracer):
    mod = load(
        tmp_path,
        """
        import os

        def child_reports(fd, data):
            pid = os.fork()
            if pid == 0:
                os.write(fd, data)
                os._exit(0)
            os.waitpid(pid, 0)
        """,
    )
    a, b = socket.socketpair()
    with a, b:
        mod.child_reports(a.fileno(), b"c" * 5000)
        a.shutdown(socket.SHUT_WR)
        got = b""
        while chunk := b.recv(65536):
            got += chunk
    assert got == b"c" * 5000
    assert tracer.end() == []


def test_io_in_a_thread_pool_is_attributed_to_the_code_that_submitted_it(tmp_path, tracer):
    mod = load(
        tmp_path,
        """
        import asyncio
        import os

        async def save(path, data):
            tmp = path + ".tmp"
            await asyncio.to_thread(write, tmp, data)
            await asyncio.to_thread(os.replace, tmp, path)

        def write(path, data):
            with open(path, "wb") as f:
                f.write(data)
        """,
        "async_store",
    )
    import asyncio

    asyncio.run(mod.save(str(tmp_path / "index.db"), b"rows"))
    assert codes(tracer.end()) == [("IO302", 8)]


def test_isinstance_checks_on_file_objects_keep_working(tmp_path, tracer):
    path = tmp_path / "f.bin"
    path.write_bytes(b"x")
    with open(path, "rb") as f:
        assert isinstance(f.raw, io.FileIO)
    with open(path, "rb", buffering=0) as raw:
        assert isinstance(raw, io.FileIO) and raw.read() == b"x"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_ssl_sockets_are_faulted_like_plain_ones(tmp_path, tracer):
    import ssl
    import subprocess
    import threading

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.check_hostname = False
    client_ctx.verify_mode = ssl.CERT_NONE
    mod = load(
        tmp_path,
        """
        def send(sock, data):
            sock.send(data)

        def recv(sock, n):
            return sock.recv(n)
        """,
    )
    a, b = socket.socketpair()
    server: list[ssl.SSLSocket] = []
    handshake = threading.Thread(
        target=lambda: server.append(server_ctx.wrap_socket(b, server_side=True))
    )
    handshake.start()
    client = client_ctx.wrap_socket(a)
    handshake.join()
    with client, server[0]:
        server[0].sendall(b"s" * 100)
        assert 0 < len(mod.recv(client, 100)) < 100
        mod.send(client, b"c" * 1000)
    found = tracer.end()
    assert codes(found) == [("IO102", 3)]
    assert [f.kind for f in tracer.faults()] == ["short-read", "short-write"]


def test_a_finding_in_a_helper_names_the_helpers_caller(tmp_path, tracer):
    mod = load(
        tmp_path,
        """
        import os

        def atomic_rename(src, dst):
            os.replace(src, dst)

        def save_info(path, data):
            with open(path + ".tmp", "wb") as f:
                f.write(data)
            atomic_rename(path + ".tmp", path)
        """,
    )
    mod.save_info(str(tmp_path / "info.json"), b"{}")
    [finding] = tracer.end()
    assert (finding.code, finding.site.line, finding.site.function) == ("IO302", 5, "atomic_rename")
    assert finding.site.via == "save_info at project_code.py:10"

    from iolint.trace.findings import to_diagnostic

    assert "; called from save_info at project_code.py:10" in to_diagnostic(finding).message


def test_a_lost_directory_entry_brings_back_the_previous_content(tmp_path):
    from iolint.trace.crash import CrashPoint, check_states, states
    from iolint.trace.sites import Site

    target = tmp_path / "version.txt"
    target.write_text("2")
    site = Site(str(tmp_path / "store.py"), 3, "save")
    point = CrashPoint("publish", str(target), site, True, False, b"1")
    [state] = states([point])
    assert (state.code, state.content) == ("IO303", b"1")

    def wants_version_2(directory: Path) -> None:
        assert (directory / "version.txt").read_text() == "2", "lost the saved version"

    [finding] = check_states([state], wants_version_2, "t")
    assert finding.code == "IO303" and "lost the saved version" in finding.message
    assert target.read_text() == "2"  # the states are built in a copy
    assert check_states([state], lambda directory: None, "t") == []
    durable = CrashPoint("publish", str(target), site, True, True, b"1")
    assert states([durable]) == []
