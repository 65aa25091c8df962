"""Pieces shared by the output formats."""

from __future__ import annotations

from iolint.diagnostics import Applicability, Diagnostic


def fix_marker(d: Diagnostic, unsafe_fixes: bool) -> bool:
    """Whether ``--fix`` would apply this diagnostic's fix under the current settings."""
    if d.fix is None or not d.fix.edits:
        return False
    if d.fix.applicability is Applicability.SAFE:
        return True
    return unsafe_fixes and d.fix.applicability is Applicability.UNSAFE


def column(d_col: int) -> int:
    """CLI columns are 1-based, like ruff's."""
    return d_col + 1
