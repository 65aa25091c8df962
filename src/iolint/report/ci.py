"""Formats read by CI systems: GitHub Actions workflow commands and GitLab Code Quality.

Both use paths relative to the checkout, which is where CI runs the linter: the working
directory for GitHub, ``$CI_PROJECT_DIR`` (falling back to the working directory) for GitLab.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from typing import Any

from iolint.report import ReportOptions
from iolint.report.common import column, fingerprints, level, relative_path
from iolint.runner import FileResult

# ----------------------------------------------------------------------------- GitHub

_GITHUB_COMMAND = {"error": "error", "warning": "warning", "note": "notice"}


def escape_data(text: str) -> str:
    """Escape a workflow command's message, as GitHub's actions/toolkit does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value: also ``:`` and ``,``, which separate
    the command from its message and the properties from each other."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github_command(kind: str, properties: dict[str, object], message: str) -> str:
    props = ",".join(f"{k}={escape_property(str(v))}" for k, v in properties.items())
    return f"::{kind} {props}::{escape_data(message)}"


def render_github(results: Sequence[FileResult], opts: ReportOptions) -> str:
    """One ``::error``/``::warning``/``::notice`` command per finding, which GitHub shows as
    an annotation on the line of the pull request's diff."""
    out = []
    for r in results:
        path = relative_path(r.path)
        for d in r.diagnostics:
            props: dict[str, object] = {
                "file": path,
                "line": d.start.line,
                "col": column(d.start.column),
                "endLine": d.end.line,
                "endColumn": column(d.end.column),
                "title": d.code,
            }
            out.append(_github_command(_GITHUB_COMMAND[level(d.severity)], props, d.message))
        if r.parse_error is not None:
            pe = r.parse_error
            props = {"file": path, "line": pe.line, "col": pe.column + 1, "title": "iolint"}
            out.append(_github_command("error", props, f"Failed to parse: {pe.message}"))
    return "\n".join(out) + ("\n" if out else "")


# ----------------------------------------------------------------------------- GitLab

# GitLab's scale is info < minor < major < critical < blocker. A finding that loses data or
# crashes (error) is critical; blocker is left to the project's own policy.
GITLAB_SEVERITY = {"error": "critical", "warning": "major", "note": "minor"}


def _gitlab_root() -> str:
    return os.environ.get("CI_PROJECT_DIR") or os.getcwd()


def gitlab_issues(results: Sequence[FileResult], root: str | None = None) -> list[dict[str, Any]]:
    base = root if root is not None else _gitlab_root()
    issues: list[dict[str, Any]] = []
    for r in results:
        path = relative_path(r.path, base)
        prints = fingerprints(path, r.diagnostics, r.source)
        for d, fp in zip(r.diagnostics, prints):
            issues.append(
                {
                    "type": "issue",
                    "check_name": d.code,
                    "description": f"{d.code}: {d.message}",
                    "fingerprint": fp,
                    "severity": GITLAB_SEVERITY[level(d.severity)],
                    "location": {
                        "path": path,
                        "lines": {"begin": d.start.line, "end": d.end.line},
                    },
                }
            )
        if r.parse_error is not None:
            pe = r.parse_error
            issues.append(
                {
                    "type": "issue",
                    "check_name": "iolint-parse-error",
                    "description": f"Failed to parse: {pe.message}",
                    "fingerprint": _parse_error_fingerprint(path, pe.message),
                    "severity": "major",
                    "location": {"path": path, "lines": {"begin": max(pe.line, 1)}},
                }
            )
    return issues


def _parse_error_fingerprint(path: str, message: str) -> str:
    return hashlib.sha256(f"{path}\0parse-error\0{message}".encode()).hexdigest()


def render_gitlab(results: Sequence[FileResult], opts: ReportOptions) -> str:
    """A GitLab Code Quality report: a JSON array of issues."""
    return json.dumps(gitlab_issues(results), indent=2) + "\n"
