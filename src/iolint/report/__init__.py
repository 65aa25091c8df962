"""Output formats. Each renderer takes the file results and returns the text to print."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from iolint.runner import FileResult


@dataclass(frozen=True)
class ReportOptions:
    unsafe_fixes: bool = False
    show_fixes: bool = False
    # The codes enabled for this run (for the rule metadata of SARIF); ``None``: every rule.
    rule_codes: frozenset[str] | None = None


Renderer = Callable[[Sequence[FileResult], ReportOptions], str]


def renderer(name: str) -> Renderer:
    if name == "concise":
        from iolint.report.text import render_concise

        return render_concise
    if name == "full":
        from iolint.report.text import render_full

        return render_full
    if name == "json":
        from iolint.report.json_format import render_json

        return render_json
    if name == "sarif":
        from iolint.report.sarif import render_sarif

        return render_sarif
    if name == "github":
        from iolint.report.ci import render_github

        return render_github
    if name == "gitlab":
        from iolint.report.ci import render_gitlab

        return render_gitlab
    raise ValueError(f"unknown output format {name!r}")
