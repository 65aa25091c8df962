"""What the tracer found, and its conversion to iolint's diagnostics and output formats."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from iolint.diagnostics import Diagnostic, Position
from iolint.trace.sites import Site

if TYPE_CHECKING:
    # Imported when findings are rendered: the linter's modules are not needed to trace.
    from iolint.runner import FileResult


@dataclass(frozen=True)
class TraceFinding:
    """A rule violation observed at run time: the rule's code, what happened, and where."""

    code: str
    message: str
    site: Site
    # The test (pytest node id) or command during which it happened.
    context: str = ""
    # "fact" (observed as it happened) or "crash" (a crash state that recovery rejected).
    kind: str = "fact"

    def key(self) -> tuple[str, str, int, str]:
        return (self.code, self.site.path, self.site.line, self.kind)

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, object]) -> TraceFinding:
        site = data["site"]
        assert isinstance(site, dict)
        return cls(
            code=str(data["code"]),
            message=str(data["message"]),
            site=Site(
                str(site["path"]),
                int(site["line"]),
                str(site["function"]),
                str(site.get("via", "")),
            ),
            context=str(data.get("context", "")),
            kind=str(data.get("kind", "fact")),
        )


def unique(findings: Iterable[TraceFinding]) -> list[TraceFinding]:
    """One finding per code and call site (the first seen), in file and line order: a bug
    that several tests hit is one bug."""
    seen: dict[tuple[str, str, int, str], TraceFinding] = {}
    for f in findings:
        seen.setdefault(f.key(), f)
    return sorted(seen.values(), key=lambda f: (f.site.path, f.site.line, f.code, f.kind))


def to_diagnostic(f: TraceFinding) -> Diagnostic:
    from iolint.registry import rule_by_code

    rule = rule_by_code(f.code)
    message = f.message
    if f.site.via:
        message += f"; called from {f.site.via}"
    if f.context:
        message += f" (in {f.context})"
    pos = Position(f.site.line, 0)
    return Diagnostic(
        code=f.code,
        name=rule.name if rule is not None else f.code,
        message=message,
        start=pos,
        end=pos,
        severity=rule.severity if rule is not None else "warning",
    )


def file_results(findings: Sequence[TraceFinding]) -> list[FileResult]:
    """The findings grouped per file as the report renderers take them."""
    from iolint.runner import FileResult

    by_path: dict[str, list[Diagnostic]] = {}
    for f in unique(findings):
        by_path.setdefault(f.site.path, []).append(to_diagnostic(f))
    out = []
    for path in sorted(by_path):
        source = None
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                source = fh.read()
        except OSError:
            pass
        display = os.path.relpath(path) if not os.path.relpath(path).startswith("..") else path
        out.append(FileResult(display, tuple(by_path[path]), source=source))
    return out


def render(findings: Sequence[TraceFinding], output_format: str) -> str:
    """The findings in one of iolint's output formats (``concise``, ``full``, ``json``, ...)."""
    from iolint.report import ReportOptions, renderer

    results = file_results(findings)
    return renderer(output_format)(results, ReportOptions())
