"""A behaviour oracle for fixes: run a program before and after iolint fixes it, on real files,
with its I/O calls recorded and faults injected, and report what it did.

A *case* is a program (the code iolint fixes), a driver (a few lines that call the program on
paths and descriptors of a scratch directory; never fixed) and the files the directory starts
with. Each case runs in a child interpreter (``python tests/oracle.py SPEC``) so that injected
faults, patched ``os`` functions and leaked descriptors cannot disturb pytest, and a fixed
program that spins forever is caught by a timeout.

In the child, ``os.write``, ``os.read``, ``os.open``, ``os.close``, ``os.fsync``,
``os.replace``, ``os.rename``, ``os.unlink``/``os.remove``, ``open``/``io.open`` (so also
``os.fdopen`` and ``Path.open``) and ``socket.send`` are replaced by recording shims that act
only on the scratch directory and on the pipes and sockets the driver made. A fault changes
what they do: ``short`` (every write moves at most N bytes), ``enospc`` (regular files take N
bytes in all, then ``ENOSPC``), ``fsync_eio`` (fsync of a regular file raises ``EIO``),
``eagain`` (a raw write on a full non-blocking descriptor: ``None`` or ``BlockingIOError``),
``crash_at`` (the N-th recorded call raises :class:`Crash`, a power cut as far as the program
can tell), ``dir_fsync_einval`` (a file system that cannot fsync a directory). An observation
is plain JSON: the outcome (return value or exception), every entry of the directory (type,
mode, content, link target), the descriptors left open at the moment the program returned or
raised (while its traceback is still alive), the bytes that reached each peer, what each fsync
made durable, and the recorded calls.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import hashlib
import io
import json
import os
import socket
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# A backstop for a child that hangs outright (a spin is caught by the spin guard long before):
# generous, so that a loaded machine never turns a slow run into a "timeout" observation.
TIMEOUT = 120
SPIN_LIMIT = 2000  # calls that make no progress in a row before the program is said to spin


# ----------------------------------------------------------------------------- parent side


@dataclass(frozen=True)
class Fault:
    short: int = 0
    enospc: int = -1
    fsync_eio: bool = False
    eagain: bool = False
    crash_at: int = 0
    dir_fsync_einval: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "short": self.short,
            "enospc": self.enospc,
            "fsync_eio": self.fsync_eio,
            "eagain": self.eagain,
            "crash_at": self.crash_at,
            "dir_fsync_einval": self.dir_fsync_einval,
        }


NO_FAULT = Fault()


@dataclass(frozen=True)
class FileSpec:
    """An entry the scratch directory starts with: a file (``content``, ``mode``) or, with
    ``link_to``, a symlink to another entry."""

    name: str
    content: bytes = b""
    mode: int = 0o644
    link_to: str | None = None


@dataclass(frozen=True)
class Case:
    program: str
    driver: str  # the body of ``def drive(mod, env):``
    files: tuple[FileSpec, ...] = ()


@dataclass(frozen=True)
class Observation:
    outcome: dict[str, Any]
    files: dict[str, dict[str, Any]]
    leaked: list[str]
    peers: dict[str, str]
    synced: list[dict[str, Any]]
    events: list[list[Any]]
    spin: bool
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def raised(self) -> str | None:
        return self.outcome.get("type") if self.outcome["kind"] == "raise" else None

    def content(self, name: str) -> str | None:
        entry = self.files.get(name)
        return None if entry is None else entry.get("content")

    def leftovers(self, expected: set[str]) -> set[str]:
        return set(self.files) - expected

    def count(self, op: str) -> int:
        return sum(1 for e in self.events if e[0] == op)


def fixed_text(program: str, *, unsafe: bool = True) -> tuple[str, tuple[str, ...]]:
    """The program after ``iolint check --fix [--unsafe-fixes]`` (every rule, default settings)
    and the codes of the fixes applied."""
    from iolint.config import Settings
    from iolint.model.source import DecodedSource
    from iolint.runner import fix_source

    decoded = DecodedSource(program, "utf-8", False)
    result = fix_source(
        decoded, "program.py", Settings(), None, data=None, write=False, unsafe=unsafe
    )
    assert result.parse_error is None, result.parse_error
    assert result.source is not None
    return result.source, tuple(d.code for d in result.fixed)


def observe(case: Case, program: str, workdir: Path, fault: Fault = NO_FAULT) -> Observation:
    """Run ``program`` (the original or the fixed text of ``case``) under ``fault``."""
    return observe_many(case, program, workdir, [fault])[0]


def observe_many(case: Case, program: str, workdir: Path, faults: list[Fault]) -> list[Observation]:
    """One child runs the program once per fault, each in a fresh copy of the directory."""
    workdir.mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="run", dir=workdir))
    (base / "program.py").write_text(program, encoding="utf-8")
    spec = {
        "program": str(base / "program.py"),
        "driver": case.driver,
        "files": [
            {"name": f.name, "content": f.content.hex(), "mode": f.mode, "link_to": f.link_to}
            for f in case.files
        ],
        "faults": [f.as_json() for f in faults],
        "base": str(base),
    }
    spec_path = base / "spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    try:
        proc = subprocess.run(
            [sys.executable, __file__, str(spec_path)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT * max(1, len(faults) // 20),
            check=False,
        )
    except subprocess.TimeoutExpired:
        return [_timed_out() for _ in faults]
    out = base / "observations.json"
    if proc.returncode != 0 or not out.exists():
        raise AssertionError(f"oracle child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return [
        Observation(
            outcome=o["outcome"],
            files=o["files"],
            leaked=o["leaked"],
            peers=o["peers"],
            synced=o["synced"],
            events=o["events"],
            spin=o["spin"],
            raw=o,
        )
        for o in json.loads(out.read_text(encoding="utf-8"))
    ]


def _timed_out() -> Observation:
    return Observation({"kind": "timeout"}, {}, [], {}, [], [], spin=True)


def comparable(o: Observation) -> dict[str, Any]:
    """What must be equal before and after a fix when nothing fails: the outcome, every file's
    type, mode, content and link target, and the bytes each peer received."""
    return {"outcome": o.outcome, "files": o.files, "peers": o.peers}


# ----------------------------------------------------------------------------- child side


class Crash(BaseException):
    """The injected power cut: the program stops at this call, whatever it catches."""


class Spin(BaseException):
    """The program keeps calling without progress (a write loop on ``None``, a read loop at
    EOF): it would never end."""


def _digest(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()[:12]


def _text(data: bytes) -> str:
    """File contents as a readable, exact string (hex when not UTF-8)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return "hex:" + data.hex()


