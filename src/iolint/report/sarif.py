"""SARIF 2.1.0 output, for GitHub code scanning and other SARIF viewers.

One run with the rule metadata of every rule enabled in this run (name, descriptions and help
from the ``rules/IOxxx.md`` pages, default level from the rule's severity), one result per
finding, and the fixes as SARIF ``fixes``. Files that could not be analyzed are reported as
tool execution notifications, not as results.

Paths are relative to the working directory (``%SRCROOT%``) when the file lies below it, as
code scanning expects; columns count Unicode code points, as the rest of iolint does.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from iolint import __version__
from iolint.diagnostics import Diagnostic, Edit, Fix, Position
from iolint.docs import load_page, page_text
from iolint.registry import all_rules
from iolint.report import ReportOptions
from iolint.report.common import fingerprints, level, relative_path
from iolint.rules.base import Rule
from iolint.runner import FileResult

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "iolint/v1"


def _dir_uri(path: str) -> str:
    uri = Path(os.path.abspath(path)).as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _artifact_location(path: str, cwd: str) -> dict[str, str]:
    rel = relative_path(path, cwd)
    if rel == "-":
        return {"uri": "stdin"}
    if os.path.isabs(rel):
        return {"uri": Path(rel).as_uri()}
    return {"uri": urllib.parse.quote(rel), "uriBaseId": SRCROOT}


def _region(start: Position, end: Position) -> dict[str, int]:
    # SARIF columns are 1-based and the end column is the one just after the region, which is
    # our 0-based exclusive end plus one.
    return {
        "startLine": start.line,
        "startColumn": start.column + 1,
        "endLine": end.line,
        "endColumn": end.column + 1,
    }


def _message(text: str, markdown: str | None = None) -> dict[str, str]:
    out = {"text": text}
    if markdown is not None:
        out["markdown"] = markdown
    return out


def _without_title(text: str) -> str:
    lines = text.splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    return "\n".join(lines).strip() + "\n"


def rule_descriptor(rule: type[Rule]) -> dict[str, Any]:
    """The ``reportingDescriptor`` of one rule, its texts taken from its docs page.

    There is no published docs site yet, so there is no ``helpUri``: the page itself is the
    ``help`` (``iolint rule CODE`` prints the same text).
    """
    descriptor: dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": _message(rule.summary),
    }
    page = load_page(rule.code)
    text = page_text(rule.code)
    what = page.sections.get("What it does", "").strip() if page is not None else ""
    if what:
        descriptor["fullDescription"] = _message(what, what)
    if text is not None:
        body = _without_title(text)
        descriptor["help"] = _message(body, body)
    else:
        descriptor["help"] = _message(rule.summary)
    configuration: dict[str, Any] = {"level": level(rule.severity)}
    if not rule.default_enabled:
        configuration["enabled"] = False
    descriptor["defaultConfiguration"] = configuration
    properties: dict[str, Any] = {}
    if rule.fix_applicability is not None:
        properties["fix"] = rule.fix_applicability.value
    if properties:
        descriptor["properties"] = properties
    return descriptor


def _replacement(edit: Edit) -> dict[str, Any]:
    return {
        "deletedRegion": _region(edit.start, edit.end),
        "insertedContent": {"text": edit.content},
    }


def _fix(fix: Fix, location: dict[str, str]) -> dict[str, Any]:
    return {
        "description": _message(fix.message),
        "artifactChanges": [
            {
                "artifactLocation": location,
                "replacements": [_replacement(e) for e in fix.edits],
            }
        ],
        # SARIF has no notion of fix safety; consumers that apply fixes should read this.
        "properties": {"applicability": fix.applicability.value},
    }


def _result(
    d: Diagnostic, location: dict[str, str], rule_index: int | None, fingerprint: str
) -> dict[str, Any]:
    result: dict[str, Any] = {"ruleId": d.code}
    if rule_index is not None:
        result["ruleIndex"] = rule_index
    result["level"] = level(d.severity)
    result["message"] = _message(d.message)
    result["locations"] = [
        {
            "physicalLocation": {
                "artifactLocation": location,
                "region": _region(d.start, d.end),
            }
        }
    ]
    result["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint}
    if d.fix is not None and d.fix.edits:
        result["fixes"] = [_fix(d.fix, location)]
    return result


def _rules_for_run(
    codes: frozenset[str] | None, found: Iterable[str]
) -> tuple[list[type[Rule]], list[str]]:
    """The registered rules of the run (and codes found that are not registered, which a
    third-party rule module could produce)."""
    wanted = set(found)
    if codes is not None:
        wanted |= codes
    registered = {r.code: r for r in all_rules()}
    rules = [r for r in all_rules() if codes is None or r.code in wanted]
    unknown = sorted(c for c in wanted if c not in registered)
    return rules, unknown


def build_sarif(
    results: Sequence[FileResult], opts: ReportOptions, cwd: str | None = None
) -> dict[str, Any]:
    cwd = cwd if cwd is not None else os.getcwd()
    rules, unknown = _rules_for_run(
        opts.rule_codes, (d.code for r in results for d in r.diagnostics)
    )
    descriptors = [rule_descriptor(r) for r in rules]
    descriptors += [{"id": c, "shortDescription": _message(c)} for c in unknown]
    index = {d["id"]: i for i, d in enumerate(descriptors)}

    sarif_results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for r in results:
        location = _artifact_location(r.path, cwd)
        prints = fingerprints(location["uri"], r.diagnostics, r.source)
        for d, fp in zip(r.diagnostics, prints):
            sarif_results.append(_result(d, location, index.get(d.code), fp))
        if r.parse_error is not None:
            pe = r.parse_error
            region = {"startLine": max(pe.line, 1), "startColumn": pe.column + 1}
            notifications.append(
                {
                    "level": "error",
                    "message": _message(f"Failed to parse {r.path}: {pe.message}"),
                    "locations": [
                        {"physicalLocation": {"artifactLocation": location, "region": region}}
                    ],
                }
            )
        for msg in (*r.internal_errors, *((r.write_error,) if r.write_error else ())):
            notifications.append({"level": "error", "message": _message(msg)})

    invocation: dict[str, Any] = {
        "executionSuccessful": not any(r.internal_errors or r.write_error for r in results)
    }
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "iolint",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": descriptors,
            }
        },
        "originalUriBaseIds": {SRCROOT: {"uri": _dir_uri(cwd)}},
        "columnKind": "unicodeCodePoints",
        "invocations": [invocation],
        "results": sarif_results,
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render_sarif(results: Sequence[FileResult], opts: ReportOptions) -> str:
    return json.dumps(build_sarif(results, opts), indent=2) + "\n"
