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
from dataclasses import dataclass, replace
from pathlib import Path

from iolint.diagnostics import Applicability, Diagnostic, Edit, fix_applies
from iolint.fixes.style import DEFAULT_LINE_LENGTH, join_fitting_brackets
from iolint.fixes.vetting import (
    PyflakesMemo,
    apply_tracked,
    gained_findings,
    lines_made_too_long,
)
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
    # Findings whose fix was refused (too long a line, a new finding, a pyflakes message):
    # their fixes are display-only in ``remaining``.
    rejected: tuple[Diagnostic, ...] = ()
    refused: frozenset[tuple[str, str, int, str]] = frozenset()


def _identity(d: Diagnostic, source: SourceText) -> tuple[str, str, int, str]:
    """A fix recognised across rounds, whose line the edits of other fixes may move: its
    rule, its message, and the text and column of the line it is on (not what it writes:
    the fixer lays that out anew)."""
    assert d.fix is not None
    return (d.code, source.line(d.start.line), d.start.column, d.fix.message)


def refused_in(outcome: FixOutcome, text: str) -> Callable[[Diagnostic], bool]:
    """A test for findings of ``text`` (the text fixing started from) whose fix the fixer
    refused in ``outcome``."""
    source = SourceText(text)

    def refused(d: Diagnostic) -> bool:
        return d.fix is not None and _identity(d, source) in outcome.refused

    return refused


def demoted(d: Diagnostic) -> Diagnostic:
    """``d`` with its fix turned into advice that ``--fix`` does not apply."""
    if d.fix is None or d.fix.applicability is Applicability.DISPLAY_ONLY:
        return d
    return replace(d, fix=replace(d.fix, applicability=Applicability.DISPLAY_ONLY))


def fix_text(
    text: str,
    lint: Callable[[str], Sequence[Diagnostic]],
    *,
    unsafe: bool,
    line_length: int = DEFAULT_LINE_LENGTH,
    check_cst: bool = True,
    findings: Sequence[Diagnostic] | None = None,
) -> FixOutcome:
    """Fix, re-lint and fix again until nothing changes (at most ``MAX_ROUNDS`` rounds).

    ``check_cst=False`` skips the libcst parse of each result (``ast.parse`` still runs): the
    lint report's fix plan uses it, because importing and running libcst on every file with a
    fixable finding doubled lint-only runs; the text ``--fix`` writes is always checked.
    ``findings`` are ``lint(text)`` when the caller has just computed them (the report and
    ``--fix`` have): the first round starts from them instead of linting the text again.

    A fix is kept only when the text it gives parses, has no line longer than
    ``line_length`` that the fix wrote, gains no finding of iolint that the next round does
    not fix (and none of the fix's own rule inside the code it wrote), and gains no pyflakes
    message. A refused fix is not tried again; the others of its round still apply.
    """
    original_parses_cst = check_cst and parses(text)
    fixed: list[Diagnostic] = []
    rejected: list[Diagnostic] = []
    refused: set[tuple[str, str, int, str]] = set()
    diagnostics = list(lint(text) if findings is None else findings)
    flakes = PyflakesMemo()

    source = SourceText(text)

    def refuse(d: Diagnostic) -> None:
        rejected.append(d)
        refused.add(_identity(d, source))

    for _ in range(MAX_ROUNDS):
        source = SourceText(text)
        pool = [
            d for d in diagnostics if fix_applies(d, unsafe) and _identity(d, source) not in refused
        ]
        candidates = []
        for d in _non_overlapping(pool, source):
            d = _in_black_layout(d, source, line_length)
            if lines_made_too_long(source, d.fix.edits, line_length):  # type: ignore[union-attr]
                refuse(d)
            else:
                candidates.append(d)
        round_result = _vet_round(
            text, diagnostics, candidates, lint, unsafe, flakes, refuse, original_parses_cst
        )
        if round_result is None:
            if any(_identity(d, source) not in refused for d in pool):
                continue  # only refusals this round: the fixes they overlapped get their turn
            break
        new_text, applied, diagnostics = round_result
        fixed.extend(applied)
        text = new_text
    source = SourceText(text)
    remaining = tuple(
        demoted(d) if d.fix is not None and _identity(d, source) in refused else d
        for d in diagnostics
    )
    return FixOutcome(text, tuple(fixed), remaining, tuple(rejected), frozenset(refused))


def _in_black_layout(d: Diagnostic, source: SourceText, line_length: int) -> Diagnostic:
    """``d`` with the code its fix writes laid out as black would (brackets joined where the
    line fits), so that a file that passed ``black --check`` still does."""
    assert d.fix is not None
    edits = []
    for e in d.fix.edits:
        prefix = len(source.line(e.start.line)[: e.start.column].expandtabs())
        suffix = len(source.line(e.end.line)[e.end.column :])
        edits.append(
            replace(e, content=join_fitting_brackets(e.content, prefix, suffix, line_length))
        )
    if all(a.content == b.content for a, b in zip(edits, d.fix.edits)):
        return d
    return replace(d, fix=replace(d.fix, edits=tuple(edits)))


def _vet_round(
    text: str,
    diagnostics: list[Diagnostic],
    candidates: list[Diagnostic],
    lint: Callable[[str], Sequence[Diagnostic]],
    unsafe: bool,
    flakes: PyflakesMemo,
    refuse: Callable[[Diagnostic], None],
    with_libcst: bool,
) -> tuple[str, list[Diagnostic], list[Diagnostic]] | None:
    """Apply the round's fixes together, dropping the ones the fixed text blames, until the
    rest pass: (new text, fixes applied, its diagnostics), or None when none is left."""
    while candidates:
        new_text, placed = apply_tracked(
            text,
            [d.fix.edits for d in candidates],  # type: ignore[union-attr]
        )
        if new_text == text:
            return None
        if not parses(new_text, with_libcst=with_libcst):
            # Find the fixes that break the code; if each parses alone, only not together,
            # keep the first and let the rest wait a round.
            alone = [
                d
                for d in candidates
                if parses(apply_edits(text, d.fix.edits), with_libcst=with_libcst)  # type: ignore[union-attr]
            ]
            for d in candidates:
                if d not in alone:
                    refuse(d)
            candidates = alone[:1] if len(alone) == len(candidates) else alone
            continue
        new_diagnostics = list(lint(new_text))
        follows = {i for i, d in enumerate(new_diagnostics) if fix_applies(d, unsafe)}
        blamed = gained_findings(
            text,
            diagnostics,
            new_text,
            new_diagnostics,
            placed,
            [d.code for d in candidates],
            follows,
        )
        bad = set(blamed)
        if not bad and flakes.gains(text, new_text, placed):
            bad = {
                i
                for i, d in enumerate(candidates)
                if flakes.gains(text, *apply_tracked(text, [d.fix.edits]))  # type: ignore[union-attr]
            } or set(range(len(candidates)))
        if not bad:
            return new_text, candidates, new_diagnostics
        for i in sorted(bad):
            refuse(candidates[i])
        candidates = [d for i, d in enumerate(candidates) if i not in bad]
    return None


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