class _Child:
    """The shims, the fault state and the recorded calls of one run."""

    def __init__(self, base: Path, fault: dict[str, Any]) -> None:
        self.base = str(base)
        self.fault = fault
        self.events: list[list[Any]] = []
        self.synced: list[dict[str, Any]] = []
        self.budget: int = fault["enospc"]
        self.calls = 0
        self.idle = 0
        self.peer_fds: set[int] = set()
        self.real: dict[str, Any] = {}

    # -- scope and bookkeeping
    def in_scope_path(self, path: Any) -> bool:
        if isinstance(path, int):
            return self.in_scope_fd(path)
        try:
            p = os.fsdecode(os.fspath(path))
        except TypeError:
            return False
        return os.path.abspath(p).startswith(self.base)

    def fd_target(self, fd: int) -> str:
        try:
            return os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            return ""

    def in_scope_fd(self, fd: int) -> bool:
        return fd in self.peer_fds or self.fd_target(fd).startswith(self.base)

    def rel(self, path: Any) -> str:
        p = os.path.abspath(os.fsdecode(os.fspath(path)))
        return os.path.relpath(p, self.base)

    def record(self, *event: Any) -> None:
        self.calls += 1
        self.events.append(list(event))
        # The power stays off: every later call fails too (a ``finally:`` or ``__exit__``
        # that flushes after the cut writes nothing).
        if self.fault["crash_at"] and self.calls >= self.fault["crash_at"]:
            raise Crash(f"crash at call {self.calls}: {event[0]}")

    def no_progress(self) -> None:
        self.idle += 1
        if self.idle > SPIN_LIMIT:
            raise Spin("no progress")

    def is_regular(self, fd: int) -> bool:
        try:
            return stat.S_ISREG(os.fstat(fd).st_mode)
        except OSError:
            return False

    # -- the write path shared by os.write and raw file writes
    def write(self, fd: int, data: Any, real: Callable[[int, Any], int]) -> int:
        view = memoryview(data).cast("B")
        self.record("write", self.kind(fd), len(view))
        if self.fault["eagain"]:
            self.no_progress()
            raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")
        n = len(view)
        if self.fault["short"]:
            n = min(n, self.fault["short"])
        if self.budget >= 0 and self.is_regular(fd):
            if self.budget == 0 and n:
                raise OSError(errno.ENOSPC, "No space left on device")
            n = min(n, self.budget)
            self.budget -= n
        written = real(fd, view[:n])
        if written:
            self.idle = 0
        else:
            self.no_progress()
        return written

    def kind(self, fd: int) -> str:
        try:
            mode = os.fstat(fd).st_mode
        except OSError:
            return "closed"
        if stat.S_ISREG(mode):
            return "file:" + self.rel(self.fd_target(fd))
        if stat.S_ISFIFO(mode):
            return "pipe"
        if stat.S_ISSOCK(mode):
            return "socket"
        if stat.S_ISDIR(mode):
            return "dir:" + self.rel(self.fd_target(fd))
        return "other"

    # -- install the shims
    def install(self) -> None:
        child = self
        real_write, real_read, real_open = os.write, os.read, os.open
        real_close, real_fsync = os.close, os.fsync
        real_replace, real_rename, real_unlink = os.replace, os.rename, os.unlink
        real_io_open, real_send = io.open, socket.socket.send
        self.real = {
            "os.write": real_write,
            "os.read": real_read,
            "os.open": real_open,
            "os.close": real_close,
            "os.fsync": real_fsync,
            "os.replace": real_replace,
            "os.rename": real_rename,
            "os.unlink": real_unlink,
            "os.remove": os.remove,
            "io.open": real_io_open,
            "builtins.open": builtins.open,
            "socket.send": real_send,
        }

        def s_write(fd: int, data: Any) -> int:
            if not child.in_scope_fd(fd):
                return real_write(fd, data)
            return child.write(fd, data, real_write)

        def s_read(fd: int, n: int) -> bytes:
            data = real_read(fd, n)
            if child.in_scope_fd(fd):
                if data:
                    child.idle = 0
                else:
                    child.no_progress()
            return data

        def s_open(path: Any, flags: int, mode: int = 0o777, *, dir_fd: Any = None) -> int:
            if not child.in_scope_path(path):
                return real_open(path, flags, mode, dir_fd=dir_fd)
            child.record("os.open", child.rel(path), flags & (os.O_CREAT | os.O_TRUNC))
            return real_open(path, flags, mode, dir_fd=dir_fd)

        def s_close(fd: int) -> None:
            if child.in_scope_fd(fd):
                child.record("close", child.kind(fd))
            real_close(fd)

        def s_fsync(fd: Any) -> None:
            num = fd if isinstance(fd, int) else fd.fileno()
            if not child.in_scope_fd(num):
                real_fsync(fd)
                return
            kind = child.kind(num)
            child.record("fsync", kind)
            if child.is_regular(num):
                if child.fault["fsync_eio"]:
                    raise OSError(errno.EIO, "Input/output error")
                st = os.fstat(num)
                with real_io_open(f"/proc/self/fd/{num}", "rb") as f:
                    data = f.read()
                child.synced.append({"ino": st.st_ino, "digest": _digest(data)})
            elif kind.startswith("dir:"):
                if child.fault["dir_fsync_einval"]:
                    # Some file systems (network, FUSE) cannot sync a directory.
                    raise OSError(errno.EINVAL, "Invalid argument")
                child.synced.append({"dir": kind[4:]})
            real_fsync(fd)

        def s_move(op: str, real: Callable[..., None]) -> Callable[..., None]:
            def move(src: Any, dst: Any, **kw: Any) -> None:
                if not child.in_scope_path(dst):
                    real(src, dst, **kw)
                    return
                try:
                    with real_io_open(src, "rb") as f:
                        moved = _digest(f.read())
                    ino: int | None = os.stat(src).st_ino
                except OSError:
                    moved, ino = "", None
                child.record(op, child.rel(dst), ino, moved)
                real(src, dst, **kw)

            return move

        def s_unlink(path: Any, *, dir_fd: Any = None) -> None:
            if child.in_scope_path(path):
                child.record("unlink", child.rel(path))
            real_unlink(path, dir_fd=dir_fd)

        def s_open_file(
            file: Any,
            mode: str = "r",
            buffering: int = -1,
            encoding: str | None = None,
            errors: str | None = None,
            newline: str | None = None,
            closefd: bool = True,
            opener: Any = None,
        ) -> Any:
            writing = any(c in mode for c in "wax+")
            if not writing or not child.in_scope_path(file):
                return real_io_open(
                    file, mode, buffering, encoding, errors, newline, closefd, opener
                )
            name = child.kind(file) if isinstance(file, int) else child.rel(file)
            child.record("open", name, mode)
            return child.open_faulty(file, mode, buffering, encoding, errors, newline, closefd)

        def s_send(sock: socket.socket, data: Any, *flags: int) -> int:
            if sock.fileno() not in child.peer_fds:
                return real_send(sock, data, *flags)
            view = memoryview(data).cast("B")
            n = min(len(view), child.fault["short"]) if child.fault["short"] else len(view)
            child.record("send", len(view))
            return real_send(sock, view[:n], *flags)

        os.write = s_write
        os.read = s_read
        os.open = s_open
        os.close = s_close
        os.fsync = s_fsync
        os.replace = s_move("replace", real_replace)
        os.rename = s_move("rename", real_rename)
        os.unlink = s_unlink
        os.remove = s_unlink
        io.open = s_open_file
        builtins.open = s_open_file
        socket.socket.send = s_send  # type: ignore[method-assign]

    def uninstall(self) -> None:
        os.write = self.real["os.write"]
        os.read = self.real["os.read"]
        os.open = self.real["os.open"]
        os.close = self.real["os.close"]
        os.fsync = self.real["os.fsync"]
        os.replace = self.real["os.replace"]
        os.rename = self.real["os.rename"]
        os.unlink = self.real["os.unlink"]
        os.remove = self.real["os.remove"]
        io.open = self.real["io.open"]
        builtins.open = self.real["builtins.open"]
        socket.socket.send = self.real["socket.send"]  # type: ignore[method-assign]

    def open_faulty(
        self,
        file: Any,
        mode: str,
        buffering: int,
        encoding: str | None,
        errors: str | None,
        newline: str | None,
        closefd: bool,
    ) -> Any:
        """``open()`` built by hand over a raw file whose writes go through the fault logic
        (the C ``FileIO`` would call ``write(2)`` directly, past the ``os.write`` shim)."""
        child = self
        real_write = self.real["os.write"]

        class FaultyFileIO(io.FileIO):
            def write(self, b: Any) -> int | None:  # type: ignore[override]
                if child.fault["eagain"]:
                    child.record("write", child.kind(self.fileno()), len(memoryview(b)))
                    child.no_progress()
                    return None  # a raw non-blocking write with a full buffer
                return child.write(self.fileno(), b, real_write)

        raw_mode = "".join(c for c in mode if c in "rwxa+")
        raw = FaultyFileIO(file, raw_mode, closefd=closefd)
        binary = "b" in mode
        if buffering == 0:
            if not binary:
                raise ValueError("can't have unbuffered text I/O")
            return raw
        size = buffering if buffering > 1 else io.DEFAULT_BUFFER_SIZE
        buffered: io.BufferedIOBase
        if "+" in mode:
            buffered = io.BufferedRandom(raw, size)
        else:
            buffered = io.BufferedWriter(raw, size)
        if binary:
            return buffered
        text = io.TextIOWrapper(buffered, encoding, errors, newline, line_buffering=buffering == 1)
        text.mode = mode  # type: ignore[misc]
        return text


