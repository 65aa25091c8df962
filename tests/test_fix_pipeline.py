"""The fix pipeline keeps the project's style and its own promises: generated lines within the
project's line length, a black-formatted file still black-formatted after ``--fix``, no fix
that iolint or pyflakes would flag on the fixed code, and a report that counts every change
``--fix`` makes (follow-on fixes included, refused fixes left out)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import black
import pytest
from helpers import lint

from iolint.config import Settings
from iolint.diagnostics import Applicability, Diagnostic, Edit, Fix, Position
from iolint.fix import fix_text
from iolint.fixes.style import join_fitting_brackets, line_length_for
from iolint.fixes.vetting import PyflakesMemo, apply_tracked, pyflakes_messages
from iolint.runner import process_path

FIXTURES = Path(__file__).parent / "fixtures"


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("iolint")
    cmd = [exe] if exe else [sys.executable, "-m", "iolint"]
    return subprocess.run([*cmd, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


# ----------------------------------------------------------------- the project's line length


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("pyproject.toml", "[tool.ruff]\nline-length = 100\n", 100),
        ("pyproject.toml", "[tool.black]\nline-length = 79\n", 79),
        ("pyproject.toml", "[tool.ruff]\nline-length = 120\n[tool.black]\nline-length = 79\n", 120),
        ("pyproject.toml", "[project]\nname = 'x'\n", 88),
        ("setup.cfg", "[flake8]\nmax-line-length = 99\n", 99),
        ("tox.ini", "[flake8]\nmax_line_length = 101  # wide\n", 101),
        (".flake8", "[flake8]\nmax-line-length = 110\n", 110),
        ("ruff.toml", "line-length = 95\n", 95),
        ("pyproject.toml", "[tool.black\nbroken", 88),
    ],
)
def test_line_length_is_read_where_the_tools_read_it(
    tmp_path: Path, name: str, content: str, expected: int
) -> None:
    project = tmp_path / "p"
    (project / "pkg").mkdir(parents=True)
    (project / name).write_text(content)
    assert line_length_for(project / "pkg" / "mod.py") == expected


def test_the_closest_setting_wins(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.black]\nline-length = 120\n")
    inner = tmp_path / "sub"
    inner.mkdir()
    (inner / "setup.cfg").write_text("[flake8]\nmax-line-length = 70\n")
    assert line_length_for(inner / "m.py") == 70
    assert line_length_for(tmp_path / "m.py") == 120


DEEP_WRITE = """\
import os


class Sink:
    def push(self, descriptor, payload_with_a_long_name):
        if payload_with_a_long_name:
            os.write(descriptor, payload_with_a_long_name)
"""


def test_a_fix_longer_than_the_limit_is_not_applied_nor_counted(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.black]\nline-length = 60\n")
    path = tmp_path / "sink.py"
    path.write_text(DEEP_WRITE)
    linted = process_path(path, Settings(), unsafe=True)
    (d,) = [d for d in linted.diagnostics if d.code == "IO101"]
    assert d.fix is not None and d.fix.applicability is Applicability.DISPLAY_ONLY
    assert linted.planned == ()
    fixed = process_path(path, Settings(), fix=True, unsafe=True)
    assert fixed.fixed == () and path.read_text() == DEEP_WRITE
    # With black's default limit the same fix fits and is applied.
    (tmp_path / "pyproject.toml").write_text("[tool.black]\nline-length = 88  \n")
    assert process_path(path, Settings(), fix=True, unsafe=True).fixed


# ----------------------------------------------------------------- black's layout


def test_a_hugged_bracket_that_fits_is_joined() -> None:
    content = "with open(p) as f:\n    json.dump(\n        obj, f, indent=2\n    )"
    assert join_fitting_brackets(content, 4, 0, 88) == (
        "with open(p) as f:\n    json.dump(obj, f, indent=2)"
    )
    # Not when it does not fit, when a magic trailing comma keeps it open, or with a comment.
    assert join_fitting_brackets(content, 4, 0, 25) == content
    trailing = content.replace("indent=2", "indent=2,")
    assert join_fitting_brackets(trailing, 4, 0, 88) == trailing
    commented = content.replace("indent=2", "indent=2  # why")
    assert join_fitting_brackets(commented, 4, 0, 88) == commented


BLACK_FORMATTED = """\
import json
import os
import socket


