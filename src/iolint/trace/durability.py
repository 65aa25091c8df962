"""Recording file-system operations and judging durability from what really happened.

Opens (with their flags), renames and replaces, and unlinks come from audit hooks (PEP 578), so
every spelling is seen (``Path.replace``, ``shutil.move``, ``from os import replace``). fsync,
fdatasync and ``os.sync`` raise no audit event: they are wrapped. Files are identified by
device and inode, found from the descriptor with ``fstat`` when fsynced; whether a file changed
after its last fsync is read from its size and modification time at the publish.

The audit hook cannot be removed once added: it is added only when ``--io-durability`` is
given, and does nothing outside a traced test.
"""

from __future__ import annotations

import io
import os
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

from iolint.trace.crash import CrashPoint, snapshot
from iolint.trace.findings import TraceFinding
from iolint.trace.intent import IntentJudge
from iolint.trace.patching import Patcher
from iolint.trace.sites import Site, SiteFinder

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR
_EVENTS = frozenset({"open", "os.rename", "os.remove"})

# Audit hooks cannot be removed, so the process gets one, added by the first recorder, which
# forwards to the recorder now installed (this list holds at most one).
_LISTENERS: list[DurabilityRecorder] = []
_HOOK_ADDED: list[bool] = []


def _dispatch(event: str, args: tuple[Any, ...]) -> None:
    if _LISTENERS and event in _EVENTS:
        _LISTENERS[0].on_audit(event, args)


@dataclass(frozen=True)
class _Synced:
    seq: int
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class _Publish:
    seq: int
    source: str
    target: str
    site: Site
    directory: tuple[int, int]
    data_synced: bool = True
    previous: bytes | None = None


@dataclass(frozen=True)
class _Rewrite:
    seq: int
    path: str
    site: Site


def _path(value: Any) -> str | None:
    if isinstance(value, (str, bytes)) or hasattr(value, "__fspath__"):
        try:
            return os.path.realpath(os.fsdecode(value))
        except (TypeError, ValueError):
            return None
    return None


