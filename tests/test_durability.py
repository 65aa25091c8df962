"""IO3xx: models of correct code stay silent, fixes produce durable code, options and guards."""

from __future__ import annotations

import ast
import os
import textwrap
from pathlib import Path

import pytest
from helpers import codes_at, lint

from iolint.diagnostics import Applicability, Diagnostic
from iolint.fix import apply_edits
from iolint.model import ModuleModel
from iolint.model.durability import (
    DARWIN,
    LINUX,
    WINDOWS,
    durability_facts,
    reachable_platforms,
)
from iolint.model.source import SourceText
from iolint.registry import all_rules
from iolint.rules.base import RuleOptions

IO3 = [r.code for r in all_rules() if r.code.startswith("IO3")]
IO3_DEFAULT = [r.code for r in all_rules() if r.code.startswith("IO3") and r.default_enabled]


def io3(source: str, **kw: object) -> list[tuple[int, str]]:
    return codes_at(source, IO3_DEFAULT, **kw)


def fixed(source: str, code: str) -> tuple[str, Diagnostic]:
    """Apply the fix of the only ``code`` finding of ``source``."""
    source = textwrap.dedent(source)
    found = [d for d in lint(source, [code]) if d.code == code]
    assert len(found) == 1, found
    diag = found[0]
    assert diag.fix is not None, diag
    out = apply_edits(source, diag.fix.edits)
    ast.parse(out)
    return out, diag


# ----------------------------------------------------------------------------- correct models


def test_borg_style_save_file_with_einval_tolerant_sync_dir_is_clean() -> None:
    source = """
        import errno
        import os
        import tempfile


        def sync_dir(path):
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            except OSError as err:
                if err.errno != errno.EINVAL:
                    raise
            finally:
                os.close(fd)


        class DurableFile:
            def __init__(self, f):
                self.f = f
                self.fd = f.fileno()

            def write(self, data):
                return self.f.write(data)

            def sync(self):
                self.f.flush()
                os.fdatasync(self.fd)

            def close(self):
                self.sync()
                self.f.close()


        class AtomicSave:
            def __init__(self, path, binary=False):
                self.path = path
                self.dir = os.path.dirname(os.path.abspath(path))
                self.mode = "wb" if binary else "w"

            def __enter__(self):
                self.tmp_fd, self.tmp_name = tempfile.mkstemp(
                    prefix=os.path.basename(self.path) + "-", suffix=".tmp", dir=self.dir
                )
                self.file = DurableFile(os.fdopen(self.tmp_fd, self.mode))
                return self.file

            def __exit__(self, exc_type, exc, tb):
                self.file.close()
                if exc_type is not None:
                    os.unlink(self.tmp_name)
                    return False
                os.replace(self.tmp_name, self.path)
                sync_dir(self.dir)
                return False


        def save_state(path, blob):
            directory = os.path.dirname(os.path.abspath(path))
            fd, tmp = tempfile.mkstemp(dir=directory)
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
            sync_dir(directory)
    """
    assert io3(source) == []


def test_atomicwrites_style_helpers_are_clean() -> None:
    source = """
        import contextlib
        import os
        import sys
        import tempfile


        def _sync_directory(directory):
            fd = os.open(directory, 0)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


        if sys.platform != "win32":

            def _replace_atomic(src, dst):
                os.rename(src, dst)
                _sync_directory(os.path.normpath(os.path.dirname(dst)))

        else:

            def _replace_atomic(src, dst):
                os.replace(src, dst)


        class Writer:
            def __init__(self, path, mode="w"):
                self._path = path
                self._mode = mode

            @contextlib.contextmanager
            def open(self):
                with self.get_fileobject() as f:
                    yield f
                    self.sync(f)
                self.commit(f)

            def get_fileobject(self):
                fd, name = tempfile.mkstemp(dir=os.path.dirname(self._path), suffix=".tmp")
                os.close(fd)
                return open(name, self._mode)

            def sync(self, f):
                f.flush()
                os.fsync(f.fileno())

            def commit(self, f):
                _replace_atomic(f.name, self._path)
    """
    assert io3(source) == []


