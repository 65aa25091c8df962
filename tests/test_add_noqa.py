"""``iolint check --add-noqa`` through the real entry point, checked by iolint and by flake8."""

from __future__ import annotations

import ast
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from iolint.engine import lint_text
from iolint.registry import all_rules
from iolint.rules.base import RuleOptions

FIXTURES = Path(__file__).parent / "fixtures"

BEFORE = textwrap.dedent(
    '''\
    import os
    import socket


    def relay(fd, data):
        sock = socket.socket()
        os.write(fd, data)
        os.write(fd, data)  # noqa: E501
        os.write(fd, data)  # type: ignore[arg-type]
        os.write(fd, data)  # noqa
        sock.send(data); os.write(fd, data)
        os.write(fd, b"""header
    %s""" % data)
        os.write(fd, \\
                 data)


    def make():
        return socket.socket()
    '''
)
AFTER = textwrap.dedent(
    '''\
    import os
    import socket


    def relay(fd, data):
        sock = socket.socket()
        os.write(fd, data)  # noqa: IO101
        os.write(fd, data)  # noqa: E501, IO101
        os.write(fd, data)  # type: ignore[arg-type]  # noqa: IO101
        os.write(fd, data)  # noqa
        sock.send(data); os.write(fd, data)  # noqa: IO101, IO102
        os.write(fd, b"""header
    %s""" % data)  # noqa: IO101
        os.write(fd, \\
                 data)  # noqa: IO101


    def make():
        return socket.socket()
    '''
)


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("iolint")
    cmd = [exe] if exe else [sys.executable, "-m", "iolint"]
    return subprocess.run(
        [*cmd, *args], cwd=cwd, capture_output=True, text=True, timeout=180, check=False
    )


