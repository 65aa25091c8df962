"""Findings do not depend on how iolint is run: trigger scan or not, cache or not, one or
several processes, CLI or flake8 plugin."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

import iolint.engine as engine
from iolint.cli import main
from iolint.flake8_plugin import Flake8Plugin
from iolint.import_scan import imports_project_module
from iolint.registry import all_rules
from iolint.rules.base import RuleOptions

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_FILES = sorted(FIXTURES.glob("IO*.py"))


def _all_rules() -> list:  # type: ignore[type-arg]
    return [r() for r in all_rules()]


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_trigger_scan_loses_no_finding(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule's triggers are a pre-filter only: running every rule on every file finds the
    same. A trigger that is too tight (a call the rule follows but its triggers miss) shows
    up here on the rule's own fixtures."""
    text = path.read_text()
    rules = _all_rules()
    scanned = engine.lint_text(text, str(path), rules, RuleOptions())
    monkeypatch.setattr(engine, "triggered", lambda text, rules, **_: list(rules))
    forced = engine.lint_text(text, str(path), rules, RuleOptions())
    assert scanned.diagnostics == forced.diagnostics
    assert scanned.internal_errors == forced.internal_errors


@pytest.mark.parametrize(
    ("trigger", "text", "hit"),
    [
        ("write(", "os.write(fd, b)", True),
        ("write(", "f.write (b)", True),
        ("write(", "f.write \\\n  (b)", True),
        ("write(", "from os import write as w\nw(fd, b)", True),
        ("write(", "from os import (\n    write as w,\n)", True),
        ("write(", "f.writelines(x)", False),
        ("write(", "self._write(x)", False),
        ("write(", "# we write the data", False),
        ("*sync*(", "os.fsync(fd)", True),
        ("*sync*(", "self._sync_dir(d)", True),
        ("*sync*(", "async def f(x): pass", False),
        ("*sync*(", "asyncio.run(main())", False),
        ("FSYNC", "fcntl.fcntl(fd, fcntl.F_FULLFSYNC)", True),
    ],
)
def test_trigger_forms(trigger: str, text: str, hit: bool) -> None:
    word, pattern = engine.trigger_test(trigger)
    found = word in text and (pattern is None or pattern.search(text) is not None)
    assert found is hit


@pytest.mark.parametrize(
    ("text", "wakes"),
    [
        # str.replace, the commonest ``replace(`` by far: no file is written, IO302/IO303
        # have nothing to judge and the file is not parsed for them.
        ('name = name.replace("-", "_")\n', False),
        ("os.replace(tmp, path)\n", False),
        ("with open(tmp, 'w') as f:\n    f.write(s)\nos.replace(tmp, path)\n", True),
        ("fd, tmp = tempfile.mkstemp()\nos.rename(tmp, path)\n", True),
        ("p.write_text(s)\np.replace(target)\n", True),
        ("f = helpers.open_temp(path)\nshutil.move(f.name, path)\n", True),
    ],
)
def test_publish_rules_also_need_a_written_file(text: str, wakes: bool) -> None:
    woken = {r.code for r in engine.triggered(text, _all_rules())}
    assert ({"IO302", "IO303"} <= woken) is wakes
    assert ("IO302" in woken) is wakes


@pytest.mark.parametrize(
    ("text", "with_project", "wakes"),
    [
        # Without an index, a rename with no temp file made in the module cannot be IO304's.
        ("os.replace(src, dst)\n", False, False),
        ('s = s.replace("a", "b")\n', False, False),
        ("fd, tmp = tempfile.mkstemp()\nos.replace(tmp, dst)\n", False, True),
        ("with TemporaryDirectory() as d:\n    shutil.move(join(d, 'x'), dst)\n", False, True),
        ("d = mkdtemp()\nos.rename(join(d, 'x'), dst)\n", False, True),
        # With one, the temp file may come from a helper in another module, when the module
        # imports one: the index holds no facts of the standard library.
        ("from .helpers import make_temp\nos.replace(make_temp().name, dst)\n", True, True),
        ("import os\nos.replace(src, dst)\n", True, False),
    ],
)
def test_temp_rule_needs_a_temp_word_without_an_index(
    text: str, with_project: bool, wakes: bool
) -> None:
    woken = {r.code for r in engine.triggered(text, _all_rules(), with_project=with_project)}
    assert ("IO304" in woken) is wakes