def test_pip_style_adjacent_tmp_file_is_clean() -> None:
    # The fsync happens in the helper and the replace in its caller: IO303 cannot pair them,
    # and by design reports nothing (see the IO303 page).
    source = """
        import os
        from contextlib import contextmanager
        from tempfile import NamedTemporaryFile
        from typing import BinaryIO, cast


        @contextmanager
        def adjacent_tmp_file(path, **kwargs):
            with NamedTemporaryFile(
                delete=False,
                dir=os.path.dirname(path),
                prefix=os.path.basename(path),
                suffix=".tmp",
                **kwargs,
            ) as f:
                result = cast(BinaryIO, f)
                try:
                    yield result
                finally:
                    result.flush()
                    os.fsync(result.fileno())


        def replace(src, dest):
            os.replace(src, dest)


        def write_cache_entry(path, blob):
            with adjacent_tmp_file(path) as f:
                f.write(blob)
            replace(f.name, path)
    """
    assert io3(source) == []


def test_pip_shape_inlined_reports_the_missing_directory_fsync() -> None:
    source = """
        import os
        from tempfile import NamedTemporaryFile


        def write_entry(path, blob):
            with NamedTemporaryFile("wb", delete=False, dir=os.path.dirname(path)) as f:
                f.write(blob)
                f.flush()
                os.fsync(f.fileno())
            os.replace(f.name, path)
    """
    assert io3(source) == [(11, "IO303")]
    # The same in pip's cache: an entry that may be lost is reported only in strict mode.
    cache = source.replace("write_entry", "write_cache_entry")
    assert io3(cache) == []
    strict = lint(cache, ["IO303"], RuleOptions(strict=True))
    assert [(d.start.line, d.code) for d in strict] == [(11, "IO303")]


def test_append_only_journal_that_flushes_and_fsyncs_is_clean() -> None:
    source = """
        import os


        class Journal:
            def __init__(self, path):
                self._f = open(path, "ab")

            def commit(self, records):
                for record in records:
                    self._f.write(record)
                self._f.flush()
                os.fsync(self._f.fileno())


        def commit_record(path, record):
            with open(path, "ab") as f:
                f.write(record)
                f.flush()
                os.fsync(f.fileno())
    """
    assert io3(source) == []


def test_scratch_named_temporary_file_never_published_is_clean() -> None:
    source = """
        import subprocess
        import tempfile


        def save_validated(text):
            with tempfile.NamedTemporaryFile("w", suffix=".conf") as scratch:
                scratch.write(text)
                scratch.flush()
                subprocess.run(["check-config", scratch.name], check=True)
    """
    assert io3(source) == []


def test_report_writer_that_is_not_a_save_function_is_clean() -> None:
    source = """
        import csv


        def write_report(path, rows):
            with open(path, "w", newline="") as f:
                writer = csv.writer(f)
                writer.writerows(rows)


        def export_html(path, html):
            with open(path, "a") as f:
                f.write(html)
    """
    assert io3(source) == []


# ----------------------------------------------------------------------------- one bug, one finding


def test_unsynced_publish_is_io302_only_and_synced_one_is_io303_only() -> None:
    unsynced = """
        import os


        def write_state(path, blob):
            with open(path + ".tmp", "wb") as f:
                f.write(blob)
            os.replace(path + ".tmp", path)
    """
    assert io3(unsynced) == [(8, "IO302")]
    pad = "\n" + " " * 16
    synced = unsynced.replace(
        "f.write(blob)\n", f"f.write(blob){pad}f.flush(){pad}os.fsync(f.fileno())\n"
    )
    assert io3(synced) == [(10, "IO303")]


def test_in_place_overwrite_is_io306_not_io307() -> None:
    source = """
        def save(path, text):
            with open(path, "w") as f:
                f.write(text)
    """
    assert io3(source) == [(3, "IO306")]


def test_rename_of_unsynced_temp_gets_ordering_and_portability_findings() -> None:
    source = """
        import os


        def save(path, text):
            with open(path + ".tmp", "w") as f:
                f.write(text)
            os.rename(path + ".tmp", path)
    """
    assert io3(source) == [(8, "IO302"), (8, "IO305")]