class Env:
    """What a driver gets: paths in the scratch directory and peers whose bytes are drained."""

    def __init__(self, base: Path, child: _Child) -> None:
        self.dir = base
        self._child = child
        self._drains: dict[str, tuple[threading.Thread, list[bytes]]] = {}
        self._readers: list[int] = []  # drained ends, closed only after their thread ends
        self.own_fds: set[int] = set()

    def path(self, name: str) -> str:
        return str(self.dir / name)

    def bpath(self, name: str) -> bytes:
        return os.fsencode(self.path(name))

    def _drain(self, label: str, read: Callable[[], bytes], fd: int) -> None:
        chunks: list[bytes] = []

        def pump() -> None:
            while True:
                try:
                    data = read()
                except OSError:
                    return
                if not data:
                    return
                chunks.append(data)

        t = threading.Thread(target=pump, daemon=True)
        t.start()
        self._drains[label] = (t, chunks)
        self.own_fds.add(fd)
        self._readers.append(fd)

    def pipe(self, label: str = "pipe") -> int:
        """The write end of a pipe whose reader collects what arrives."""
        r, w = os.pipe()
        self._child.peer_fds.add(w)
        real_read = self._child.real["os.read"]
        self._drain(label, lambda: real_read(r, 65536), r)
        self.own_fds.add(w)
        return w

    def socket(self, label: str = "socket") -> socket.socket:
        a, b = socket.socketpair()
        self._child.peer_fds.add(a.fileno())
        self._drain(label, lambda: b.recv(65536), b.fileno())
        self.own_fds.add(a.fileno())
        self._keep = [*getattr(self, "_keep", []), a, b]
        return a

    def reader(self, data: bytes) -> int:
        """The read end of a pipe holding ``data`` whose writer has hung up."""
        r, w = os.pipe()
        self._child.real["os.write"](w, data)
        self._child.real["os.close"](w)
        self._child.peer_fds.add(r)
        self.own_fds.add(r)
        return r

    def peers(self) -> dict[str, str]:
        """Hang up every writer the driver was given, then collect what each peer received."""
        real_close = self._child.real["os.close"]
        sockets = getattr(self, "_keep", [])
        socket_fds = {s.fileno() for s in sockets}
        readers = set(self._readers)
        for fd in self.own_fds - socket_fds - readers:
            with contextlib.suppress(OSError):  # the program may have closed it already
                real_close(fd)
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_WR)
        out = {}
        for label, (t, chunks) in self._drains.items():
            t.join()  # the writer end is closed: the reader sees EOF
            out[label] = _text(b"".join(chunks))
        for s in sockets:
            with contextlib.suppress(OSError):
                s.close()
        for fd in readers - socket_fds:
            real_close(fd)
        return out


