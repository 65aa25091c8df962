"""The CLI through its real entry point (``iolint`` / ``python -m iolint``) in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

BUGGY = textwrap.dedent(
    """\
    import os
    import socket


    def send_all(data):
        s = socket.socket()
        s.send(data)


    def at_eof(fd):
        if os.read(fd, 1) == 0:
            return True
        return False


    def copy(fd, data):
        os.write(fd, data)


    def pump(fd, out):
        while True:
            chunk = os.read(fd, 1024)
            out.append(chunk)
    """
)
CLEAN = textwrap.dedent(
    """\
    import os


    def copy(fd, data):
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    """
)


def iolint(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("iolint")
    cmd = [exe] if exe else [sys.executable, "-m", "iolint"]
    return subprocess.run(
        [*cmd, *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "buggy.py").write_text(BUGGY)
    (tmp_path / "clean.py").write_text(CLEAN)
    return tmp_path


def test_concise_output_and_exit_code(project: Path) -> None:
    r = iolint("check", ".", cwd=project)
    assert r.returncode == 1, r.stderr
    lines = [line for line in r.stdout.splitlines() if line.startswith("buggy.py:")]
    found = {(line.split(":")[1], line.split()[1]) for line in lines}
    assert found == {("7", "IO102"), ("11", "IO105"), ("17", "IO101"), ("22", "IO104")}
    # columns are 1-based, like ruff
    assert "buggy.py:7:5: IO102 [*] " in r.stdout
    assert "Found 4 errors." in r.stdout
    assert "clean.py" not in r.stdout


def test_default_command_is_check(project: Path) -> None:
    r = iolint("buggy.py", cwd=project)
    assert r.returncode == 1
    assert "IO102" in r.stdout


def test_clean_file_exits_zero(project: Path) -> None:
    r = iolint("check", "clean.py", cwd=project)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "All checks passed!" in r.stdout


def test_exit_zero(project: Path) -> None:
    r = iolint("check", "--exit-zero", ".", cwd=project)
    assert r.returncode == 0
    assert "IO101" in r.stdout


def test_select_and_ignore(project: Path) -> None:
    r = iolint("check", "--select", "IO10", "--ignore", "IO101,IO104", ".", cwd=project)
    codes = {line.split()[1] for line in r.stdout.splitlines() if line.startswith("buggy.py:")}
    assert codes == {"IO102", "IO105"}
    r = iolint("check", "--select", "IO101", ".", cwd=project)
    codes = {line.split()[1] for line in r.stdout.splitlines() if line.startswith("buggy.py:")}
    assert codes == {"IO101"}


def test_unknown_code_is_a_usage_error(project: Path) -> None:
    r = iolint("check", "--select", "XX999", ".", cwd=project)
    assert r.returncode == 2
    assert "XX999" in r.stderr


def test_json_output_follows_ruff_schema(project: Path) -> None:
    r = iolint("check", "--output-format", "json", "buggy.py", cwd=project)
    assert r.returncode == 1
    items = json.loads(r.stdout)
    assert {i["code"] for i in items} == {"IO101", "IO102", "IO104", "IO105"}
    for item in items:
        assert set(item) >= {
            "code",
            "message",
            "filename",
            "location",
            "end_location",
            "fix",
            "url",
            "noqa_row",
        }
        assert os.path.isabs(item["filename"])
        assert item["location"]["row"] == item["noqa_row"]
    send = next(i for i in items if i["code"] == "IO102")
    assert send["location"] == {"row": 7, "column": 5}
    assert send["fix"]["applicability"] == "safe"
    assert send["fix"]["edits"][0]["content"] == "sendall"


def test_full_output_shows_frame_and_fix(project: Path) -> None:
    r = iolint("check", "--output-format", "full", "buggy.py", cwd=project)
    assert "7 |     s.send(data)" in r.stdout
    assert "^^^^^^^^^^^^ IO102" in r.stdout
    assert "+    s.sendall(data)" in r.stdout


def test_fix_applies_safe_fixes_only(project: Path) -> None:
    r = iolint("check", "--fix", "buggy.py", cwd=project)
    text = (project / "buggy.py").read_text()
    assert "s.sendall(data)" in text
    assert "if not os.read(fd, 1):" in text
    assert "os.write(fd, data)" in text  # unsafe: not applied without --unsafe-fixes
    assert "Found 4 errors (2 fixed, 2 remaining)." in r.stdout
    assert r.returncode == 1


def test_fix_unsafe_then_idempotent(project: Path) -> None:
    r = iolint("check", "--fix", "--unsafe-fixes", "buggy.py", cwd=project)
    assert r.returncode == 0, r.stdout + r.stderr
    first = (project / "buggy.py").read_text()
    compile(first, "buggy.py", "exec")
    r2 = iolint("check", "--fix", "--unsafe-fixes", "buggy.py", cwd=project)
    assert r2.returncode == 0
    assert (project / "buggy.py").read_text() == first
    r3 = iolint("check", "buggy.py", cwd=project)
    assert r3.returncode == 0, r3.stdout


def test_fix_keeps_file_mode(project: Path) -> None:
    target = project / "buggy.py"
    target.chmod(0o640)
    iolint("check", "--fix", "buggy.py", cwd=project)
    assert (target.stat().st_mode & 0o777) == 0o640
    assert not [p for p in project.iterdir() if p.name.startswith(".buggy.py.")]


def test_diff_does_not_write(project: Path) -> None:
    before = (project / "buggy.py").read_text()
    r = iolint("check", "--diff", "buggy.py", cwd=project)
    assert r.returncode == 1
    assert "-    s.send(data)" in r.stdout and "+    s.sendall(data)" in r.stdout
    assert (project / "buggy.py").read_text() == before


def test_stdin(project: Path) -> None:
    r = iolint("check", "--stdin-filename", "x.py", "-", cwd=project, stdin=BUGGY)
    assert r.returncode == 1
    assert "x.py:7:5: IO102" in r.stdout


def test_stdin_fix_prints_fixed_code(project: Path) -> None:
    r = iolint("check", "--fix", "-", cwd=project, stdin=BUGGY)
    assert "s.sendall(data)" in r.stdout
    compile(r.stdout, "<stdin>", "exec")


def test_syntax_error_and_binary_file_do_not_stop_the_run(project: Path) -> None:
    # Files without any word a rule looks for are not parsed at all (speed), so the broken
    # file mentions os.write to be analyzed.
    (project / "broken.py").write_text("import os\ndef f(:\n    os.write(1, b'ab')\n")
    (project / "binary.py").write_bytes(b"\x00\x01\x02\xff\xfe import os\n")
    (project / "latin.py").write_bytes(b"x = '\xe9'\n")  # not UTF-8, no cookie
    r = iolint("check", ".", cwd=project)
    assert "Traceback" not in r.stderr
    assert r.returncode == 1
    assert "buggy.py:7:5: IO102" in r.stdout
    assert "Failed to parse broken.py:2:" in r.stderr
    assert "binary.py" in r.stderr and "latin.py" in r.stderr
    r2 = iolint("check", "--exit-non-zero-on-parse-error", "clean.py", "broken.py", cwd=project)
    assert r2.returncode == 2


def test_noqa(project: Path) -> None:
    (project / "noqa.py").write_text(
        "import os\n"
        "def f(fd, d):\n"
        "    os.write(fd, d)  # noqa: IO101\n"
        "    os.write(fd, d)  # noqa: IO1\n"
        "    os.write(fd, d)  # noqa\n"
        "    os.write(fd, d)  # noqa: E501\n"
        "    s = '# noqa'; os.write(fd, d)\n"
    )
    r = iolint("check", "noqa.py", cwd=project)
    rows = [line.split(":")[1] for line in r.stdout.splitlines() if line.startswith("noqa.py:")]
    assert rows == ["6", "7"]


def test_file_level_noqa(project: Path) -> None:
    (project / "skip.py").write_text("# flake8: noqa\nimport os\nos.write(1, b'ab')\n")
    r = iolint("check", "skip.py", cwd=project)
    assert r.returncode == 0


def test_gitignore_and_excludes(project: Path) -> None:
    (project / ".gitignore").write_text("generated/\n")
    (project / "generated").mkdir()
    (project / "generated" / "g.py").write_text(BUGGY)
    (project / ".venv").mkdir()
    (project / ".venv" / "v.py").write_text(BUGGY)
    (project / "sub").mkdir()
    (project / "sub" / "s.py").write_text(BUGGY)
    r = iolint("check", ".", cwd=project)
    assert "generated" not in r.stdout and ".venv" not in r.stdout
    assert "sub/s.py:7:5" in r.stdout


def test_config_in_pyproject(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.iolint]\nignore = ["IO104"]\n')
    r = iolint("check", "buggy.py", cwd=project)
    assert "IO104" not in r.stdout and "IO101" in r.stdout


def test_bad_config_names_key_and_file(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.iolint]\nselcet = ["IO1"]\n')
    r = iolint("check", "buggy.py", cwd=project)
    assert r.returncode == 2
    assert "selcet" in r.stderr and "pyproject.toml" in r.stderr
    (project / "pyproject.toml").write_text('[tool.iolint]\ntarget-version = "python3"\n')
    r = iolint("check", "buggy.py", cwd=project)
    assert r.returncode == 2
    assert "target-version" in r.stderr


def test_rule_command_prints_page(project: Path) -> None:
    r = iolint("rule", "IO101", cwd=project)
    assert r.returncode == 0
    assert r.stdout.startswith("# IO101 unchecked-write-count")
    assert "## Why is this bad?" in r.stdout
    r = iolint("rule", "IO999", cwd=project)
    assert r.returncode == 2


def test_bundled_example_has_findings() -> None:
    repo = Path(__file__).resolve().parents[1]
    r = iolint("check", "examples/io_bugs.py", cwd=repo)
    assert r.returncode == 1
    codes = {line.split()[1] for line in r.stdout.splitlines() if line.startswith("examples/")}
    assert {"IO101", "IO102", "IO103", "IO104", "IO105"} <= codes


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs mkfifo")
def test_fifo_named_py_does_not_hang_a_directory_walk(project: Path) -> None:
    os.mkfifo(project / "pipe.py")
    r = iolint("check", ".", cwd=project)  # the helper's timeout turns a hang into a failure
    assert "buggy.py:7:5: IO102" in r.stdout
    assert "pipe.py" not in r.stdout + r.stderr