# ----------------------------------------------------------------------------- options


def test_save_functions_pattern_widens_and_narrows() -> None:
    source = """
        def dump_state(path, text):
            with open(path, "w") as f:
                f.write(text)


        def save(path, text):
            with open(path, "w") as f:
                f.write(text)
    """
    assert io3(source) == [(8, "IO306")]
    wider = RuleOptions(save_functions=r"(^|_)(save|dump_state)($|_)")
    assert io3(source, options=wider) == [(3, "IO306"), (8, "IO306")]
    narrower = RuleOptions(save_functions=r"^persist$")
    assert io3(source, options=narrower) == []


def test_read_modify_write_makes_a_save_function() -> None:
    source = """
        import json


        def bump(path):
            with open(path) as f:
                data = json.load(f)
            data["n"] += 1
            with open(path, "w") as f:
                json.dump(data, f)


        def convert(src, dst):
            with open(src) as f:
                data = f.read()
            with open(dst, "w") as f:
                f.write(data.upper())
    """
    assert io3(source) == [(9, "IO306")]


def test_io308_is_opt_in() -> None:
    source = """
        import os


        def fsync_fd(fd):
            os.fsync(fd)
    """
    assert codes_at(source) == []
    assert codes_at(source, ["IO308"]) == [(6, "IO308")]


# ----------------------------------------------------------------------------- platform guards


def _platforms_of_call(source: str, name: str) -> frozenset[str]:
    source = textwrap.dedent(source)
    tree = ast.parse(source)
    model = ModuleModel(tree, SourceText(source))
    call = next(c for c in model.calls if isinstance(c.func, ast.Name) and c.func.id == name)
    return reachable_platforms(model, call)


@pytest.mark.parametrize(
    ("guard", "expected"),
    [
        ('if os.name == "nt":', {WINDOWS}),
        ('if os.name != "nt":', {DARWIN, LINUX, "posix"}),
        ('if sys.platform == "darwin":', {DARWIN}),
        ('if sys.platform.startswith("linux"):', {LINUX}),
        ('if platform.system() == "Windows":', {WINDOWS}),
        ('if sys.platform in ("win32", "cygwin"):', {WINDOWS, "posix"}),
        ('if not sys.platform == "win32" and ready:', {DARWIN, LINUX, "posix"}),
        ("if IS_WINDOWS:", {WINDOWS}),
        ("if ready:", {WINDOWS, DARWIN, LINUX, "posix"}),
    ],
)
def test_platform_guards(guard: str, expected: set[str]) -> None:
    source = f"""
        import os
        import platform
        import sys

        IS_WINDOWS = os.name == "nt"


        def f(ready):
            {guard}
                target()
    """
    assert _platforms_of_call(source, "target") == expected


def test_early_return_guard_and_else_branch() -> None:
    source = """
        import os
        import sys


        def f():
            if os.name == "nt":
                return
            if sys.platform == "darwin":
                other()
            else:
                target()
    """
    assert _platforms_of_call(source, "target") == {LINUX, "posix"}


# ----------------------------------------------------------------------------- model facts


def test_model_records_events_in_source_order() -> None:
    source = textwrap.dedent(
        """
        import os
        import tempfile


        def save(path, blob):
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
                f.flush()
                os.fsync(fd)
            os.replace(tmp, path)
        """
    )
    model = ModuleModel(ast.parse(source), SourceText(source))
    (fn,) = model.fact(durability_facts).functions
    (file,) = fn.files
    assert [e.kind for e in file.events] == ["write", "flush", "fsync", "close"]
    assert file.temp is not None and not file.temp.system_dir
    (publish,) = fn.publishes
    assert publish.file is file and publish.api == "os.replace"


# ----------------------------------------------------------------------------- fixes


def test_io301_fix_inserts_flush() -> None:
    out, diag = fixed(
        """
        import os


        def dump(path, text):
            with open(path, "a") as f:
                f.write(text)
                os.fsync(f.fileno())
        """,
        "IO301",
    )
    assert diag.fix is not None and diag.fix.applicability is Applicability.SAFE
    assert "        f.flush()\n        os.fsync(f.fileno())" in out
    assert lint(out, ["IO301"]) == []


