"""Durability intent (model/intent.py), platform (model/platform.py) and branch facts, read
directly: which evidence each spelling of a target gives."""

from __future__ import annotations

import ast
import textwrap

import pytest

from iolint.model.branches import mutually_exclusive
from iolint.model.intent import Intent, intent_of
from iolint.model.module import ModuleModel
from iolint.model.platform import gone_before, may_run_on_windows, windows_only
from iolint.model.source import SourceText


def _model(source: str, path: str = "pkg/storage.py") -> ModuleModel:
    source = textwrap.dedent(source)
    return ModuleModel(ast.parse(source), SourceText(source), path)


def _call(model: ModuleModel, name: str, nth: int = 0) -> ast.Call:
    calls = [
        n
        for n in ast.walk(model.tree)
        if isinstance(n, ast.Call) and ast.unparse(n.func).endswith(name)
    ]
    calls.sort(key=lambda c: (c.lineno, c.col_offset))
    return calls[nth]


def _intent_of_write(function: str, path: str = "pkg/storage.py") -> Intent:
    """The intent of the first ``open(target, "w")`` of the snippet."""
    model = _model(function, path)
    call = _call(model, "open")
    return intent_of(model, call, call.args[0])


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("def f(d):\n    open(os.path.join(tempfile.mkdtemp(), 'x'), 'w')", "temporary"),
        ("def f():\n    open('/tmp/out.json', 'w')", "temporary"),
        ("def f(scratch_dir):\n    open(scratch_dir + '/a', 'w')", "temporary"),
        ("def f(cache_path):\n    open(cache_path, 'w')", "cache"),
        ("def write_pid(p):\n    open(p, 'w')", "pid"),
        ("def f(d):\n    open(os.path.join(d, 'server.log'), 'a')", "log"),
        ("def f(dist_dir):\n    open(os.path.join(dist_dir, 'x.whl'), 'wb')", "build"),
        ("def export_svg(p):\n    open(p, 'w')", "export"),
        ("def test_roundtrip(p):\n    open(p, 'w')", "test"),
    ],
)
def test_evidence_against(source: str, reason: str) -> None:
    intent = _intent_of_write("import os, tempfile\n" + source)
    assert intent.against is not None and reason in intent.against, intent
    assert intent.silent(strict=False) and not intent.silent(strict=True)


@pytest.mark.parametrize(
    "source",
    [
        "def f(cache_dir):\n    open(os.path.join(cache_dir, 'settings.json'), 'w')",
        "def f(tmp):\n    open('/etc/shadow', 'w')",
        "def f(home):\n    open(os.path.join(home, '.ssh', 'known_hosts'), 'w')",
        "def install(site):\n    open(os.path.join(site, 'easy-install.pth'), 'w')",
        "def f(root):\n    open(os.path.join(root, 'pyproject.toml'), 'w')",
    ],
)
def test_precious_targets_outweigh_weaker_evidence(source: str) -> None:
    intent = _intent_of_write("import os\n" + source)
    assert intent.against is None and intent.precious is not None, intent


def test_reader_that_rebuilds_makes_a_cache() -> None:
    source = """
        import json

        class Index:
            def load(self):
                try:
                    with open(self.path) as f:
                        return json.load(f)
                except ValueError:
                    return self.rebuild()

            def write(self, data):
                with open(self.path, "w") as f:
                    json.dump(data, f)
    """
    model = _model(source)
    call = _call(model, "open", 1)
    assert "rebuilds" in (intent_of(model, call, call.args[0]).against or "")
    # Without the swallowing handler, nothing says the file may be lost.
    strict_reader = _model(source.replace("return self.rebuild()", "raise"))
    call = _call(strict_reader, "open", 1)
    assert intent_of(strict_reader, call, call.args[0]).against is None


def test_fsynced_publish_outweighs_a_tolerant_reader() -> None:
    """``synced``: the save fsyncs what it publishes, so a reader that falls back is a safety
    net; a cache by name, or a pid file, stays evidence against."""
    source = """
        import json, os

        class Totals:
            def load(self):
                try:
                    with open(self.path) as f:
                        return json.load(f)
                except ValueError:
                    return {}

            def save(self, tmp):
                os.replace(tmp, self.path)
    """
    model = _model(source)
    call = _call(model, "replace")
    assert "rebuilds" in (intent_of(model, call, call.args[1]).against or "")
    assert intent_of(model, call, call.args[1], synced=True).against is None
    named = _model(source.replace("self.path", "self.cache_path"))
    call = _call(named, "replace")
    assert "cache" in (intent_of(named, call, call.args[1], synced=True).against or "")


