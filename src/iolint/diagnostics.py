"""The data every rule produces and every front-end consumes."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Applicability(str, enum.Enum):
    """How a fix may be applied, with ruff's meaning.

    ``SAFE`` keeps the program's intent and is applied by ``--fix``; ``UNSAFE`` may change
    runtime behaviour and needs ``--unsafe-fixes``; ``DISPLAY_ONLY`` is advice that is shown but
    never applied.
    """

    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"


@dataclass(frozen=True, order=True)
class Position:
    """A place in a source text: 1-based line, 0-based column counted in characters."""

    line: int
    column: int


@dataclass(frozen=True)
class Edit:
    """Replace the text between ``start`` and ``end`` with ``content``."""

    start: Position
    end: Position
    content: str


@dataclass(frozen=True)
class Fix:
    message: str
    applicability: Applicability
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class Diagnostic:
    code: str
    name: str
    message: str
    start: Position
    end: Position
    fix: Fix | None = None
    # The rule's default severity, used by SARIF, GitHub and GitLab output.
    severity: str = field(default="warning", compare=False)

    def sort_key(self) -> tuple[int, int, str]:
        return (self.start.line, self.start.column, self.code)


def fix_applies(d: Diagnostic, unsafe: bool) -> bool:
    """Whether ``--fix`` applies this diagnostic's fix: safe fixes always, unsafe ones with
    ``--unsafe-fixes``, display-only advice never."""
    if d.fix is None or not d.fix.edits:
        return False
    if d.fix.applicability is Applicability.SAFE:
        return True
    return unsafe and d.fix.applicability is Applicability.UNSAFE


@dataclass(frozen=True)
class ParseError:
    """A file iolint could not analyze (syntax error, undecodable bytes, NUL bytes)."""

    message: str
    line: int = 1
    column: int = 0