def test_io302_fix_syncs_before_close_and_adds_import() -> None:
    out, diag = fixed(
        """
        import shutil


        def move_into_place(path, text):
            with open(path + ".tmp", "w") as f:
                f.write(text)
            shutil.move(path + ".tmp", path)
        """,
        "IO302",
    )
    assert diag.fix is not None and diag.fix.applicability is Applicability.UNSAFE
    assert out.startswith("\nimport os\nimport shutil\n")  # in sort order
    assert "        f.write(text)\n        f.flush()\n        os.fsync(f.fileno())\n" in out
    assert lint(out, ["IO302"]) == []


def test_io302_fix_for_descriptor_writes() -> None:
    out, _ = fixed(
        """
        import os


        def store(path, blob):
            fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                n = os.write(fd, blob)
                assert n == len(blob)
            finally:
                os.close(fd)
            os.replace(path + ".tmp", path)
        """,
        "IO302",
    )
    assert "        os.fsync(fd)\n    finally:\n        os.close(fd)" in out
    assert lint(out, ["IO302"]) == []


def test_io303_fix_adds_guarded_directory_fsync() -> None:
    out, _ = fixed(
        """
        import os


        def write_state(path, blob):
            with open(path + ".tmp", "wb") as f:
                f.write(blob)
                f.flush()
                os.fsync(f.fileno())
            os.replace(path + ".tmp", path)
        """,
        "IO303",
    )
    assert '    os.replace(path + ".tmp", path)\n    _fsync_directory(path)\n' in out
    assert 'if os.name == "nt":\n        return\n' in out  # the helper is POSIX-only
    assert lint(out, IO3_DEFAULT) == []


def test_io304_fix_adds_dir_argument() -> None:
    out, diag = fixed(
        """
        import json
        import os
        import tempfile


        def save(path, data):
            fd, tmp = tempfile.mkstemp(suffix=".json")
            with os.fdopen(fd, "w") as f:
                json.dump(data, f)
            os.replace(tmp, path)
        """,
        "IO304",
    )
    assert diag.fix is not None and diag.fix.applicability is Applicability.SAFE
    # `path` may be bytes: the directory is converted to the str the call's suffix needs.
    assert 'tempfile.mkstemp(suffix=".json", dir=os.fsdecode(os.path.dirname(path)))' in out
    assert lint(out, ["IO304"]) == []


def test_io304_fix_replaces_gettempdir_and_fills_empty_call() -> None:
    out, _ = fixed(
        """
        import os
        import tempfile


        def save(path, blob):
            fd, tmp = tempfile.mkstemp(dir=tempfile.gettempdir())
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
            os.replace(tmp, path)
        """,
        "IO304",
    )
    assert "tempfile.mkstemp(dir=os.fsdecode(os.path.dirname(path)))" in out
    out, _ = fixed(
        """
        import os
        from tempfile import NamedTemporaryFile


        def save(path, blob):
            with NamedTemporaryFile() as f:
                f.write(blob)
                os.replace(f.name, path)
        """,
        "IO304",
    )
    assert "NamedTemporaryFile(dir=os.fsdecode(os.path.dirname(path)))" in out


def test_io304_no_fix_when_target_is_bound_later() -> None:
    source = """
        import os
        import tempfile


        def save(directory, blob):
            fd, tmp = tempfile.mkstemp()
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
            target = os.path.join(directory, "state")
            os.replace(tmp, target)
    """
    (diag,) = lint(source, ["IO304"])
    assert diag.fix is None


def test_io305_fix_replaces_and_removes_the_unlink() -> None:
    out, diag = fixed(
        """
        import os


        def swap(src, dst):
            if os.path.exists(dst):
                os.remove(dst)
            os.rename(src, dst)  # keep me
        """,
        "IO305",
    )
    assert diag.fix is not None and diag.fix.applicability is Applicability.SAFE
    assert out == textwrap.dedent(
        """
        import os


        def swap(src, dst):
            os.replace(src, dst)  # keep me
        """
    )


