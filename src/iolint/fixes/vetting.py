"""Checks a fix must pass before the fixer keeps it, beyond "the result parses".

* **Line length**: a line the fix writes may not be longer than the project's limit (unless
  the line it replaces already was).
* **Its own linter**: the fixed text may not gain a finding inside the code the fix wrote (an
  fsync inserted under ``except OSError: pass`` would make IO401 fire), nor a finding anywhere
  that no fix of the next round can remove.
* **pyflakes**: the fixed text may not gain a pyflakes message (an import left unused, a name
  the fix uses but nothing defines).
"""

from __future__ import annotations

import ast
import bisect
import importlib
import re
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from iolint.diagnostics import Diagnostic, Edit
from iolint.model.source import SourceText

_NEWLINE = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Placed:
    """One edit's place in the old text and, once applied, in the new text (offsets)."""

    old_start: int
    old_end: int
    new_start: int
    new_end: int
    owner: int  # index of the fix (in the round's list) the edit belongs to


def apply_tracked(text: str, fixes: Sequence[Sequence[Edit]]) -> tuple[str, list[Placed]]:
    """Apply the (non-overlapping) edits of several fixes; say where each edit landed."""
    source = SourceText(text)
    spans = sorted(
        (source.offset(e.start), source.offset(e.end), e.content, i)
        for i, edits in enumerate(fixes)
        for e in edits
    )
    parts: list[str] = []
    placed: list[Placed] = []
    cursor = 0
    length = 0
    for start, end, content, owner in spans:
        parts.append(text[cursor:start])
        length += start - cursor
        placed.append(Placed(start, end, length, length + len(content), owner))
        parts.append(content)
        length += len(content)
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts), placed


def lines_made_too_long(source: SourceText, edits: Sequence[Edit], limit: int) -> bool:
    """Whether ``edits`` (one fix) write a line longer than ``limit`` where the lines they
    replace were within it (a line already too long, by a comment say, is not the fix's
    doing). Only the lines the edits touch are looked at."""
    for e in edits:
        first, last = source.line(e.start.line), source.line(e.end.line)
        before = max(len(source.line(n).expandtabs()) for n in range(e.start.line, e.end.line + 1))
        written = first[: e.start.column] + e.content + last[e.end.column :]
        after = max(len(line.expandtabs()) for line in _NEWLINE.split(written))
        if before <= limit < after:
            return True
    return False


class _Places:
    """Finds which edit an offset falls in, by bisection over the edits' spans."""

    def __init__(self, placed: Sequence[Placed]) -> None:
        self.placed = placed
        self.old_starts = [p.old_start for p in placed]
        self.new_starts = [p.new_start for p in placed]

    def key(self, d: Diagnostic, source: SourceText, *, new: bool) -> tuple[str, str, int]:
        """Where ``d`` is, comparable between the old and the new text: inside edit ``i``
        (the text it replaced, or the text it wrote), or at an offset of the new text."""
        offset = source.offset(d.start)
        starts = self.new_starts if new else self.old_starts
        i = bisect.bisect_right(starts, offset) - 1
        if i < 0:
            return (d.code, "at", offset)
        p = self.placed[i]
        lo, hi = (p.new_start, p.new_end) if new else (p.old_start, p.old_end)
        if lo <= offset < hi:
            return (d.code, "edit", i)
        # Past edit i: an old offset moves by everything edits up to i inserted or removed.
        return (d.code, "at", offset if new else offset + p.new_end - p.old_end)

    def nearest(self, offset: int) -> int:
        i = bisect.bisect_right(self.new_starts, offset)
        near = [p for p in self.placed[max(i - 1, 0) : i + 1]]
        best = min(near, key=lambda p: min(abs(offset - p.new_start), abs(offset - p.new_end)))
        return best.owner


