"""Fault injection: short transfers and EAGAIN, as POSIX allows them, at project call sites.

Reads and writes transfer fewer bytes than asked (``os.write``/``pwrite``/``read``/``pread``,
stream ``socket.send``/``recv``/``recv_into``, plain and SSL, raw ``FileIO.write``/``read``);
on non-blocking descriptors calls raise ``BlockingIOError`` now and then. The first transfer at
each call site in a test is always short (so a bug shows however the seed falls), later ones
with even odds; the lengths come from a generator seeded by ``--io-seed`` and the test's name.

Correct code loops and never notices. A short write whose remainder is never written (the next
write on that descriptor is not the rest, or the descriptor is closed, or the test ends) is an
``IO101``/``IO102`` finding; failures after injected faults are analysed by the tracer.
"""

from __future__ import annotations

import builtins
import errno
import io
import os
import random
import select
import socket
import stat
import sys
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from iolint.trace.findings import TraceFinding
from iolint.trace.patching import Patcher
from iolint.trace.sites import Site, SiteFinder


@dataclass(frozen=True)
class Fault:
    """One injected fault, as a test failure's annotation shows it."""

    kind: str  # "short-read", "short-write", "eagain"
    call: str  # e.g. "recv(4)"
    result: str  # e.g. "returned 1 byte"
    site: Site
    error: BaseException | None = None

    def describe(self) -> str:
        return f"{self.call} {self.result} at {self.site.short()}"


@dataclass
class _Pending:
    """The bytes a short write left unwritten, owed by the next write on that descriptor."""

    owed: bytes
    code: str
    call: str
    written: int
    asked: int
    site: Site


def _owed(data: Any) -> bytes:
    try:
        return bytes(memoryview(data).cast("B"))
    except TypeError:
        return b""


