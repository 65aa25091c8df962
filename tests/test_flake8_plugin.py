"""The flake8 plugin, exercised through a real ``flake8`` subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import expected_markers

FIXTURES = Path(__file__).parent / "fixtures"


def flake8(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
    )


def findings(out: str) -> set[tuple[int, str]]:
    result = set()
    for line in out.splitlines():
        parts = line.split(":", 3)
        if len(parts) == 4 and parts[3].strip().startswith("IO"):
            result.add((int(parts[1]), parts[3].split()[0]))
    return result


def test_plugin_is_registered(tmp_path: Path) -> None:
    r = flake8("--version", cwd=tmp_path)
    assert "iolint" in r.stdout


@pytest.mark.parametrize("name", ["IO101.py"])
def test_fixture_findings_match_markers(name: str) -> None:
    path = FIXTURES / name
    r = flake8("--select", "IO", "--isolated", str(path), cwd=FIXTURES)
    assert "Traceback" not in r.stderr, r.stderr
    code = name[:5]
    expected = {m for m in expected_markers(path.read_text()) if m[1] == code}
    assert {f for f in findings(r.stdout) if f[1] == code} == expected


def test_all_fixtures_agree_with_the_cli(tmp_path: Path) -> None:
    """flake8 and ``iolint check`` report the same (line, code) pairs on every fixture, with
    each tool's default selection (opt-in rules off in both)."""
    files = sorted(str(p) for p in FIXTURES.glob("IO*.py"))
    r = flake8("--isolated", *files, cwd=FIXTURES)
    assert "Traceback" not in r.stderr, r.stderr
    by_flake8 = set()
    for line in r.stdout.splitlines():
        path, row, _col, rest = line.split(":", 3)
        if rest.split()[0].startswith("IO"):
            by_flake8.add((Path(path).name, int(row), rest.split()[0]))
    cli = subprocess.run(
        [sys.executable, "-m", "iolint", "check", "--exit-zero", "--output-format", "json", *files],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    by_cli = {
        (Path(i["filename"]).name, i["location"]["row"], i["code"]) for i in json.loads(cli.stdout)
    }
    assert by_flake8 == by_cli


def test_noqa_and_columns(tmp_path: Path) -> None:
    src = tmp_path / "m.py"
    src.write_text(
        textwrap.dedent(
            """\
            import os
            def f(fd, d):
                os.write(fd, d)
                os.write(fd, d)  # noqa: IO101
                os.write(fd, d)  # noqa
            """
        )
    )
    r = flake8("--select", "IO", "--isolated", "m.py", cwd=tmp_path)
    lines = r.stdout.splitlines()
    assert len(lines) == 1
    # flake8 prints 1-based columns: the call starts at column 5
    assert lines[0].startswith("m.py:3:5: IO101 ")


def _nul_is_value_error() -> bool:
    try:
        compile("\0", "<nul>", "exec")
    except ValueError:
        return True
    except SyntaxError:
        return False
    return False


def test_unparsable_file_does_not_crash_flake8(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("import os\ndef f(:\n    os.write(1, b'ab')\n")
    (tmp_path / "good.py").write_text("import os\ndef f(fd, d):\n    os.write(fd, d)\n")
    # Before Python 3.11.4 compile() raises ValueError (not SyntaxError) on NUL bytes, and
    # flake8 itself dies on such a file before any plugin runs: leave the NUL out there.
    nul = b"" if _nul_is_value_error() else b"\x00"
    (tmp_path / "binary.py").write_bytes(nul + b"\xff\xfe os.write\n")
    r = flake8("--isolated", ".", cwd=tmp_path)
    assert "Traceback" not in r.stderr, r.stderr
    assert "good.py:3:5: IO101" in r.stdout
    assert "E999" in r.stdout  # flake8 itself reports the syntax error


def test_target_version_option(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("import os\ndef f(fd, d):\n    os.write(fd, d)\n")
    r = flake8("--select", "IO", "--iolint-target-version", "py38", "m.py", cwd=tmp_path)
    assert r.returncode == 1 and "IO101" in r.stdout
    bad = flake8("--select", "IO", "--iolint-target-version", "banana", "m.py", cwd=tmp_path)
    assert bad.returncode != 0
    assert "iolint-target-version" in bad.stderr and "Traceback" not in bad.stderr
    (tmp_path / "setup.cfg").write_text("[flake8]\niolint-save-functions = (unclosed\n")
    bad = flake8("--select", "IO", "m.py", cwd=tmp_path)
    assert bad.returncode != 0
    assert "iolint-save-functions" in bad.stderr and "Traceback" not in bad.stderr


def test_opt_in_rules(tmp_path: Path) -> None:
    """Opt-in rules are off by default and on with --extend-select, as in the CLI; an explicit
    ``--select IO`` turns them on too, because flake8 lets an explicit selection override
    default ignores."""
    (tmp_path / "m.py").write_text("import os\ndef f(fd):\n    os.fsync(fd)\n")
    opt_in = [
        line
        for line in flake8("--isolated", "m.py", cwd=tmp_path).stdout.splitlines()
        if "IO308" in line
    ]
    assert opt_in == []
    on = flake8("--isolated", "--extend-select", "IO308", "m.py", cwd=tmp_path).stdout
    assert "m.py:3:5: IO308" in on