def gained_findings(
    old_text: str,
    old: Sequence[Diagnostic],
    new_text: str,
    new: Sequence[Diagnostic],
    placed: Sequence[Placed],
    owner_codes: Sequence[str],
    follows: set[int],
) -> dict[int, list[Diagnostic]]:
    """New findings of the fixed text, per fix (index into ``owner_codes``) to blame.

    ``follows`` holds indexes of ``new`` whose own fix the next round applies (the directory
    fsync IO303 asks for once IO302's fsync is in): follow-on changes that the report counts,
    not regressions, unless the rule of the fix itself fires again inside the code it wrote
    (a fix that is not stable under its own rule). Any other new finding is blamed on the
    fix that wrote it, or on the nearest fix. Notes (severity ``note``: a platform refinement
    such as IO308's ``F_FULLFSYNC`` on macOS, not a defect) are not blamed.
    """
    old_source, new_source = SourceText(old_text), SourceText(new_text)
    places = _Places(placed)
    before = Counter(places.key(d, old_source, new=False) for d in old)
    blamed: dict[int, list[Diagnostic]] = {}
    seen: Counter[tuple[str, str, int]] = Counter()
    for index, d in enumerate(new):
        key = places.key(d, new_source, new=True)
        seen[key] += 1
        if seen[key] <= before[key] or d.severity == "note":
            continue
        inside = key[1] == "edit"
        owner = placed[key[2]].owner if inside else places.nearest(new_source.offset(d.start))
        if index in follows and not (inside and owner_codes[owner] == d.code):
            continue
        blamed.setdefault(owner, []).append(d)
    return blamed


# ----------------------------------------------------------------- pyflakes


@dataclass(frozen=True)
class FlakesMessage:
    """One pyflakes message: its kind and arguments (what texts are compared by), its line,
    and the identifiers its arguments spell (the names it is about)."""

    kind: str
    args: str
    line: int
    words: frozenset[str]


_WORD = re.compile(r"[A-Za-z_]\w*")


def pyflakes_report(text: str) -> list[FlakesMessage] | None:
    """pyflakes' messages on ``text``; None when pyflakes is unavailable or the text does
    not parse."""
    try:
        # Through importlib: pyflakes ships no type information.
        checker_module = importlib.import_module("pyflakes.checker")
    except ImportError:  # pragma: no cover - flake8, a dependency, brings pyflakes
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    checker = checker_module.Checker(tree, filename="<iolint-fix>")
    return [
        FlakesMessage(
            type(m).__name__,
            repr(m.message_args),
            m.lineno,
            frozenset(w for a in m.message_args if isinstance(a, str) for w in _WORD.findall(a)),
        )
        for m in checker.messages
    ]


def pyflakes_messages(text: str) -> Counter[tuple[str, str]] | None:
    """pyflakes' findings as (kind, argument) pairs, positions left out so that texts with
    shifted lines compare; None when pyflakes is unavailable or the text does not parse."""
    report = pyflakes_report(text)
    return None if report is None else _counted(report)


def _counted(report: Sequence[FlakesMessage]) -> Counter[tuple[str, str]]:
    return Counter((m.kind, m.args) for m in report)


def _edited(before: str, after: str, placed: Sequence[Placed]) -> tuple[set[int], set[str]]:
    """The lines of ``after`` the edits wrote (with the line on either side), and every
    identifier the edits removed from ``before`` or wrote into ``after``."""
    lines: set[int] = set()
    words: set[str] = set()
    for p in placed:
        first = after.count("\n", 0, p.new_start) + 1
        last = first + after.count("\n", p.new_start, p.new_end)
        lines.update(range(first - 1, last + 2))
        words.update(_WORD.findall(before, p.old_start, p.old_end))
        words.update(_WORD.findall(after, p.new_start, p.new_end))
    return lines, words


@dataclass
class PyflakesMemo:
    """pyflakes' messages per text, each text checked at most once, and only when a
    comparison needs it: a fix round compares its fixed text with the one before, the next
    round starts from that fixed text, and a round that fixes nothing compares nothing."""

    _reports: dict[str, list[FlakesMessage] | None] = field(default_factory=dict)

    def report(self, text: str) -> list[FlakesMessage] | None:
        if text not in self._reports:
            self._reports[text] = pyflakes_report(text)
        return self._reports[text]

    def gains(
        self, before_text: str, after_text: str, placed: Sequence[Placed] | None = None
    ) -> bool:
        """``after_text`` has a pyflakes message that ``before_text`` has not.

        With the edits' places, ``before_text`` is checked only when ``after_text`` has a
        message the edits could have caused: on a line they wrote, or about a name they
        removed or wrote. pyflakes' messages are about names and the code at their line, so
        any other message is about code and bindings the edits left as they were: it was
        there before (perhaps with a line number in its arguments that the edits shifted,
        which the comparison by arguments would take for a new one)."""
        after = self.report(after_text)
        if after is None:
            return False
        if placed is not None:
            lines, words = _edited(before_text, after_text, placed)
            if not any(m.line in lines or m.words & words for m in after):
                return False
        before = self.report(before_text)
        if before is None:
            return False
        return bool(_counted(after) - _counted(before))
