"""Applying fixes: edits to text, a bounded re-lint loop, and a durable atomic file write.

The writer follows iolint's own rules: temp file in the same directory, every byte written,
fsync, the original mode kept, ``os.replace``, then an fsync of the directory. The original
file is either intact or wholly replaced, whatever happens in between (a full disk, a
read-only file, ``KeyboardInterrupt``).
"""

from __future__ import annotations

import ast
import contextlib
import errno
import os
import stat
import tempfile
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from iolint.diagnostics import Diagnostic, Edit, fix_applies
from iolint.model.source import SourceText

MAX_ROUNDS = 10


class FixWriteError(Exception):
    """A fixed file could not be written; the original is untouched, unless ``replaced``: then
    the new content is in place and only the directory sync that makes the rename durable
    failed."""

    def __init__(self, message: str, *, replaced: bool = False) -> None:
        super().__init__(message)
        self.replaced = replaced


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """Apply non-overlapping edits (positions refer to ``text``)."""
    source = SourceText(text)
    spans = sorted(
        ((source.offset(e.start), source.offset(e.end), e.content) for e in edits),
        key=lambda s: (s[0], s[1]),
        reverse=True,
    )
    out = text
    for start, end, content in spans:
        out = out[:start] + content + out[end:]
    return out


def parses(text: str, *, with_libcst: bool = True) -> bool:
    """Whether ``text`` is valid Python for this interpreter (and for libcst, so that every
    later fix can be built on it)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    if with_libcst:
        # Imported here: libcst costs 0.1 s to import, which a lint-only run (whose text
        # report imports apply_edits from this module) should not pay.
        import libcst

        try:
            libcst.parse_module(text)
        except Exception:
            return False
    return True


def _span(d: Diagnostic, source: SourceText) -> tuple[int, int]:
    assert d.fix is not None
    starts = [source.offset(e.start) for e in d.fix.edits]
    ends = [source.offset(e.end) for e in d.fix.edits]
    return min(starts), max(ends)


def _non_overlapping(fixable: list[Diagnostic], source: SourceText) -> list[Diagnostic]:
    chosen: list[Diagnostic] = []
    taken: list[tuple[int, int]] = []
    for d in sorted(fixable, key=Diagnostic.sort_key):
        lo, hi = _span(d, source)
        # Touching spans are fine, but overlapping ones, or two edits starting at one point
        # (two insertions there would have no defined order), wait for the next round.
        if any((lo < t_hi and t_lo < hi) or lo == t_lo for t_lo, t_hi in taken):
            continue
        chosen.append(d)
        taken.append((lo, hi))
    return chosen


@dataclass(frozen=True)
class FixOutcome:
    text: str
    fixed: tuple[Diagnostic, ...]
    remaining: tuple[Diagnostic, ...]


def fix_text(
    text: str,
    lint: Callable[[str], Sequence[Diagnostic]],
    *,
    unsafe: bool,
) -> FixOutcome:
    """Fix, re-lint and fix again until nothing changes (at most ``MAX_ROUNDS`` rounds).

    A round whose combined result does not parse falls back to applying its fixes one at a
    time, keeping only those that leave valid code; a fix that breaks the code is never kept.
    """
    original_parses_cst = parses(text)
    fixed: list[Diagnostic] = []
    diagnostics = list(lint(text))
    for _ in range(MAX_ROUNDS):
        source = SourceText(text)
        candidates = _non_overlapping([d for d in diagnostics if fix_applies(d, unsafe)], source)
        if not candidates:
            break
        edits = [e for d in candidates for e in d.fix.edits]  # type: ignore[union-attr]
        new_text = apply_edits(text, edits)
        if parses(new_text, with_libcst=original_parses_cst):
            applied = candidates
        else:
            applied = []
            for d in candidates:
                attempt = apply_edits(text, d.fix.edits)  # type: ignore[union-attr]
                if parses(attempt, with_libcst=original_parses_cst):
                    # Apply it alone; the others are retried on the next round.
                    new_text, applied = attempt, [d]
                    break
            if not applied:
                break
        if new_text == text:
            break
        fixed.extend(applied)
        text = new_text
        diagnostics = list(lint(text))
    return FixOutcome(text, tuple(fixed), tuple(diagnostics))


# ----------------------------------------------------------------------------- writing


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_directory(directory: Path) -> None:
    if os.name != "posix":
        return  # NTFS journals metadata; a directory cannot be opened for fsync there
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:
        # Some file systems cannot sync a directory: that is "not supported", not a failure.
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, *, expected: bytes | None = None) -> None:
    """Replace ``path``'s content with ``data`` atomically and durably.

    ``expected`` is the content the fix was computed from: if the file changed since, nothing
    is written. Symlinks are followed, so the link stays a link. Raises FixWriteError.
    """
    real = Path(os.path.realpath(path))
    try:
        st = real.stat()
    except OSError as exc:
        raise FixWriteError(f"cannot stat {path}: {exc.strerror or exc}") from exc
    # os.access alone says yes to root for a file without any write bit; such a file was made
    # read-only on purpose, so it is left alone whoever runs the fixer.
    if not os.access(real, os.W_OK) or not st.st_mode & (
        stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
    ):
        raise FixWriteError(f"{path} is not writable; left unchanged")
    if expected is not None:
        try:
            current = real.read_bytes()
        except OSError as exc:
            raise FixWriteError(f"cannot re-read {path}: {exc.strerror or exc}") from exc
        if current != expected:
            raise FixWriteError(f"{path} changed on disk while it was being fixed; left unchanged")
    directory = real.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".iolint-tmp", dir=directory)
    except OSError as exc:
        raise FixWriteError(
            f"cannot create a temporary file beside {path}: {exc.strerror or exc}"
        ) from exc
    try:
        try:
            _write_all(fd, data)
            if hasattr(os, "fchmod"):
                os.fchmod(fd, stat.S_IMODE(st.st_mode))
            if hasattr(os, "fchown") and os.geteuid() == 0:
                os.fchown(fd, st.st_uid, st.st_gid)
            os.fsync(fd)
        finally:
            os.close(fd)
        if not hasattr(os, "fchmod"):
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
        os.replace(tmp, real)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise FixWriteError(
                f"cannot write {path}: {exc.strerror or exc}; left unchanged"
            ) from exc
        raise
    try:
        _fsync_directory(directory)
    except OSError as exc:
        raise FixWriteError(
            f"{path} was replaced but its directory could not be synced: {exc.strerror or exc}",
            replaced=True,
        ) from exc
