"""Adding ``# noqa`` directives: the edit that silences codes on one line (the editor's "Disable
IOxxx for this line") and ``iolint check --add-noqa`` over a whole file.

A directive goes where :mod:`iolint.noqa` (and flake8) look for it: the line of the finding, or
the last line of a run joined by a multi-line string or a backslash. It merges with the comment
already there: codes are added to an existing ``# noqa: ...``, a bare ``# noqa`` is left alone,
and another comment (``# type: ignore``, an explanation) stays first with the directive after
it. Nothing but comments changes.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from iolint.diagnostics import Diagnostic, Edit, Position
from iolint.model.source import SourceText
from iolint.noqa import _FILE, _INLINE, CommentLayout, Suppression, _codes

# How flake8 spells a directive up to its codes (its own pattern, case-insensitive).
_FLAKE8_PREFIX = re.compile(r"# noqa:\s?", re.IGNORECASE)


def noqa_edit(
    line: int, codes: Iterable[str], source: SourceText, layout: CommentLayout
) -> Edit | None:
    """The edit that silences ``codes`` for findings reported on ``line``, or None when the
    comment there already does."""
    wanted = sorted(set(codes))
    target = layout.target(line)
    existing = layout.comments.get(target)
    if existing is not None:
        column, comment = existing
        offset = 0
        fm = _FILE.search(comment)
        if fm is not None:
            # A file-level directive is not a line directive; one may follow it.
            offset = fm.end()
        m = _INLINE.search(comment, offset)
        if m is not None:
            if not m.group("codes"):
                return None  # a bare noqa comment already silences every code
            present = Suppression(_codes(m.group("codes")))
            missing = [c for c in wanted if not present.covers(c)]
            if not missing:
                return None
            added = "".join(f", {c}" for c in missing)
            if _FLAKE8_PREFIX.fullmatch(comment, m.start(), m.start("codes")):
                at = Position(target, column + m.end("codes"))
                return Edit(at, at, added)
            # A directive with no space (or two) after the hash silences iolint and ruff but
            # not flake8, which wants exactly one: respell it flake8's way as the codes go in.
            start = Position(target, column + m.start())
            end = Position(target, column + m.end("codes"))
            return Edit(start, end, f"# noqa: {m.group('codes')}{added}")
    if not wanted:
        return None
    text = source.line(target)
    kept = len(text.rstrip())
    return Edit(
        Position(target, kept), Position(target, len(text)), f"  # noqa: {', '.join(wanted)}"
    )


@dataclass(frozen=True)
class NoqaAdded:
    text: str
    directives: int  # lines whose comment was added or extended


def add_noqa(text: str, diagnostics: Sequence[Diagnostic]) -> NoqaAdded | None:
    """``text`` with a directive for every finding (one per comment line), or None when the
    text does not tokenize (no safe place for a comment can be found)."""
    if not diagnostics:
        return NoqaAdded(text, 0)
    layout = CommentLayout.build(text)
    if layout is None:
        return None
    by_target: dict[int, set[str]] = defaultdict(set)
    for d in diagnostics:
        by_target[layout.target(d.start.line)].add(d.code)
    source = SourceText(text)
    edits = [
        e
        for line, codes in sorted(by_target.items())
        if (e := noqa_edit(line, codes, source, layout)) is not None
    ]
    if not edits:
        return NoqaAdded(text, 0)
    # Imported here: iolint.fix is the fixer's module (and its libcst check) that a lint-only
    # run does not load.
    from iolint.fix import apply_edits

    return NoqaAdded(apply_edits(text, edits), len(edits))