def create(path):
    fd = os.open(
        path,
        os.O_WRONLY | os.O_CREAT | os.O_EXCL,
    )
    os.close(fd)


def create_hugged(path_with_a_rather_long_name, other_flags_long):
    fd = os.open(
        path_with_a_rather_long_name, os.O_WRONLY | os.O_CREAT | other_flags_long
    )
    os.close(fd)


def create_short(path):
    return os.open(path, os.O_WRONLY | os.O_CREAT)


def save(path, obj):
    json.dump(obj, open(path, "w"))


def export(path, obj):
    json.dump(
        {"key": obj, "other": [1, 2, 3]}, open(path, "w"), indent=2, sort_keys=True
    )


def export_exploded(path, obj):
    json.dump(
        {"key": obj, "other": [1, 2, 3]},
        open(path, "w"),
        indent=2,
        sort_keys=True,
    )


def retry(fd, data):
    while True:
        try:
            return os.write(fd, data)
        except InterruptedError:
            continue


def dump(fd, payload):
    os.write(fd, payload)


def dump_raw(path, payload: bytes):
    f = open(path, "wb", buffering=0)
    f.write(payload)


def ship(addr, lines):
    sock = socket.create_connection(addr)
    for line in lines:
        sock.send(line)


def pump(fd, out):
    while True:
        data = os.read(fd, 4096)
        out.append(data)


def at_eof(fd):
    return os.read(fd, 1) == 0
"""


def test_the_corpus_is_black_formatted() -> None:
    assert black.format_str(BLACK_FORMATTED, mode=black.Mode()) == BLACK_FORMATTED


def _fix_everything(tmp_path: Path, source: str) -> tuple[str, subprocess.CompletedProcess[str]]:
    path = tmp_path / "mod.py"
    path.write_text(source)
    done = run_cli(
        "check",
        "--no-cache",
        "--fix",
        "--unsafe-fixes",
        "--extend-select",
        "IO204",
        "mod.py",
        cwd=tmp_path,
    )
    return path.read_text(), done


def test_a_black_formatted_file_stays_black_formatted(tmp_path: Path) -> None:
    fixed, done = _fix_everything(tmp_path, BLACK_FORMATTED)
    codes = {d.code for d in lint(BLACK_FORMATTED, None)}
    assert {"IO101", "IO102", "IO104", "IO105", "IO404", "IO502"} <= codes, done.stdout
    assert fixed != BLACK_FORMATTED
    assert "remaining" in done.stdout
    assert black.format_str(fixed, mode=black.Mode()) == fixed
    ruff = shutil.which("ruff")
    if ruff is not None:  # ruff is a dev dependency; the test extra runs without it
        check = subprocess.run(
            [ruff, "format", "--check", "--isolated", "-"],
            input=fixed,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert check.returncode == 0, check.stdout + check.stderr


# ----------------------------------------------------------------- its own linter


SWALLOWING = """\
import os


def flush(fd, data):
    try:
        os.write(fd, data)
    except OSError:
        pass