class FaultInjector:
    def __init__(
        self, finder: SiteFinder, kinds: frozenset[str], seed: int, strict: bool = False
    ) -> None:
        self.finder = finder
        self.strict = strict
        # A forked child's findings would be lost with it: faults stay in this process.
        self.pid = os.getpid()
        self.short = "short" in kinds
        self.eagain = "eagain" in kinds
        self.seed = seed
        self.rng = random.Random(seed)
        self.faults: list[Fault] = []
        self.findings: list[TraceFinding] = []
        self.context = ""
        self._pending: dict[int, _Pending] = {}
        self._faulted_sites: set[tuple[str, int]] = set()
        self._last_eagain: set[tuple[str, int]] = set()
        self._local = threading.local()
        self._patcher = Patcher()
        self.enabled = True

    # -- lifecycle -------------------------------------------------------------------------
    def begin(self, context: str) -> None:
        self.context = context
        self.rng = random.Random(zlib.crc32(f"{self.seed}:{context}".encode()))
        self.faults = []
        self._pending.clear()
        self._faulted_sites.clear()
        self._last_eagain.clear()
        self.enabled = True
        self._patcher.patch_project_globals(self.finder)

    def end(self) -> list[TraceFinding]:
        for fd in list(self._pending):
            self._report_pending(fd, "the remainder was never written")
        found, self.findings = self.findings, []
        return found

    def install(self) -> None:
        p = self._patcher
        p.patch(os, "write", lambda orig: self._wrap_write(orig, "os.write", "IO101", 1))
        p.patch(os, "pwrite", lambda orig: self._wrap_write(orig, "os.pwrite", "IO101", 1))
        p.patch(os, "read", lambda orig: self._wrap_read_fd(orig, "os.read"))
        p.patch(os, "pread", lambda orig: self._wrap_read_fd(orig, "os.pread"))
        p.patch(os, "close", self._wrap_os_close)
        for cls in _socket_classes():
            p.patch(cls, "send", lambda orig: self._wrap_send(orig))
            p.patch(cls, "sendall", lambda orig: self._wrap_sendall(orig))
            p.patch(cls, "recv", lambda orig: self._wrap_recv(orig, "recv"))
            p.patch(cls, "recv_into", lambda orig: self._wrap_recv(orig, "recv_into"))
        p.patch(socket.socket, "close", self._wrap_sock_close)
        traced_fileio = _traced_fileio(self)
        # io.FileIO itself stays: replacing it would make isinstance(f.raw, io.FileIO) false
        # for every file opened with buffering; raw files come from open(..., buffering=0).
        p.patch(builtins, "open", lambda orig: _wrap_open(orig, traced_fileio))
        p.patch(io, "open", lambda orig: _wrap_open(orig, traced_fileio))
        p.patch_project_globals(self.finder)

    def uninstall(self) -> None:
        self._patcher.restore()

    # -- decisions -------------------------------------------------------------------------
    def site(self) -> Site | None:
        """The project call site of the wrapped call, or None when it must not be faulted."""
        if not self.enabled or getattr(self._local, "busy", False) or os.getpid() != self.pid:
            return None
        frame = sys._getframe(2)
        if self.finder.caller_is_tooling(frame):
            return None
        site, in_test = self.finder.find(frame)
        return None if site is None or in_test else site

    def short_length(self, site: Site, n: int) -> int:
        if not self.short or n < 2:
            return n
        key = (site.path, site.line)
        if key in self._faulted_sites and self.rng.random() < 0.5:
            return n
        self._faulted_sites.add(key)
        return self.rng.randint(1, n - 1)

    def maybe_eagain(self, site: Site, call: str, nonblocking: Callable[[], bool]) -> None:
        if not self.eagain:
            return
        key = (site.path, site.line)
        if key in self._last_eagain:  # never twice in a row: a retry loop must progress
            self._last_eagain.discard(key)
            return
        first = key not in self._faulted_sites
        if not first and self.rng.random() >= 0.25:
            return
        try:
            if not nonblocking():
                return
        except (OSError, ValueError):
            return
        self._faulted_sites.add(key)
        self._last_eagain.add(key)
        exc = BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable (iolint trace)")
        self.faults.append(Fault("eagain", call, "raised BlockingIOError (EAGAIN)", site, exc))
        raise exc

    # -- pending remainders --------------------------------------------------------------------
    def _check_pending(self, fd: int, data: Any) -> bytes | None:
        """The bytes still owed on ``fd`` when ``data`` continues them, reporting otherwise."""
        pending = self._pending.pop(fd, None)
        if pending is None:
            return None
        new = _owed(data)
        m = min(len(new), len(pending.owed))
        if m and new[:m] == pending.owed[:m]:
            return pending.owed
        self._report(pending, f"the next write on descriptor {fd} was not the remainder")
        return None

    def _after_write(
        self, fd: int, data: Any, written: int, owed: bytes | None, code: str, call: str, site: Site
    ) -> None:
        new = _owed(data) if written < _length(data) or owed is not None else b""
        rest_new = new[written:]
        rest_owed = owed[written:] if owed is not None else b""
        rest = rest_new if len(rest_new) >= len(rest_owed) else rest_owed
        if rest:
            self._pending[fd] = _Pending(rest, code, call, written, _length(data), site)

    def _report(self, pending: _Pending, why: str) -> None:
        kind, verb = ("send", "sent") if pending.code == "IO102" else ("write", "wrote")
        self.findings.append(
            TraceFinding(
                pending.code,
                f"{pending.call} {verb} {pending.written} of {pending.asked} bytes (a short "
                f"{kind} injected by iolint trace) and {why}: the last "
                f"{len(pending.owed)} bytes were lost; loop until all is written",
                pending.site,
                self.context,
            )
        )

    def _report_pending(self, fd: int, why: str) -> None:
        pending = self._pending.pop(fd, None)
        if pending is not None:
            self._report(pending, why)

    # -- wrappers ----------------------------------------------------------------------------
    def _guarded(self, orig: Callable[..., Any], *args: Any) -> Any:
        self._local.busy = True
        try:
            return orig(*args)
        finally:
            self._local.busy = False

    def _wrap_write(
        self, orig: Callable[..., int], name: str, code: str, data_index: int
    ) -> Callable[..., int]:
        def write(fd: int, data: Any, *rest: Any) -> int:
            site = self.site()
            if site is None:
                return orig(fd, data, *rest)
            owed = self._check_pending(fd, data)
            n = _length(data)
            self.maybe_eagain(site, f"{name}({n} bytes)", lambda: not os.get_blocking(fd))
            k = self.short_length(site, n) if _short_writes_possible(fd, n) else n
            if k < n:
                written = orig(fd, memoryview(data).cast("B")[:k], *rest)
                self.faults.append(
                    Fault("short-write", f"{name}({n} bytes)", f"wrote {written}", site)
                )
            else:
                written = orig(fd, data, *rest)
            self._after_write(fd, data, written, owed, code, f"{name}()", site)
            return written

        write.__wrapped__ = orig  # type: ignore[attr-defined]
        return write

    def _wrap_read_fd(self, orig: Callable[..., bytes], name: str) -> Callable[..., bytes]:
        def read(fd: int, n: int, *rest: Any) -> bytes:
            site = self.site()
            if site is None:
                return orig(fd, n, *rest)
            self.maybe_eagain(site, f"{name}({n})", lambda: not os.get_blocking(fd))
            k = self.short_length(site, n) if _short_reads_possible(fd, self.strict) else n
            data = orig(fd, k, *rest)
            if k < n and len(data) == k:
                self.faults.append(Fault("short-read", f"{name}({n})", _got(k), site))
            return data

        read.__wrapped__ = orig  # type: ignore[attr-defined]
        return read

    def _wrap_os_close(self, orig: Callable[[int], None]) -> Callable[[int], None]:
        def close(fd: int) -> None:
            if fd in self._pending:
                self._report_pending(fd, "the descriptor was closed")
            orig(fd)

        close.__wrapped__ = orig  # type: ignore[attr-defined]
        return close

    def _wrap_send(self, orig: Callable[..., int]) -> Callable[..., int]:
        injector = self

        def send(self: socket.socket, data: Any, *rest: Any) -> int:
            site = injector.site()
            if site is None or self.type != socket.SOCK_STREAM:
                return int(injector._guarded(orig, self, data, *rest))
            fd = self.fileno()
            owed = injector._check_pending(fd, data)
            n = _length(data)
            injector.maybe_eagain(site, f"send({n} bytes)", lambda: self.gettimeout() == 0)
            k = injector.short_length(site, n)
            if k < n:
                sent = injector._guarded(orig, self, memoryview(data).cast("B")[:k], *rest)
                injector.faults.append(
                    Fault("short-write", f"send({n} bytes)", f"sent {sent}", site)
                )
            else:
                sent = injector._guarded(orig, self, data, *rest)
            injector._after_write(fd, data, sent, owed, "IO102", "send()", site)
            return int(sent)

        send.__wrapped__ = orig  # type: ignore[attr-defined]
        return send

    def _wrap_sendall(self, orig: Callable[..., None]) -> Callable[..., None]:
        injector = self

        def sendall(self: socket.socket, data: Any, *rest: Any) -> None:
            if injector._pending and not getattr(injector._local, "busy", False):
                injector._check_pending(self.fileno(), data)
            return injector._guarded(orig, self, data, *rest)  # type: ignore[no-any-return]

        sendall.__wrapped__ = orig  # type: ignore[attr-defined]
        return sendall

    def _wrap_recv(self, orig: Callable[..., Any], name: str) -> Callable[..., Any]:
        injector = self
        into = name == "recv_into"

        def recv(self: socket.socket, *args: Any, **kwargs: Any) -> Any:
            site = injector.site()
            if site is None or self.type != socket.SOCK_STREAM or kwargs:
                return injector._guarded(orig, self, *args, **kwargs)
            if into:
                buf = args[0]
                n = args[1] if len(args) > 1 and args[1] else _length(buf)
            else:
                n = args[0]
            flags = args[2 if into else 1] if len(args) > (2 if into else 1) else 0
            injector.maybe_eagain(site, f"{name}({n})", lambda: self.gettimeout() == 0)
            k = n if flags else injector.short_length(site, n)
            if into:
                got = injector._guarded(orig, self, args[0], k, *args[2:])
                length = int(got)
            else:
                got = injector._guarded(orig, self, k, *args[1:])
                length = len(got)
            if k < n and length == k:
                injector.faults.append(Fault("short-read", f"{name}({n})", _got(k), site))
            return got

        recv.__wrapped__ = orig  # type: ignore[attr-defined]
        return recv

    def _wrap_sock_close(self, orig: Callable[[socket.socket], None]) -> Callable[..., None]:
        injector = self

        def close(self: socket.socket) -> None:
            if injector._pending:
                try:
                    fd = self.fileno()
                except OSError:
                    fd = -1
                if fd in injector._pending:
                    injector._report_pending(fd, "the socket was closed")
            orig(self)

        close.__wrapped__ = orig  # type: ignore[attr-defined]
        return close