@pytest.mark.parametrize(
    ("text", "wakes"),
    [
        ("f = open(p, 'w')\nf.write(s)\nf.close()\n", False),
        ("try:\n    f.close()\nexcept OSError:\n    pass\n", True),
        ("with suppress(OSError):\n    f.close()\n", True),
    ],
)
def test_close_rule_needs_a_catcher(text: str, wakes: bool) -> None:
    assert ("IO403" in {r.code for r in engine.triggered(text, _all_rules())}) is wakes


def _naive_hit(trigger: str, text: str) -> bool:
    word, pattern = engine.trigger_test(trigger)
    return word in text and (pattern is None or pattern.search(text) is not None)


@pytest.mark.parametrize(
    "text",
    [
        *(p.read_text() for p in FIXTURE_FILES),
        "os.pwrite(fd, b, 0)\n",
        "sock.sendmsg([b])\nos.fsync(fd)\n",
        "f = tempfile.NamedTemporaryFile()\n",
    ],
    ids=lambda t: t.splitlines()[0][:40] if t else "",
)
def test_skipping_scans_of_longer_words_changes_nothing(text: str) -> None:
    """The scan skips a word when a shorter trigger word inside it is absent; the rules it
    wakes are those a test of every trigger would wake."""
    rules = _all_rules()
    expected = [
        r.code
        for r in rules
        if (not r.triggers or any(_naive_hit(t, text) for t in r.triggers))
        and (not r.also_triggers or any(_naive_hit(t, text) for t in r.also_triggers))
        and (
            not r.own_facts_triggers
            or any(_naive_hit(t, text) for t in r.own_facts_triggers)
            or imports_project_module(text)
        )
    ]
    assert [r.code for r in engine.triggered(text, rules)] == expected


def test_alias_import_still_triggers() -> None:
    text = "from os import write as w\n\ndef f(fd, data):\n    w(fd, data)\n"
    result = engine.lint_text(text, "m.py", _all_rules(), RuleOptions())
    assert [d.code for d in result.diagnostics] == ["IO101"]


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_flake8_plugin_equals_engine(path: Path) -> None:
    """The plugin (flake8's tree and lines, no noqa filtering of its own) reports what the
    engine reports with every rule enabled, once flake8-style noqa is applied."""
    text = path.read_text()
    lines = text.splitlines(keepends=True)
    Flake8Plugin.parse_options(_Options())
    plugin = Flake8Plugin(ast.parse(text), str(path), lines)
    by_plugin = {(row, col, msg.split()[0]) for row, col, msg, _ in plugin.run()}
    result = engine.lint_text(text, str(path), _all_rules(), RuleOptions(), noqa=False)
    assert by_plugin == {(d.start.line, d.start.column, d.code) for d in result.diagnostics}


class _Options:
    iolint_target_version = None
    iolint_save_functions = None
    select = None
    extend_select = None


def test_cli_output_same_with_and_without_cache_and_jobs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for path in FIXTURE_FILES:
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "pyproject.toml").write_text('[tool.iolint]\nextend-select = ["IO308"]\n')
    monkeypatch.chdir(tmp_path)
    runs = [
        ["--no-cache", "--jobs", "1"],
        ["--no-cache", "--jobs", "2"],
        ["--jobs", "2"],  # cold cache
        ["--jobs", "2"],  # warm cache
        ["--jobs", "1"],  # warm cache, in process
    ]
    outputs = []
    for extra in runs:
        code = main(["check", *extra, "--output-format", "json", "."])
        outputs.append((code, capsys.readouterr().out))
    assert outputs[0][0] == 1
    assert all(o == outputs[0] for o in outputs), [extra for extra, o in zip(runs, outputs)]
    assert (tmp_path / ".iolint_cache" / "CACHEDIR.TAG").is_file()