"""


def _with_extra_fix(extra: Edit, code: str = "IO999") -> object:
    """The real lint plus one made-up finding whose fix is ``extra``, offered until the text
    contains what the fix inserts: a stand-in for a fixer with a flaw."""

    def relint(text: str) -> Sequence[Diagnostic]:
        found = list(lint(text, None))
        if extra.content.strip() not in text:
            fix = Fix("made-up fix", Applicability.SAFE, (extra,))
            found.append(
                Diagnostic(code, "made-up", "made up", extra.start, extra.end, fix, "error")
            )
        return found

    return relint


def test_a_fix_that_its_own_linter_flags_is_refused() -> None:
    # fsync inside ``try: ... except OSError: pass``: IO401 would fire on the fixed code.
    insert = Edit(Position(6, 26), Position(6, 26), "\n        os.fsync(fd)")
    outcome = fix_text(SWALLOWING, _with_extra_fix(insert), unsafe=False)  # type: ignore[arg-type]
    assert outcome.text == SWALLOWING
    assert [d.code for d in outcome.rejected] == ["IO999"]
    (left,) = [d for d in outcome.remaining if d.code == "IO999"]
    assert left.fix is not None and left.fix.applicability is Applicability.DISPLAY_ONLY


def test_a_fix_that_gains_no_finding_is_applied() -> None:
    insert = Edit(Position(6, 26), Position(6, 26), "\n        print(fd)")
    outcome = fix_text(SWALLOWING, _with_extra_fix(insert), unsafe=False)  # type: ignore[arg-type]
    assert "        print(fd)\n" in outcome.text
    assert outcome.rejected == ()


# ----------------------------------------------------------------- pyflakes


def test_a_fix_that_leaves_an_import_unused_is_refused() -> None:
    source = "import json\nimport os\n\n\ndef f(x):\n    return json.dumps(x)\n"
    drop_use = Edit(Position(6, 11), Position(6, 24), "repr(x)")
    outcome = fix_text(source, _with_extra_fix(drop_use), unsafe=False)  # type: ignore[arg-type]
    assert outcome.text == source and [d.code for d in outcome.rejected] == ["IO999"]


def test_a_fix_that_uses_an_undefined_name_is_refused() -> None:
    source = "import os\n\n\ndef f(fd):\n    os.close(fd)\n"
    undefined = Edit(Position(5, 16), Position(5, 16), "\n    errno.EAGAIN")
    outcome = fix_text(source, _with_extra_fix(undefined), unsafe=False)  # type: ignore[arg-type]
    assert outcome.text == source and [d.code for d in outcome.rejected] == ["IO999"]


def test_a_message_the_edit_cannot_have_caused_spares_the_check_of_the_original() -> None:
    """An unused import far from the edit, about a name the edit does not spell: pyflakes is
    not run on the text before the fix at all."""
    before = "import sys\nimport os\n\n\ndef f(fd):\n    os.close(fd)\n"
    edit = Edit(Position(6, 16), Position(6, 16), "\n    os.fsync(fd)")
    after, placed = apply_tracked(before, [[edit]])
    memo = PyflakesMemo()
    assert memo.gains(before, after, placed) is False
    assert memo.report(after) is not None and before not in memo._reports


def test_a_line_number_shifted_by_the_edit_is_not_a_new_message() -> None:
    """pyflakes puts the line of the first definition in a redefinition's arguments; an
    edit above both moves it. Compared by arguments alone the message looked new and the
    fix was refused; it is about a name the edit does not touch, on lines it did not write."""
    before = (
        "import os\n\n\ndef f(fd):\n    os.close(fd)\n\n\n"
        "def g():\n    pass\n\n\ndef g():\n    pass\n"
    )
    edit = Edit(Position(5, 16), Position(5, 16), "\n    os.fsync(fd)")
    after, placed = apply_tracked(before, [[edit]])
    assert PyflakesMemo().gains(before, after) is True  # the comparison by arguments alone
    assert PyflakesMemo().gains(before, after, placed) is False


def test_a_message_about_a_name_the_edit_removed_is_still_checked() -> None:
    """The unused import is far from the edit, but the edit removed the name's last use."""
    before = "import json\nimport os\n\n\ndef f(x):\n    return json.dumps(x)\n"
    edit = Edit(Position(6, 11), Position(6, 24), "repr(x)")
    after, placed = apply_tracked(before, [[edit]])
    assert PyflakesMemo().gains(before, after, placed) is True


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("IO*.py")), ids=lambda p: p.stem)
def test_fixing_the_fixtures_gains_no_pyflakes_message(fixture: Path) -> None:
    text = fixture.read_text()
    outcome = fix_text(text, lambda t: lint(t, None), unsafe=True)
    before, after = pyflakes_messages(text), pyflakes_messages(outcome.text)
    assert before is not None and after is not None
    assert not after - before, outcome.text


# ----------------------------------------------------------------- the report counts it all


FOLLOW_ON = """\
import json
import os


def save_state(path, state):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f)
    os.replace(tmp, path)
"""


def _number(text: str, before: str) -> int:
    head = text.split(before, 1)[0].split()
    return int(head[-1].strip("("))


