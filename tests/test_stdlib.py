"""Every ``.py`` file of the running Python's standard library, tests included, linted through
both front-ends in a subprocess, with every rule enabled: no traceback, no internal error, the
expected exit code, and findings that point inside their files.

About 1.7k files and 850k lines, among them files that cannot be parsed (lib2to3 test data,
bad-encoding samples): those are reported as parse errors, never as crashes. ``site-packages``
is left out (it is not the standard library), and ``.gitignore`` files above the interpreter
(pyenv ignores its ``versions/``) are not honoured, so that every file is really linted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from collections import Counter
from pathlib import Path

import pytest

from iolint.registry import all_rules

pytestmark = pytest.mark.slow

LIB = Path(sysconfig.get_paths()["stdlib"])
OPT_IN = ",".join(r.code for r in all_rules() if not r.default_enabled)
# Generous: a safety net against a hang, not a speed assertion (see benchmarks/ for speed).
TIMEOUT = 1800


def iolint_cmd() -> list[str]:
    """The ``iolint`` console script of this interpreter's environment (its real entry point),
    or ``python -m iolint`` when the script is not installed beside the interpreter."""
    script = Path(sys.executable).parent / "iolint"
    return [str(script)] if script.exists() else [sys.executable, "-m", "iolint"]


def stdlib_files() -> list[Path]:
    files = []
    for dirpath, dirnames, filenames in os.walk(LIB):
        dirnames[:] = sorted(d for d in dirnames if d != "site-packages")
        files.extend(Path(dirpath, f) for f in sorted(filenames) if f.endswith((".py", ".pyi")))
    return files


def check(*extra: str) -> subprocess.CompletedProcess[str]:
    args = [
        "check",
        "--no-cache",
        "--select",
        "IO",
        "--extend-select",
        OPT_IN,
        "--exclude",
        "site-packages",
        "--config",
        "respect-gitignore = false",
        *extra,
        str(LIB),
    ]
    return subprocess.run(
        [*iolint_cmd(), *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={**os.environ, "NO_COLOR": "1"},
    )


def assert_no_crash(stderr: str) -> list[str]:
    """Only parse-error lines may appear on stderr; returns them."""
    assert "Traceback" not in stderr, stderr[-5000:]
    assert "internal error" not in stderr, stderr[-5000:]
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    unexpected = [ln for ln in lines if not ln.startswith("error: Failed to parse ")]
    assert not unexpected, unexpected[:20]
    return lines


@pytest.fixture(scope="module")
def json_run() -> subprocess.CompletedProcess[str]:
    if not LIB.is_dir():
        pytest.skip(f"no standard library at {LIB}")
    return check("--output-format", "json", "--exit-zero")


def test_every_stdlib_file_is_discovered() -> None:
    expected = {str(p) for p in stdlib_files()}
    assert len(expected) > 1000
    r = check("--show-files")
    assert r.returncode == 0, r.stderr
    assert set(r.stdout.split("\n")) - {""} == expected


def test_cli_json_over_the_stdlib(json_run: subprocess.CompletedProcess[str]) -> None:
    assert json_run.returncode == 0, json_run.stderr[-5000:]
    parse_errors = assert_no_crash(json_run.stderr)
    # Files that cannot be parsed are named, and few: lib2to3's Python 2 data, bad encodings.
    assert len(parse_errors) < 40, parse_errors
    items = json.loads(json_run.stdout)
    assert items, "the standard library has findings (its tests write to pipes by hand)"
    codes = {r.code for r in all_rules()}
    lines_of: dict[str, list[str]] = {}
    for item in items:
        assert item["code"] in codes
        path = item["filename"]
        assert Path(path).is_relative_to(LIB), path
        if path not in lines_of:
            data = Path(path).read_bytes()
            lines_of[path] = data.decode("utf-8", errors="replace").splitlines()
        lines = lines_of[path]
        row, col = item["location"]["row"], item["location"]["column"]
        end_row, end_col = item["end_location"]["row"], item["end_location"]["column"]
        assert 1 <= row <= len(lines), item
        assert 1 <= col <= len(lines[row - 1]) + 1, item
        assert (row, col) <= (end_row, end_col), item
        assert item["noqa_row"] == row


def test_cli_text_over_the_stdlib(json_run: subprocess.CompletedProcess[str]) -> None:
    r = check()
    # Findings and no --exit-zero: exit 1 (parse errors alone do not change the exit code).
    assert r.returncode == 1, r.stderr[-5000:]
    assert_no_crash(r.stderr)
    findings = [ln for ln in r.stdout.splitlines() if ln.startswith(str(LIB))]
    assert len(findings) == len(json.loads(json_run.stdout))
    assert f"Found {len(findings)} error" in r.stdout


# flake8 with the iolint plugin as its only checker: ``--select`` alone only filters reports,
# and pyflakes and pycodestyle over 850k lines were more than half of this test's time. Plugin
# discovery is filtered as uninstalling them would (benchmarks/flake8_toggle.py does the same
# for iolint); flake8's own report plugins stay.
FLAKE8_IOLINT_ONLY = """
import sys
from flake8.main import cli
from flake8.plugins import finder

found = finder._find_importlib_plugins
finder._find_importlib_plugins = lambda: (
    p for p in found() if p.package not in ("pyflakes", "pycodestyle", "mccabe")
)
sys.exit(cli.main(sys.argv[1:]))
"""


def test_flake8_over_the_stdlib(json_run: subprocess.CompletedProcess[str]) -> None:
    """``flake8 --select IO``: the plugin must never abort the run, and it reports what the
    CLI reports (both front-ends share one engine)."""
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            FLAKE8_IOLINT_ONLY,
            "--isolated",
            "-j",
            "2",
            "--exit-zero",
            "--select",
            f"IO,{OPT_IN}",
            "--extend-exclude",
            "site-packages",
            str(LIB),
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert r.returncode == 0, (r.stdout[-3000:], r.stderr[-3000:])
    assert "Traceback" not in r.stderr, r.stderr[-5000:]
    assert "failed during execution" not in r.stdout + r.stderr
    by_flake8: Counter[tuple[str, int, str]] = Counter()
    for line in r.stdout.splitlines():
        path, row, _col, rest = line.split(":", 3)
        code = rest.split()[0]
        if code.startswith("IO"):
            by_flake8[(str(Path(path).resolve()), int(row), code)] += 1
    by_cli: Counter[tuple[str, int, str]] = Counter(
        (str(Path(i["filename"]).resolve()), i["location"]["row"], i["code"])
        for i in json.loads(json_run.stdout)
    )
    assert by_flake8 == by_cli, (
        f"flake8 only: {sorted((by_flake8 - by_cli).elements())[:20]}; "
        f"CLI only: {sorted((by_cli - by_flake8).elements())[:20]}"
    )
