"""Pieces shared by the output formats."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path

from iolint.diagnostics import Diagnostic


def column(d_col: int) -> int:
    """CLI columns are 1-based, like ruff's."""
    return d_col + 1


LEVELS = ("error", "warning", "note")


def level(severity: str) -> str:
    """The rule's severity as a SARIF/GitHub level; an unknown value counts as a warning."""
    return severity if severity in LEVELS else "warning"


def relative_path(path: str, base: str | None = None) -> str:
    """``path`` as a POSIX path relative to ``base`` (default: the working directory) when it
    lies below it, else absolute; ``-`` (standard input) stays as it is. CI systems resolve
    paths against the checkout, which is where the linter runs."""
    if path == "-":
        return path
    absolute = os.path.abspath(path)
    root = os.path.abspath(base if base is not None else os.getcwd())
    try:
        rel = os.path.relpath(absolute, root)
    except ValueError:  # another drive on Windows
        return Path(absolute).as_posix()
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return Path(absolute).as_posix()
    return Path(rel).as_posix()


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def source_lines(source: str | None) -> list[str]:
    """``source`` split into lines as Python's tokenizer does (not on form feeds etc.)."""
    return _LINE_BREAK.split(source) if source is not None else []


def fingerprints(path: str, diagnostics: Sequence[Diagnostic], source: str | None) -> list[str]:
    """A stable identity per finding for CI systems that track findings across commits.

    It hashes the path, the code and the offending line's text without its indentation, not
    the line number, so an edit elsewhere in the file does not make a finding look new. Equal
    findings (the same code on identical lines) are told apart by their order in the file.
    """
    lines = source_lines(source) if diagnostics else []
    seen: dict[str, int] = {}
    out = []
    for d in diagnostics:
        n_line = d.start.line
        text = lines[n_line - 1].strip() if 0 < n_line <= len(lines) else d.message
        key = "\0".join((path, d.code, text))
        n = seen.get(key, 0)
        seen[key] = n + 1
        out.append(hashlib.sha256(f"{key}\0{n}".encode()).hexdigest())
    return out
