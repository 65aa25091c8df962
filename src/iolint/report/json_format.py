"""JSON output in ruff's schema, so tools that read ``ruff check --output-format json`` read
ours: ``code``, ``message``, ``filename``, ``location``/``end_location`` (1-based row and
column), ``fix`` (``applicability``, ``message``, ``edits``), ``url``, ``noqa_row``."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from iolint.diagnostics import Diagnostic, Position
from iolint.report import ReportOptions
from iolint.runner import FileResult

DOCS_URL = None  # no published docs site yet; `iolint rule CODE` prints the page


def _loc(p: Position) -> dict[str, int]:
    return {"column": p.column + 1, "row": p.line}


def diagnostic_json(path: str, d: Diagnostic) -> dict[str, Any]:
    fix = None
    if d.fix is not None:
        fix = {
            "applicability": d.fix.applicability.value,
            "edits": [
                {"content": e.content, "end_location": _loc(e.end), "location": _loc(e.start)}
                for e in d.fix.edits
            ],
            "message": d.fix.message,
        }
    return {
        "cell": None,
        "code": d.code,
        "end_location": _loc(d.end),
        "filename": os.path.abspath(path) if path != "-" else path,
        "fix": fix,
        "location": _loc(d.start),
        "message": d.message,
        "noqa_row": d.start.line,
        "url": DOCS_URL,
    }


def render_json(results: Sequence[FileResult], opts: ReportOptions) -> str:
    items = [diagnostic_json(r.path, d) for r in results for d in r.diagnostics]
    return json.dumps(items, indent=2) + "\n"
