"""``iolint rule`` and the generated rules index (``rules/README.md``)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from iolint.cli import main
from iolint.docs import page_text
from iolint.docs_index import COMMAND, render_index
from iolint.docs_index import main as index_main
from iolint.registry import all_rules

ROOT = Path(__file__).parents[1]
INDEX = ROOT / "rules" / "README.md"
CODES = [r.code for r in all_rules()]


def rule(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["rule", *args])
    out, err = capsys.readouterr()
    return code, out, err


# ----------------------------------------------------------------------------- iolint rule


def test_rule_prints_the_page(capsys: pytest.CaptureFixture[str]) -> None:
    for code in CODES:
        status, out, _ = rule(capsys, code)
        assert status == 0
        text = page_text(code)
        if text is not None:
            assert out == text
        assert out.startswith(f"# {code} ")
    # By name and in lower case, as ruff accepts.
    first = all_rules()[0]
    assert rule(capsys, first.name)[1] == rule(capsys, first.code.lower())[1]


def test_rule_all_prints_every_page_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = rule(capsys, "--all")
    assert status == 0
    titles = re.findall(r"^# (IO\d{3}) ", out, re.MULTILINE)
    assert titles == CODES
    for r in all_rules():
        assert r.name in out


def test_rule_all_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = rule(capsys, "--all", "--output-format", "json")
    assert status == 0
    items = json.loads(out)
    assert [i["code"] for i in items] == CODES
    for item, r in zip(items, all_rules()):
        assert item["name"] == r.name
        assert item["summary"] == r.summary
        assert item["fix"] == (r.fix_applicability.value if r.fix_applicability else None)
        assert item["default_enabled"] is r.default_enabled
        assert item["severity"] == r.severity
        assert item["explanation"] == page_text(r.code)
    # One code: one object, the same as its entry in --all.
    status, out, _ = rule(capsys, CODES[0], "--output-format", "json")
    assert json.loads(out) == items[0]


@pytest.mark.parametrize("args", [(), ("IO999",), ("no-such-rule",), ("--output-format", "xml")])
def test_rule_usage_errors(args: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = rule(capsys, *args)
    assert status == 2
    assert out == ""
    assert "error" in err


def test_rule_command_through_the_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "iolint", "rule", "--all", "--output-format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert [i["code"] for i in json.loads(result.stdout)] == CODES


# ----------------------------------------------------------------------------- rules/README.md


def test_rules_index_is_up_to_date() -> None:
    current = INDEX.read_text(encoding="utf-8") if INDEX.is_file() else ""
    assert current == render_index(), (
        f"rules/README.md is out of date with the rule registry; regenerate it with "
        f"`{COMMAND}` (from the repository root) and commit the result"
    )


def test_rules_index_table() -> None:
    rows = [
        [c.strip() for c in line.strip("|").split(" | ")]
        for line in render_index().splitlines()
        if line.startswith("| [IO")
    ]
    assert [row[0] for row in rows] == [f"[{c}]({c}.md)" for c in CODES]
    for row, r in zip(rows, all_rules()):
        assert len(row) == 6, row
        _, name, summary, fix, severity, default = row
        assert name == f"`{r.name}`"
        assert summary == " ".join(r.summary.split()).replace("|", "\\|")
        expected_fix = {None: "", "safe": "safe", "unsafe": "unsafe", "display-only": "suggestion"}
        assert fix == expected_fix[r.fix_applicability.value if r.fix_applicability else None]
        assert severity == r.severity
        assert default == ("on" if r.default_enabled else "off")
        # Every link leads to a page.
        assert (ROOT / "rules" / f"{r.code}.md").is_file()


def test_rules_index_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "README.md"
    assert index_main(["--check", "--output", str(target)]) == 1
    assert COMMAND in capsys.readouterr().err
    assert index_main(["--output", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == render_index()
    assert index_main(["--check", "--output", str(target)]) == 0
    target.write_text("stale\n", encoding="utf-8")
    assert index_main(["--check", "--output", str(target)]) == 1
    assert target.read_text(encoding="utf-8") == "stale\n"  # --check never writes
    assert index_main(["--output", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == render_index()
