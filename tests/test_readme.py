"""The README's examples are true: the bug tour reports what its comments say, and the fixed
code it shows is what ``--fix --unsafe-fixes`` produces."""

from __future__ import annotations

import re
from pathlib import Path

from helpers import lint

from iolint.engine import lint_text
from iolint.fix import fix_text
from iolint.registry import all_rules
from iolint.rules.base import RuleOptions

README = Path(__file__).resolve().parents[1] / "README.md"
HEADER = "import os\nimport socket\nimport struct\n\n"


def _blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## What it catches", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.DOTALL)


def test_bug_tour_reports_what_the_comments_say() -> None:
    before = HEADER + _blocks()[0]
    expected = {
        (n, m.group(1))
        for n, line in enumerate(before.splitlines(), 1)
        for m in [re.search(r"# (IO\d{3}):", line)]
        if m
    }
    found = {(d.start.line, d.code) for d in lint(before)}
    assert expected and found == expected


def test_fixed_code_is_what_the_fixer_writes() -> None:
    before, after = HEADER + _blocks()[0], _blocks()[1]
    rules = [r() for r in all_rules() if r.default_enabled]

    def relint(text: str):  # type: ignore[no-untyped-def]
        return lint_text(text, "readme.py", rules, RuleOptions()).diagnostics

    outcome = fix_text(before, relint, unsafe=True)
    fixed = re.sub(r"#.*", "", outcome.text)
    fixed = "\n".join(line.rstrip() for line in fixed.splitlines())
    for function in after.strip().split("\n\n"):
        assert function.strip() in fixed, function