class DurabilityRecorder:
    def __init__(self, finder: SiteFinder, judge: IntentJudge) -> None:
        self.finder = finder
        self.judge = judge
        self.active = False
        self.context = ""
        self.findings: list[TraceFinding] = []
        self._seq = 0
        self._opened: dict[str, int] = {}  # path opened for writing in this test -> seq
        self._synced: dict[tuple[int, int], _Synced] = {}
        self._dir_synced: dict[tuple[int, int], int] = {}
        self._global_sync = -1
        self._publishes: list[_Publish] = []
        self._rewrites: dict[str, _Rewrite] = {}
        self._patcher = Patcher()
        # Set by the pytest plugin for a test marked crash_consistent: keep crash points.
        self.record_crash_points = False
        self.crash_points: list[CrashPoint] = []

    # -- lifecycle -------------------------------------------------------------------------
    def install(self) -> None:
        if not _LISTENERS:
            if not _HOOK_ADDED:
                sys.addaudithook(_dispatch)
                _HOOK_ADDED.append(True)
            _LISTENERS.append(self)
        self._patcher.patch(os, "fsync", lambda orig: self._wrap_sync(orig, "fsync"))
        if hasattr(os, "fdatasync"):
            self._patcher.patch(os, "fdatasync", lambda orig: self._wrap_sync(orig, "fdatasync"))
        if hasattr(os, "sync"):
            self._patcher.patch(os, "sync", self._wrap_global_sync)
        self._patcher.patch_project_globals(self.finder)

    def uninstall(self) -> None:
        self.active = False
        if self in _LISTENERS:
            _LISTENERS.remove(self)
        self._patcher.restore()

    def begin(self, context: str) -> None:
        self.context = context
        self._opened.clear()
        self._synced.clear()
        self._dir_synced.clear()
        self._global_sync = -1
        self._publishes.clear()
        self._rewrites.clear()
        self.crash_points = []
        self._patcher.patch_project_globals(self.finder)
        self.active = True

    def end(self) -> list[TraceFinding]:
        self.active = False
        if self.record_crash_points:
            self._keep_crash_points()
        for p in self._publishes:
            if p.data_synced and not self._dir_synced_after(p):
                self._add(
                    "IO303",
                    f"{_name(p.target)} was published by rename after an fsync of its data, "
                    f"but its directory {os.path.dirname(p.target)!r} was never fsynced "
                    "afterwards: a crash can lose the new directory entry",
                    p.site,
                )
        for r in self._rewrites.values():
            self._add(
                "IO306",
                f"{_name(r.path)} existed and was truncated and rewritten in place: a crash "
                "or an error while writing leaves it empty or torn; write a temporary file "
                "and os.replace() it",
                r.site,
            )
        found, self.findings = self.findings, []
        return found

    def _dir_synced_after(self, p: _Publish) -> bool:
        synced = self._dir_synced.get(p.directory)
        return (synced is not None and synced > p.seq) or self._global_sync > p.seq

    def _keep_crash_points(self) -> None:
        for p in self._publishes:
            self.crash_points.append(
                CrashPoint(
                    "publish",
                    p.target,
                    p.site,
                    p.data_synced,
                    self._dir_synced_after(p),
                    p.previous,
                )
            )
        for r in self._rewrites.values():
            self.crash_points.append(CrashPoint("rewrite", r.path, r.site, False, True, None))

    # -- events ----------------------------------------------------------------------------
    def _tick(self) -> int:
        self._seq += 1
        return self._seq

    def _site(self, frame: FrameType | None) -> Site | None:
        site, in_test = self.finder.find(frame)
        return None if site is None or in_test else site

    def _add(self, code: str, message: str, site: Site) -> None:
        self.findings.append(TraceFinding(code, message, site, self.context))

    def on_audit(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.active:
            return
        try:
            if event == "open":
                self._on_open(args)
            elif event == "os.rename":
                self._on_rename(args)
            else:
                self._on_remove(args)
        except Exception:  # never break the program under test
            pass

    def _on_open(self, args: tuple[Any, ...]) -> None:
        flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
        if not flags & _WRITE_FLAGS:
            return
        path = _path(args[0])
        if path is None:
            return
        site = self._site(sys._getframe(3))
        if site is None:
            return
        seq = self._tick()
        if flags & os.O_TRUNC:
            try:
                st = os.stat(path)
            except OSError:
                st = None
            if (
                st is not None
                and stat.S_ISREG(st.st_mode)
                and st.st_size > 0
                and self.judge.durable(site, path)
            ):
                self._rewrites.setdefault(path, _Rewrite(seq, path, site))
        self._opened[path] = seq

    def _on_rename(self, args: tuple[Any, ...]) -> None:
        if len(args) >= 4 and (args[2] not in (None, -1) or args[3] not in (None, -1)):
            return  # relative to directory descriptors: not followed
        source, target = _path(args[0]), _path(args[1])
        if source is None or target is None:
            return
        opened = self._opened.get(source)
        self._rewrites.pop(source, None)  # a file later published was a temporary file
        if opened is None:
            return  # not a file written in this test: a move, not a publish
        site = self._site(sys._getframe(3))
        if site is None:
            return
        seq = self._tick()
        st = os.stat(source)
        if not stat.S_ISREG(st.st_mode):
            return
        directory = os.stat(os.path.dirname(target))
        if st.st_dev != directory.st_dev:
            if self.judge.durable(site, target):
                self._add(
                    "IO304",
                    f"the temporary file {source!r} is on another file system than its target "
                    f"{_name(target)}: the rename fails (EXDEV) and a copy is not atomic; "
                    "create it in the target's directory",
                    site,
                )
            return
        synced = self._synced.get((st.st_dev, st.st_ino))
        data_synced = (
            synced is not None
            and synced.seq > opened
            and (synced.size, synced.mtime_ns) == (st.st_size, st.st_mtime_ns)
        ) or self._global_sync > opened
        if data_synced or self.record_crash_points:
            previous = snapshot(target) if self.record_crash_points else None
            self._publishes.append(
                _Publish(
                    seq,
                    source,
                    target,
                    site,
                    (directory.st_dev, directory.st_ino),
                    data_synced,
                    previous,
                )
            )
        if not data_synced and self.judge.durable(site, target):
            what = (
                "was changed after its last fsync"
                if synced is not None and synced.seq > opened
                else "was never fsynced"
            )
            self._add(
                "IO302",
                f"{_name(target)} was published by rename, but the data of {_name(source)} "
                f"{what}: after a crash the target can be empty or partial; flush and fsync "
                "the file before the rename",
                site,
            )
        self._opened.pop(source, None)

    def _on_remove(self, args: tuple[Any, ...]) -> None:
        path = _path(args[0]) if args else None
        if path is not None:
            self._rewrites.pop(path, None)
            self._opened.pop(path, None)

    # -- wrappers ----------------------------------------------------------------------------
    def _wrap_sync(self, orig: Callable[[Any], None], name: str) -> Callable[[Any], None]:
        recorder = self

        def sync(fd: Any) -> None:
            if not recorder.active:
                return orig(fd)
            caller = sys._getframe(1)
            num = fd if isinstance(fd, int) else fd.fileno()
            site = recorder._site(caller)
            texts = recorder._check_buffered(caller, num, name, site) if site else []
            orig(fd)
            try:
                st = os.fstat(num)
            except OSError:
                return
            key = (st.st_dev, st.st_ino)
            seq = recorder._tick()
            if stat.S_ISDIR(st.st_mode):
                recorder._dir_synced[key] = seq
            else:
                recorder._synced[key] = _Synced(seq, st.st_size, st.st_mtime_ns)
            if site is not None:
                recorder._check_text_layer(texts, num, name, site)

        sync.__wrapped__ = orig  # type: ignore[attr-defined]
        return sync

    def _wrap_global_sync(self, orig: Callable[[], None]) -> Callable[[], None]:
        def sync() -> None:
            orig()
            if self.active:
                self._global_sync = self._tick()

        sync.__wrapped__ = orig  # type: ignore[attr-defined]
        return sync

    def _check_buffered(self, frame: FrameType, fd: int, name: str, site: Site) -> list[Any]:
        """IO301: a file object over ``fd`` in the caller's reach still buffers written bytes.

        A buffered file's ``tell()`` counts the bytes it holds, the descriptor's offset does
        not; both are read without side effects. Returns the text files, whose own layer is
        probed after the fsync (see :meth:`_check_text_layer`)."""
        texts = []
        for f in _file_objects(frame, fd):
            buffered = f.buffer if isinstance(f, io.TextIOWrapper) else f
            try:
                ahead = buffered.tell() > os.lseek(fd, 0, os.SEEK_CUR)
            except (OSError, ValueError, AttributeError):
                continue
            if ahead:
                self._report_buffered(f, name, site)
                return []
            if isinstance(f, io.TextIOWrapper) and isinstance(f.buffer, io.BufferedWriter):
                texts.append(f)
        return texts

    def _check_text_layer(self, texts: list[Any], fd: int, name: str, site: Site) -> None:
        """A text file keeps small writes in its own layer, which nothing shows without a
        flush. Flushing after the fsync cannot make that fsync cover the bytes (the publish
        check still sees them arrive late); it only moves their write to the OS earlier."""
        for f in texts:
            try:
                before = os.lseek(fd, 0, os.SEEK_CUR)
                f.flush()
                moved = os.lseek(fd, 0, os.SEEK_CUR) != before
            except (OSError, ValueError):
                continue
            if moved:
                self._report_buffered(f, name, site)
                return

    def _report_buffered(self, f: Any, name: str, site: Site) -> None:
        self._add(
            "IO301",
            f"os.{name}() ran while {_name(str(getattr(f, 'name', '')))}'s Python buffer still "
            f"held written bytes: they were not on disk; call flush() before os.{name}()",
            site,
        )


def _file_objects(frame: FrameType, fd: int) -> list[Any]:
    """Open, writable file objects over ``fd`` among the caller's locals and ``self``'s
    attributes: where ``os.fsync(f.fileno())`` finds its ``f``."""
    candidates = list(frame.f_locals.values())
    owner = frame.f_locals.get("self")
    if owner is not None and isinstance(getattr(owner, "__dict__", None), dict):
        candidates.extend(vars(owner).values())
    found = []
    for obj in candidates:
        if isinstance(obj, (io.BufferedWriter, io.BufferedRandom, io.TextIOWrapper)):
            try:
                if not obj.closed and obj.writable() and obj.fileno() == fd:
                    found.append(obj)
            except (OSError, ValueError):
                continue
    return found


def _name(path: str) -> str:
    return repr(os.path.basename(path)) if path else "the file"
