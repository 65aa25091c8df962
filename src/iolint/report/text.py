"""The human formats: ``concise`` (one clickable line per finding) and ``full`` (a code frame
and the fix shown as a diff)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from iolint.diagnostics import Diagnostic, fix_applies
from iolint.report import ReportOptions
from iolint.report.common import column
from iolint.runner import FileResult


def _line(path: str, d: Diagnostic, unsafe: bool) -> str:
    marker = "[*] " if fix_applies(d, unsafe) else ""
    return f"{path}:{d.start.line}:{column(d.start.column)}: {d.code} {marker}{d.message}"


def render_concise(results: Sequence[FileResult], opts: ReportOptions) -> str:
    out = []
    for r in results:
        for d in r.diagnostics:
            out.append(_line(r.path, d, opts.unsafe_fixes))
    return "\n".join(out) + ("\n" if out else "")


def _frame(source: str, d: Diagnostic) -> list[str]:
    lines = source.splitlines()
    first, last = d.start.line, max(d.end.line, d.start.line)
    last = min(last, first + 4, len(lines))
    width = len(str(last))
    gutter = " " * width + " |"
    out = [gutter]
    for n in range(first, last + 1):
        text = lines[n - 1] if n - 1 < len(lines) else ""
        out.append(f"{n:>{width}} | {text}")
        if n == first:
            end_col = d.end.column if d.end.line == first else len(text)
            carets = "^" * max(end_col - d.start.column, 1)
            out.append(f"{gutter} {' ' * d.start.column}{carets} {d.code}")
    out.append(gutter)
    return out


def _fix_diff(source: str, d: Diagnostic, path: str) -> list[str]:
    # Imported here: iolint.fix brings the fix modules, which a report without fix diffs
    # (the concise format, every warm run) does not need.
    from iolint.fix import apply_edits

    assert d.fix is not None
    fixed = apply_edits(source, d.fix.edits)
    diff = difflib.unified_diff(
        source.splitlines(), fixed.splitlines(), fromfile=path, tofile=path, lineterm="", n=1
    )
    return ["    " + line for line in list(diff)[2:]]


def render_full(results: Sequence[FileResult], opts: ReportOptions) -> str:
    out: list[str] = []
    for r in results:
        for d in r.diagnostics:
            out.append(_line(r.path, d, opts.unsafe_fixes))
            if r.source is not None:
                out.extend(_frame(r.source, d))
            if d.fix is not None:
                label = {"safe": "Safe fix", "unsafe": "Unsafe fix", "display-only": "Suggestion"}[
                    d.fix.applicability.value
                ]
                out.append(f"  = help: {d.fix.message} ({label.lower()})")
                if d.fix.edits and r.source is not None:
                    out.extend(_fix_diff(r.source, d, r.path))
            out.append("")
    return "\n".join(out) + ("\n" if out and out[-1] != "" else "")