def test_io305_fix_for_path_rename() -> None:
    out, _ = fixed(
        """
        from pathlib import Path


        def save(target: Path, text):
            tmp = target.with_suffix(".tmp")
            with tmp.open("w") as f:
                f.write(text)
            tmp.rename(target)
        """,
        "IO305",
    )
    assert "tmp.replace(target)" in out


def test_io307_fix_syncs_at_the_end_of_the_block() -> None:
    out, _ = fixed(
        """
        import json
        import os


        def commit(journal, record):
            with open(journal, "a") as f:
                if record:
                    f.write(json.dumps(record))
        """,
        "IO307",
    )
    tail = "    f.write(json.dumps(record))\n        f.flush()\n        os.fsync(f.fileno())"
    assert tail in out
    assert lint(out, IO3_DEFAULT) == []


IN_PLACE_JSON_SAVE = """\
\"\"\"Settings.\"\"\"
import json


def save_settings(path, settings):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(settings, f, indent=2, ensure_ascii=False)
        f.write("\\n")
    return path
"""


def _run_save(source: str, target: Path) -> None:
    namespace: dict[str, object] = {}
    exec(compile(source, "<save>", "exec"), namespace)
    save = namespace["save_settings"]
    save(str(target), {"name": "café", "n": [1, 2, 3]})  # type: ignore[operator]


def test_io306_fix_rewrites_into_durable_replace(tmp_path: Path) -> None:
    out, diag = fixed(IN_PLACE_JSON_SAVE, "IO306")
    assert diag.fix is not None and diag.fix.applicability is Applicability.UNSAFE
    # Imports join the module's own in sort order; the body and encoding are kept.
    assert out.startswith(
        '"""Settings."""\nimport contextlib\nimport errno\nimport json\nimport os\n'
    )
    assert 'with _atomic_write(path, "w", encoding="utf-8") as f:' in out
    assert "os.replace(tmp, real)" in out
    assert lint(out, IO3_DEFAULT) == []

    before, after = tmp_path / "before", tmp_path / "after"
    before.mkdir()
    after.mkdir()
    _run_save(IN_PLACE_JSON_SAVE, before / "settings.json")
    (after / "settings.json").write_text("old content")
    _run_save(out, after / "settings.json")
    assert (after / "settings.json").read_bytes() == (before / "settings.json").read_bytes()
    assert sorted(os.listdir(after)) == ["settings.json"]  # no temp file left behind


def test_io306_fix_is_idempotent_through_the_fixer() -> None:
    from iolint.fix import fix_text

    def lint_all(text: str) -> list[Diagnostic]:
        return lint(text, IO3)

    outcome = fix_text(IN_PLACE_JSON_SAVE, lint_all, unsafe=True)
    assert [d.code for d in outcome.fixed] == ["IO306"]
    assert [d.code for d in outcome.remaining if d.code != "IO308"] == []
    again = fix_text(outcome.text, lint_all, unsafe=True)
    assert again.text == outcome.text


@pytest.mark.parametrize(
    "body",
    [
        "        f.write(text)\n        return True\n",
        "        for line in text:\n            if not line:\n                break\n"
        "            f.write(line)\n        yield f\n",
    ],
)
def test_io306_rewrite_commits_when_the_block_leaves_early(body: str) -> None:
    # The context manager commits on return/yield as the old block closed the file then.
    source = "def save(path, text):\n    with open(path, 'w') as f:\n" + body
    (diag,) = lint(source, ["IO306"])
    assert diag.fix is not None
    assert "    with _atomic_write(path, 'w') as f:\n" + body in apply_edits(source, diag.fix.edits)


def test_io306_no_rewrite_when_file_object_used_after_block() -> None:
    source = """
        def save(path, text):
            with open(path, "w") as f:
                f.write(text)
            return f.name
    """
    (diag,) = lint(source, ["IO306"])
    assert diag.fix is None


def test_io306_no_rewrite_when_os_means_something_else() -> None:
    source = """
        os = None


        def save(path, text):
            with open(path, "w") as f:
                f.write(text)
    """
    (diag,) = lint(source, ["IO306"])
    assert diag.fix is None