def test_the_summary_counts_what_fix_writes_including_follow_on_fixes(tmp_path: Path) -> None:
    path = tmp_path / "state.py"
    path.write_text(FOLLOW_ON)
    first = {d.code for d in lint(FOLLOW_ON, None)}
    # IO303 would appear only once IO302's fsync is in; IO302's fix adds the directory fsync
    # itself, so that one fix is all --fix writes, and all the report may promise.
    assert "IO303" not in first
    report = run_cli("check", "--no-cache", "--unsafe-fixes", "state.py", cwd=tmp_path)
    promised = _number(report.stdout, "fixable with the `--fix` option")
    diff = run_cli("check", "--no-cache", "--unsafe-fixes", "--diff", "state.py", cwd=tmp_path)
    would = _number(diff.stderr, "error")
    stats = run_cli(
        "check", "--no-cache", "--unsafe-fixes", "--statistics", "state.py", cwd=tmp_path
    )
    done = run_cli("check", "--no-cache", "--unsafe-fixes", "--fix", "state.py", cwd=tmp_path)
    fixed = _number(done.stdout, "fixed,")
    assert promised == would == fixed == 1, (report.stdout, diff.stderr, done.stdout)
    assert "IO302" in stats.stdout and "[*]" in stats.stdout
    fixed_text = path.read_text()
    assert "os.fsync(f.fileno())" in fixed_text and "_fsync_directory(path)" in fixed_text
    assert "IO303" not in {d.code for d in lint(fixed_text, None)}


def test_the_summary_leaves_out_refused_fixes(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.black]\nline-length = 60\n")
    (tmp_path / "sink.py").write_text(DEEP_WRITE)
    report = run_cli("check", "--no-cache", "--unsafe-fixes", "sink.py", cwd=tmp_path)
    assert "fixable" not in report.stdout, report.stdout
    done = run_cli("check", "--no-cache", "--unsafe-fixes", "--fix", "sink.py", cwd=tmp_path)
    assert "fixed" not in done.stdout, done.stdout


SWALLOWED_SAVE = """\
import os
import pickle
import tempfile


def save_settings(settings_file, data):
    try:
        with tempfile.NamedTemporaryFile(
            dir=os.path.dirname(settings_file), delete=False
        ) as f:
            pickle.dump(data, f)
        os.replace(f.name, settings_file)
    except OSError:
        pass
"""


def test_fsync_under_a_handler_that_swallows_errors_is_not_offered(tmp_path: Path) -> None:
    """IO302's fsync would sit under ``except OSError: pass``: IO401 would fire on the fixed
    code. The real fixers and the real rules, through the CLI."""
    path = tmp_path / "settings.py"
    path.write_text(SWALLOWED_SAVE)
    # The IO302 fixer itself declines here (it knows the handler); the pipeline's re-lint
    # would refuse the fix otherwise. Either way nothing is offered or written.
    assert any(d.code == "IO302" for d in lint(SWALLOWED_SAVE, None))
    report = run_cli("check", "--no-cache", "--unsafe-fixes", "settings.py", cwd=tmp_path)
    assert "IO302" in report.stdout and "[*]" not in report.stdout, report.stdout
    done = run_cli("check", "--no-cache", "--unsafe-fixes", "--fix", "settings.py", cwd=tmp_path)
    assert path.read_text() == SWALLOWED_SAVE
    assert "[*]" not in done.stdout and "fixed" not in done.stdout, done.stdout


@pytest.mark.parametrize("name", ["IO302.py", "IO303.py", "IO306.py"])
def test_the_plan_is_what_fix_does_on_fixtures(name: str) -> None:
    """The report's plan (which starts from the lint's own findings instead of linting the
    text again, and skips libcst's parse) names exactly the fixes ``--fix`` makes."""
    from iolint.model.source import decode_source
    from iolint.runner import fix_source, lint_source, planned_fixes

    path = FIXTURES / name
    settings = Settings(root=FIXTURES, unsafe_fixes=True)
    text = path.read_text()
    plan = planned_fixes(lint_source(text, name, settings, path), settings, path, unsafe=True)
    done = fix_source(
        decode_source(path.read_bytes()), name, settings, path, data=None, write=False, unsafe=True
    )
    assert plan.planned, "the fixture has fixable findings"
    assert plan.planned == tuple(d.code for d in done.fixed)