def _open_fds() -> dict[int, str]:
    fds = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            fds[int(name)] = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue
    return fds


def _describe(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return {"bytes": bytes(value).hex()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_describe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _describe(v) for k, v in value.items()}
    return type(value).__name__


def _hidden(exc: BaseException) -> str | None:
    """The error an exception raised while it propagated (from a ``finally:`` or ``__exit__``)
    hides from the caller, when it is a different one (a flush that fails again with the same
    errno hides nothing new)."""
    context = exc.__context__
    if context is None:
        return None
    hidden = f"{type(context).__name__}:{getattr(context, 'errno', None)}"
    shown = f"{type(exc).__name__}:{getattr(exc, 'errno', None)}"
    return None if hidden == shown else hidden


def _snapshot(base: Path) -> dict[str, dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {}
    for p in sorted(base.rglob("*")):
        rel = p.relative_to(base).as_posix()
        if rel in ("program.py", "spec.json", "observations.json") or rel.startswith("__"):
            continue
        st = os.lstat(p)
        if stat.S_ISLNK(st.st_mode):
            entries[rel] = {"type": "link", "target": os.readlink(p)}
        elif stat.S_ISDIR(st.st_mode):
            entries[rel] = {"type": "dir", "mode": oct(stat.S_IMODE(st.st_mode))}
        else:
            entries[rel] = {
                "type": "file",
                "mode": oct(stat.S_IMODE(st.st_mode)),
                "content": _text(p.read_bytes()),
            }
    return entries


def _setup(base: Path, files: list[dict[str, Any]]) -> None:
    base.mkdir()
    for f in files:
        p = base / f["name"]
        p.parent.mkdir(parents=True, exist_ok=True)
        if f["link_to"] is not None:
            p.symlink_to(f["link_to"])
        else:
            p.write_bytes(bytes.fromhex(f["content"]))
            os.chmod(p, f["mode"])


def _run_one(spec: dict[str, Any], index: int, fault: dict[str, Any]) -> dict[str, Any]:
    import gc
    import importlib.util

    base = Path(spec["base"]) / f"s{index}"
    _setup(base, spec["files"])
    name = f"oracle_program_{index}"
    loader_spec = importlib.util.spec_from_file_location(name, spec["program"])
    assert loader_spec is not None and loader_spec.loader is not None
    module = importlib.util.module_from_spec(loader_spec)
    loader_spec.loader.exec_module(module)
    driver_ns: dict[str, Any] = {"os": os}
    body = "\n".join("    " + line for line in spec["driver"].splitlines())
    exec(f"def drive(mod, env):\n{body}\n", driver_ns)  # the test's own driver code
    child = _Child(base, fault)
    env = Env(base, child)
    gc.collect()
    before = _open_fds()
    spin = False
    child.install()
    try:
        try:
            value = driver_ns["drive"](module, env)
            outcome: dict[str, Any] = {"kind": "return", "value": _describe(value)}
            value = None
            leaked_now = _open_fds()
        except BaseException as exc:  # the program's own exception, a Crash or a Spin
            spin = isinstance(exc, Spin)
            outcome = {
                "kind": "raise",
                "type": type(exc).__name__,
                "errno": getattr(exc, "errno", None),
                "hides": _hidden(exc),
            }
            # Measured while the traceback (and every frame in it) is alive: a descriptor
            # still open now is closed, if ever, only by the garbage collector.
            leaked_now = _open_fds()
            del exc
    finally:
        child.uninstall()
    leaked = sorted(
        f"{fd}->{os.path.relpath(t, base) if t.startswith(str(base)) else t}"
        for fd, t in leaked_now.items()
        if fd not in before and fd not in env.own_fds
    )
    peers = env.peers()
    gc.collect()
    for fd in leaked_now:
        if fd not in before and fd not in env.own_fds:
            with contextlib.suppress(OSError):
                os.close(fd)
    return {
        "outcome": outcome,
        "files": _snapshot(base),
        "leaked": leaked,
        "peers": peers,
        "synced": child.synced,
        "events": child.events,
        "spin": spin,
    }


def _child_main(spec_path: str) -> None:
    os.umask(0o022)
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    results = [_run_one(spec, i, f) for i, f in enumerate(spec["faults"])]
    out = Path(spec["base"]) / "observations.json"
    out.write_text(json.dumps(results), encoding="utf-8")


if __name__ == "__main__":
    _child_main(sys.argv[1])