def test_fdatasync_only_module_is_seen() -> None:
    source = """
        def _flush(f):
            f.flush()
            os.fdatasync(f.fileno())


        import os


        def write_state(path, blob):
            with open(path + ".tmp", "wb") as f:
                f.write(blob)
                _flush(f)
            os.replace(path + ".tmp", path)
    """
    # The helper counts as the file's fsync: the rename is durable, the directory is not.
    assert io3(source) == [(14, "IO303")]


def test_io304_no_fix_when_dir_is_positional() -> None:
    source = """
        import os
        import tempfile


        def save(path, blob):
            fd, tmp = tempfile.mkstemp(".tmp", "state-", None)
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
            os.replace(tmp, path)
    """
    (diag,) = lint(source, ["IO304"])
    assert diag.fix is None


# ---------------------------------------------------------------------------- intent by path

_UNSYNCED_PUBLISH = """
    import os


    def replace_in_file(filename, text):
        with open(filename + ".new", "w") as f:
            f.write(text)
        os.replace(filename + ".new", filename)
"""


@pytest.mark.parametrize(
    "path",
    [
        "tests/test_io.py",
        "pkg/tests/helpers.py",
        "conftest.py",
        "pkg/cache.py",
        "pkg/_internal/operations/install/wheel.py",
        "twisted/python/_release.py",
    ],
)
def test_module_path_says_the_file_may_be_lost(path: str) -> None:
    assert codes_at(_UNSYNCED_PUBLISH, ["IO302"], path=path) == []
    strict = lint(_UNSYNCED_PUBLISH, ["IO302"], RuleOptions(strict=True), path=path)
    assert [(d.start.line, d.code) for d in strict] == [(8, "IO302")]


def test_ordinary_module_path_keeps_the_finding() -> None:
    assert codes_at(_UNSYNCED_PUBLISH, ["IO302"], path="pkg/storage.py") == [(8, "IO302")]


def test_generated_stub_modules_are_build_output() -> None:
    source = """
        def write_stub(path, content):
            with open(path) as f:
                if f.read() == content:
                    return
            with open(path, "w") as f:
                f.write(content)
    """
    assert codes_at(source, ["IO306"], path="pkg/autosummary/generate.py") == []
    assert codes_at(source, ["IO306"], path="pkg/stubs.py") == [(6, "IO306")]


def test_io302_through_a_helper_names_it_and_edits_nothing() -> None:
    # The fsync belongs in the helper, which other callers share: the finding says where,
    # and no edit is made in the caller (a flush of ``tmp``, a string, would be wrong).
    source = """
        import os


        def _write_keys(filename, keys):
            with open(filename, "w") as f:
                for host, key in keys.items():
                    f.write(f"{host} {key}\\n")


        def save_known_hosts(keyfile, keys):
            tmp = keyfile + ".new"
            _write_keys(tmp, keys)
            os.replace(tmp, keyfile)
    """
    (diag,) = lint(source, ["IO302"])
    assert "`os.fsync()` the file in `_write_keys()`" in diag.message
    assert diag.fix is None


def test_io303_no_fix_when_the_file_is_synced_only_on_request() -> None:
    # ``sync=False`` by default: the caller chooses durability. A directory fsync added after
    # the rename would run on every call (and fail in a directory it cannot open), so the
    # finding stays and the fix is left to the author, under the same condition.
    source = """
        import os
        import tempfile


        def transfer(data, out_path, sync=False):
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(out_path))
            with os.fdopen(fd, "wb") as fp:
                fp.write(data)
                fp.flush()
                if sync:
                    os.fsync(fp.fileno())
            os.rename(tmp, out_path)
    """
    found = [d for d in lint(source, ["IO303"])]
    assert [d.code for d in found] == ["IO303"]
    assert found[0].fix is None
    unconditional = source.replace(
        "                if sync:\n                    os.fsync", "                os.fsync"
    )
    fixed = lint(unconditional, ["IO303"])
    assert [d.code for d in fixed] == ["IO303"] and fixed[0].fix is not None