def flake8(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_adds_merges_and_leaves_code_alone(tmp_path: Path) -> None:
    path = tmp_path / "relay.py"
    path.write_text(BEFORE)
    before = run("check", "--no-cache", "relay.py", cwd=tmp_path)
    assert before.returncode == 1
    # Seven findings on six lines (the line with a bare directive is already silent).
    assert len([ln for ln in before.stdout.splitlines() if ln.startswith("relay.py:")]) == 7

    r = run("check", "--add-noqa", "relay.py", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Added 6 noqa directives in 1 file." in r.stderr
    assert r.stdout == ""
    assert path.read_text() == AFTER
    assert ast.dump(ast.parse(BEFORE)) == ast.dump(ast.parse(AFTER))

    again = run("check", "--no-cache", "relay.py", cwd=tmp_path)
    assert again.returncode == 0, again.stdout
    assert "All checks passed!" in again.stdout
    f8 = flake8("--select", "IO", "relay.py", cwd=tmp_path)
    assert f8.returncode == 0 and f8.stdout == "", f8.stdout
    # On the original, flake8 reports what iolint reported: the directives are what silence it.
    (tmp_path / "orig.py").write_text(BEFORE)
    assert flake8("--select", "IO", "orig.py", cwd=tmp_path).stdout.count(": IO10") == 7


def test_second_run_adds_nothing(tmp_path: Path) -> None:
    path = tmp_path / "relay.py"
    path.write_text(BEFORE)
    assert run("check", "--add-noqa", ".", cwd=tmp_path).returncode == 0
    r = run("check", "--add-noqa", ".", cwd=tmp_path)
    assert r.returncode == 0
    assert "Added 0 noqa directives in 0 files." in r.stderr
    assert path.read_text() == AFTER


def test_every_fixture_is_silenced_for_iolint_and_flake8(tmp_path: Path) -> None:
    """The rule fixtures: every finding of every rule (opt-in ones included), with markers in
    comments, multi-line calls and strings; after --add-noqa nothing is reported by either
    front-end and every module is the same program."""
    names = sorted(p.name for p in FIXTURES.glob("*.py"))
    for name in names:
        shutil.copy(FIXTURES / name, tmp_path / name)
    select = ["--select", "IO"]
    opt_in = [r.code for r in all_rules() if not r.default_enabled]
    extend = ["--extend-select", ",".join(opt_in)] if opt_in else []
    before = run("check", "--no-cache", "--exit-zero", *select, *extend, ".", cwd=tmp_path)
    found = [ln for ln in before.stdout.splitlines() if ": IO" in ln]
    assert len(found) > 50
    r = run("check", "--add-noqa", *select, *extend, ".", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    files = len({ln.split(":")[0] for ln in found})
    assert f"in {files} files." in r.stderr
    after = run("check", "--no-cache", *select, *extend, ".", cwd=tmp_path)
    assert after.returncode == 0, after.stdout
    f8_select = ["--select", "IO", *(["--enable-extensions", ",".join(opt_in)] if opt_in else [])]
    f8 = flake8(*f8_select, *names, cwd=tmp_path)
    assert f8.stdout == "", f8.stdout
    for name in names:
        original = (FIXTURES / name).read_text()
        assert ast.dump(ast.parse(original)) == ast.dump(ast.parse((tmp_path / name).read_text()))


def test_keeps_mode_and_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "crlf.py"
    path.write_bytes(b"import os\r\ndef f(fd, d):\r\n    os.write(fd, d)\r\n")
    os.chmod(path, 0o640)
    assert run("check", "--add-noqa", "crlf.py", cwd=tmp_path).returncode == 0
    assert path.read_bytes() == (
        b"import os\r\ndef f(fd, d):\r\n    os.write(fd, d)  # noqa: IO101\r\n"
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".iolint-tmp")]


def test_read_only_file_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "ro.py"
    path.write_text("import os\ndef f(fd, d):\n    os.write(fd, d)\n")
    os.chmod(path, 0o444)
    r = run("check", "--add-noqa", "ro.py", cwd=tmp_path)
    assert r.returncode == 2
    assert "not writable" in r.stderr
    assert "Added 0 noqa directives in 0 files." in r.stderr
    assert path.read_text() == "import os\ndef f(fd, d):\n    os.write(fd, d)\n"


@pytest.mark.parametrize("extra", [["--fix"], ["--diff"], ["-"]])
def test_refuses_fix_diff_and_stdin(tmp_path: Path, extra: list[str]) -> None:
    (tmp_path / "m.py").write_text("import os\nos.write(1, b'ab')\n")
    paths = [] if extra == ["-"] else ["m.py"]
    r = run("check", "--add-noqa", *extra, *paths, cwd=tmp_path)
    assert r.returncode == 2
    assert "--add-noqa" in r.stderr
    assert (tmp_path / "m.py").read_text() == "import os\nos.write(1, b'ab')\n"


def _codes(text: str) -> list[tuple[int, str]]:
    rules = [r() for r in all_rules() if r.code == "IO101"]
    return [
        (d.start.line, d.code) for d in lint_text(text, "m.py", rules, RuleOptions()).diagnostics
    ]


def test_noqa_after_a_multiline_string_covers_the_statement() -> None:
    # What flake8 does: the lines joined by a multi-line string or a backslash share the
    # comment on their last line.
    text = 'import os\ndef f(fd, d):\n    os.write(fd, b"""a\n%s""" % d)  # noqa: IO101\n'
    assert _codes(text) == []
    text = "import os\ndef f(fd, d):\n    os.write(fd, \\\n             d)  # noqa: IO1\n"
    assert _codes(text) == []
    # A comment on the next statement covers nothing above it.
    text = 'import os\ndef f(fd, d):\n    os.write(fd, b"""a\n%s""" % d)\n    pass  # noqa\n'
    assert _codes(text) == [(3, "IO101")]
    # Brackets are not a run: flake8 checks each physical line of a call on its own.
    text = "import os\ndef f(fd, d):\n    os.write(\n        fd, d)  # noqa: IO101\n"
    assert _codes(text) == [(3, "IO101")]


def test_directive_flake8_cannot_read_is_respelled(tmp_path: Path) -> None:
    # No space after the hash: iolint and ruff read the codes, flake8 does not see a directive.
    text = "import os\ndef f(fd, d):\n    os.write(fd, d)  #NOQA:E501 long line\n"
    (tmp_path / "m.py").write_text(text)
    assert flake8("--select", "IO", "m.py", cwd=tmp_path).stdout.count("IO101") == 1
    assert run("check", "--add-noqa", "m.py", cwd=tmp_path).returncode == 0
    assert (tmp_path / "m.py").read_text() == text.replace("#NOQA:E501", "# noqa: E501, IO101")
    assert flake8("--select", "IO", "m.py", cwd=tmp_path).stdout == ""
    assert run("check", "--no-cache", "m.py", cwd=tmp_path).returncode == 0
