"""Fixture files: each ``tests/fixtures/IOxxx*.py`` marks the findings it expects inline.

For a fixture named after a code (``IO101.py``, ``IO101_sockets.py``), every finding of that code
must be marked and every marker must be found; lines without a marker are the "must NOT
trigger" cases. ``# expect: IO306`` marks a finding of the default mode (and of strict mode);
``# strict: IO306`` marks one that only strict mode reports (a defect that is harmless in its
context: a cache, a temp directory, POSIX-only code).

Fixtures are linted under their bare file name, as ordinary project modules: their directory
(``tests/``) would otherwise make every one of them test code.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import STRICT, expected_markers, lint

from iolint.registry import all_rules
from iolint.rules.base import RuleOptions

FIXTURES = Path(__file__).parent / "fixtures"
FILES = sorted(FIXTURES.glob("IO[0-9][0-9][0-9]*.py"))


def _code(path: Path) -> str:
    m = re.match(r"(IO\d{3})", path.name)
    assert m
    return m.group(1)


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_fixture(path: Path, strict: bool) -> None:
    code = _code(path)
    text = path.read_text(encoding="utf-8")
    expected = {m for m in expected_markers(text) if m[1] == code}
    strict_only = {m for m in expected_markers(text, STRICT) if m[1] == code}
    assert not expected & strict_only, "a line is marked both expect and strict"
    if strict:
        expected |= strict_only
    options = RuleOptions(strict=strict)
    found = {(d.start.line, d.code) for d in lint(text, [code], options, path=path.name)}
    assert found == expected, (
        f"missing: {sorted(expected - found)}; unexpected: {sorted(found - expected)}"
    )


def test_every_rule_has_a_fixture_with_positives_and_negatives() -> None:
    for rule in all_rules():
        files = [p for p in FILES if _code(p) == rule.code]
        assert files, f"{rule.code} has no fixture in tests/fixtures"
        text = "".join(p.read_text(encoding="utf-8") for p in files)
        assert any(c == rule.code for _, c in expected_markers(text)), f"{rule.code}: no positive"