_CLEANUP_SAVE = """
    import os

    def save(path, data):
        tmp = path + ".tmp"
        try:
            with open(tmp, "w") as f:
                f.write(data)
            os.replace(tmp, path)
        except OSError:
            # best-effort removal of the temp file
            os.unlink(tmp)
            raise
"""


def test_cleanup_comment_is_not_about_the_write() -> None:
    model = _model(_CLEANUP_SAVE)
    call = _call(model, "replace")
    assert intent_of(model, call, call.args[1]).against is None
    # Swallowing the failure makes the save itself best effort: the comment counts again.
    lenient = _model(_CLEANUP_SAVE.replace("            raise\n", ""))
    call = _call(lenient, "replace")
    assert "comment" in (intent_of(lenient, call, call.args[1]).against or "")
    # So does the same comment on the publish itself.
    on_write = _model(
        _CLEANUP_SAVE.replace(
            "            os.replace(tmp, path)",
            "            # best-effort: no fsync\n            os.replace(tmp, path)",
        )
    )
    call = _call(on_write, "replace")
    assert "comment" in (intent_of(on_write, call, call.args[1]).against or "")


def test_test_module_by_path_or_import() -> None:
    snippet = "def f(p):\n    open(p, 'w')\n"
    assert _intent_of_write(snippet, "tests/helpers.py").against == "test code"
    assert _intent_of_write("import pytest\n" + snippet).against == "test code"
    assert _intent_of_write(snippet).against is None
    # A package that ships its tests as a private subpackage.
    assert _intent_of_write(snippet, "trio/_tests/check_types.py").against == "test code"
    assert _intent_of_write(snippet, "pkg/_testing_utils.py").against is None


def test_handler_that_fails_is_no_rebuild() -> None:
    source = """
        class Roster:
            def add_member(self, line):
                try:
                    with open(self.names_path) as f:
                        lines = f.readlines() + [line]
                    with open(self.names_path, "w") as f:
                        f.writelines(lines)
                except Exception as err:
                    self.module.fail_json(msg=str(err))
    """
    model = _model(source)
    call = _call(model, "open", 1)
    assert intent_of(model, call, call.args[0]).against is None
    # The same handler that carries on instead is the "rebuild on a bad read" shape.
    lenient = _model(source.replace("self.module.fail_json(msg=str(err))", "lines = []"))
    call = _call(lenient, "open", 1)
    assert "rebuilds" in (intent_of(lenient, call, call.args[0]).against or "")


def test_posix_only_module_and_windows_awareness() -> None:
    posix = _model("import fcntl, os\ndef f(a, b):\n    os.rename(a, b)\n")
    assert not may_run_on_windows(posix, _call(posix, "rename"))
    assert may_run_on_windows(posix, _call(posix, "rename"), strict=True)
    both = _model(
        "import fcntl, os\nIS_WIN = os.name == 'nt'\n"
        "def f(a, b):\n    if os.name == 'nt':\n        pass\n    os.rename(a, b)\n"
    )
    assert may_run_on_windows(both, _call(both, "rename"))
    guarded = _model(
        "import os\ndef f(a, b):\n    if os.name == 'posix':\n        os.rename(a, b)\n"
    )
    assert not may_run_on_windows(guarded, _call(guarded, "rename"), strict=True)


def test_windows_only_through_callers() -> None:
    model = _model(
        """
        import os

        def _win(p):
            return os.open(p, os.O_CREAT)

        def _shared(p):
            return os.open(p, os.O_CREAT)

        def main(p):
            if os.name == "nt":
                _win(p)
                _shared(p)
            _shared(p)
        """
    )
    assert windows_only(model, _call(model, "os.open", 0))
    assert not windows_only(model, _call(model, "os.open", 1))


def test_target_gone_before_the_rename() -> None:
    model = _model(
        """
        import os

        def f(src, dst):
            os.rename(dst, dst + ".bak")
            os.rename(src, dst)

        def g(src, dst):
            if os.name == "nt":
                os.remove(dst)
            os.rename(src, dst)
        """
    )
    first = _call(model, "os.rename", 1)
    assert gone_before(model, first, first.args[1])
    guarded = _call(model, "os.rename", 2)
    assert not gone_before(model, guarded, guarded.args[1])


def test_mutually_exclusive_branches() -> None:
    model = _model(
        """
        def f(a):
            if a == 1:
                open("x", "w")
            elif a == 2:
                open("x", "w")
            open("x", "w")
        """
    )
    one, two, after = (_call(model, "open", i) for i in range(3))
    assert mutually_exclusive(model, one, two)
    assert not mutually_exclusive(model, one, after)