def _length(data: Any) -> int:
    try:
        return memoryview(data).nbytes
    except TypeError:
        return len(data)


def _got(k: int) -> str:
    return f"returned {k} byte" + ("" if k == 1 else "s")


def _short_reads_possible(fd: int, strict: bool) -> bool:
    """Reads from regular files are short only at end of file. A pipe returns less than
    asked only when its writer wrote in pieces, which happens in another process that the
    tracer does not see (a child reporting an error in one write is read whole): pipes are
    faulted in strict mode only. Sockets, whatever the transport in the test, and terminals
    are."""
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    if stat.S_ISREG(mode):
        return False
    return strict or not stat.S_ISFIFO(mode)


def _short_writes_possible(fd: int, n: int) -> bool:
    """POSIX makes a write of at most PIPE_BUF bytes to a pipe atomic: all or nothing."""
    if n > select.PIPE_BUF:
        return True
    try:
        return not stat.S_ISFIFO(os.fstat(fd).st_mode)
    except OSError:
        return False


def _socket_classes() -> list[type]:
    classes: list[type] = [socket.socket]
    try:
        import ssl

        classes.append(ssl.SSLSocket)
    except ImportError:  # Python built without OpenSSL
        pass
    return classes


def _traced_fileio(injector: FaultInjector) -> type:
    class TracedFileIO(io.FileIO):
        """A raw file whose ``write``/``read`` may transfer fewer bytes, as POSIX allows."""

        def write(self, data: Any) -> int:
            site = injector.site()
            if site is None:
                return super().write(data)
            fd = self.fileno()
            owed = injector._check_pending(fd, data)
            n = _length(data)
            injector.maybe_eagain(site, f"write({n} bytes)", lambda: not os.get_blocking(fd))
            k = injector.short_length(site, n) if _short_writes_possible(fd, n) else n
            written = super().write(memoryview(data).cast("B")[:k] if k < n else data)
            if written is None:  # non-blocking raw file: nothing written
                return written  # type: ignore[return-value]
            if k < n:
                injector.faults.append(
                    Fault("short-write", f"write({n} bytes)", f"wrote {written}", site)
                )
            injector._after_write(fd, data, written, owed, "IO101", "FileIO.write()", site)
            return written

        def read(self, size: int | None = -1) -> bytes:
            site = injector.site()
            if site is None or size is None or size < 2:
                return super().read(size)
            fd = self.fileno()
            injector.maybe_eagain(site, f"read({size})", lambda: not os.get_blocking(fd))
            k = (
                injector.short_length(site, size)
                if _short_reads_possible(fd, injector.strict)
                else size
            )
            data = super().read(k)
            if k < size and data is not None and len(data) == k:
                injector.faults.append(Fault("short-read", f"read({size})", _got(k), site))
            return data

        def close(self) -> None:
            if injector._pending and not self.closed:
                injector._report_pending(self.fileno(), "the file was closed")
            super().close()

    TracedFileIO.__name__ = TracedFileIO.__qualname__ = "FileIO"
    return TracedFileIO


def _wrap_open(orig: Callable[..., Any], traced: type) -> Callable[..., Any]:
    """``open(..., buffering=0)`` in binary mode returns a raw file: make it a traced one."""

    def open(
        file: Any,
        mode: str = "r",
        buffering: int = -1,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
        closefd: bool = True,
        opener: Callable[..., int] | None = None,
    ) -> Any:
        if buffering == 0 and "b" in mode and isinstance(mode, str):
            return traced(file, mode.replace("b", "").replace("t", ""), closefd, opener)
        return orig(file, mode, buffering, encoding, errors, newline, closefd, opener)

    open.__wrapped__ = orig  # type: ignore[attr-defined]
    return open
