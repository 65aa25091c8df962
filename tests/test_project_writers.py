"""IO306's fix in a project that already writes atomically with its own helper, in another
module (model/atomic_writers.py, model/project_writers.py): the fix is advice that names the
helper and where it is, never an inline copy beside it. Fixture projects are written to a
temporary directory and linted and fixed through the CLI; the helper shapes are those real
projects use (a function around ``mkstemp(dir=...)``, a context manager, a lock-file class
whose ``close()`` renames, a temp-file maker whose callers rename)."""

from __future__ import annotations

import ast
import json
import textwrap
from pathlib import Path

import pytest
from helpers import write_project as _project

from iolint.cli import main
from iolint.model.atomic_writers import (
    CLASS,
    CONTEXT_MANAGER,
    FUNCTION,
    METHOD,
    TEMP_FILE,
    USE,
    WriterFacts,
    module_writers,
)
from iolint.model.index import ProjectIndex

# A module of the project that saves in place: IO306's finding, whose fix is the question.
USER = """\
def save_config(path, text):
    with open(path, "w") as f:
        f.write(text)
"""

# A function: a temp file made in the target's directory, replaced onto the target.
MKSTEMP_FUNCTION = """\
import os
import tempfile


def write_file_atomically(path, data):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
"""

# A context manager that yields the temp file and replaces the target after the block.
CONTEXT_MANAGER_WRITER = """\
import contextlib
import os
from tempfile import NamedTemporaryFile


@contextlib.contextmanager
def replacing(target, mode="w"):
    with NamedTemporaryFile(mode, dir=os.path.dirname(target), delete=False) as tmp:
        yield tmp
        tmp.flush()
        os.fsync(tmp.fileno())
    os.replace(tmp.name, target)
"""

# A class in the shape of dulwich's GitFile: a lock file beside the target, renamed by close().
LOCK_FILE_CLASS = """\
import os


class LockedFile:
    def __init__(self, filename, mode="wb"):
        self._filename = os.fspath(filename)
        self._lockname = self._filename + ".lock"
        fd = os.open(self._lockname, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        self._file = os.fdopen(fd, mode)

    def write(self, data):
        return self._file.write(data)

    def close(self):
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self._lockname, self._filename)
"""

# pip's shape: one module makes the temp file beside the target, a second one renames it.
TEMP_MAKER = """\
import contextlib
import os
from tempfile import NamedTemporaryFile

replace = os.replace


@contextlib.contextmanager
def adjacent_tmp(path, **kwargs):
    with NamedTemporaryFile(delete=False, dir=os.path.dirname(path), **kwargs) as f:
        try:
            yield f
        finally:
            f.flush()
            os.fsync(f.fileno())
"""

TEMP_USER = """\
import os

from pkg.fs import adjacent_tmp, replace


def store(key, data):
    path = os.path.join(os.environ["CACHE"], key)
    with adjacent_tmp(path) as f:
        f.write(data)
    replace(f.name, path)
"""

# Renames that are not atomic writes: a move of one file to another name, a log rotation.
NOT_WRITERS = """\
import os
import shutil


def archive(src, dst):
    shutil.move(src, dst)


def rotate(path):
    with open(path + ".1", "w") as f:
        f.write("")
    os.rename(path, path + ".1")
"""


def _io306(root: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    capsys.readouterr()
    main(
        ["check", "--exit-zero", "--no-cache", "--jobs", "1", "--output-format", "json", str(root)]
    )
    found = [f for f in json.loads(capsys.readouterr().out) if f["code"] == "IO306"]
    assert len(found) == 1, found
    assert found[0]["filename"].endswith("user.py")
    fix = found[0]["fix"]
    assert isinstance(fix, dict)
    return fix


@pytest.mark.parametrize(
    ("module", "source", "named", "line"),
    [
        ("writers", MKSTEMP_FUNCTION, "pkg.writers.write_file_atomically", 5),
        ("writers", CONTEXT_MANAGER_WRITER, "pkg.writers.replacing", 7),
        ("writers", LOCK_FILE_CLASS, "pkg.writers.LockedFile", 4),
    ],
)
def test_fix_is_advice_naming_the_projects_writer(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    module: str,
    source: str,
    named: str,
    line: int,
) -> None:
    root = _project(tmp_path, {f"pkg/{module}.py": source, "pkg/user.py": USER})
    fix = _io306(root, capsys)
    assert fix["applicability"] == "display-only"
    assert not fix["edits"]
    assert f"`{named}` (pkg/{module}.py:{line})" in str(fix["message"])


def test_temp_maker_used_with_a_rename_elsewhere_is_named_with_how_it_is_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """pip's configuration.py imports nothing of the kind: the project's writer is found in
    utils/filesystem.py, and how to finish it (the rename) in another module."""
    files = {"pkg/fs.py": TEMP_MAKER, "pkg/cache.py": TEMP_USER, "pkg/user.py": USER}
    fix = _io306(_project(tmp_path, files), capsys)
    message = str(fix["message"])
    assert fix["applicability"] == "display-only" and not fix["edits"]
    assert "`pkg.fs.adjacent_tmp` (pkg/fs.py:9)" in message
    assert "`replace(f.name, target)`, as pkg/cache.py:10 does" in message


def test_temp_maker_nobody_renames_is_not_a_writer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fix = _io306(_project(tmp_path, {"pkg/fs.py": TEMP_MAKER, "pkg/user.py": USER}), capsys)
    assert fix["applicability"] == "unsafe" and fix["edits"]


def test_project_without_a_writer_gets_the_inline_rewrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fix = _io306(_project(tmp_path, {"pkg/user.py": USER}), capsys)
    assert fix["applicability"] == "unsafe"
    assert any("_atomic_write" in str(e["content"]) for e in fix["edits"])  # type: ignore[attr-defined, index]


def test_renames_without_a_file_beside_the_target_are_not_writers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path, {"pkg/moves.py": NOT_WRITERS, "pkg/user.py": USER})
    fix = _io306(root, capsys)
    assert fix["applicability"] == "unsafe" and fix["edits"]


def test_writers_in_tests_and_vendored_code_do_not_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "pkg/tests/__init__.py": "",
        "pkg/tests/helpers.py": MKSTEMP_FUNCTION,
        "pkg/_vendor/__init__.py": "",
        "pkg/_vendor/lib.py": MKSTEMP_FUNCTION,
        "pkg/user.py": USER,
    }
    fix = _io306(_project(tmp_path, files), capsys)
    assert fix["applicability"] == "unsafe" and fix["edits"]


def test_fix_on_the_command_line_leaves_the_file_and_shows_the_advice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``iolint check --fix --unsafe-fixes`` end to end: the file with the project's writer
    nearby is not rewritten; in a project without one, the same file is."""
    with_writer = _project(
        tmp_path / "a", {"pkg/writers.py": MKSTEMP_FUNCTION, "pkg/user.py": USER}
    )
    without = _project(tmp_path / "b", {"pkg/user.py": USER})
    for root in (with_writer, without):
        main(
            ["check", "--fix", "--unsafe-fixes", "--no-cache", "--output-format", "full", str(root)]
        )
    out = capsys.readouterr().out
    assert (with_writer / "pkg/user.py").read_text() == USER
    assert "pkg.writers.write_file_atomically" in out
    fixed = (without / "pkg/user.py").read_text()
    assert fixed != USER and "with _atomic_write(path," in fixed


def test_a_changed_helper_module_changes_the_advice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The per-module facts are cached by content: a helper that stops renaming stops being
    the project's writer in the same process."""
    root = _project(tmp_path, {"pkg/writers.py": MKSTEMP_FUNCTION, "pkg/user.py": USER})
    assert _io306(root, capsys)["applicability"] == "display-only"
    (root / "pkg/writers.py").write_text(MKSTEMP_FUNCTION.replace("os.replace(tmp, path)", ""))
    assert _io306(root, capsys)["applicability"] == "unsafe"


# ---------------------------------------------------------------------- the module facts


def _facts(source: str, module: str = "pkg.mod") -> WriterFacts:
    return module_writers(ast.parse(textwrap.dedent(source)), module, False)


def _shapes(source: str, module: str = "pkg.mod") -> dict[str, str]:
    return {w.name: w.shape for w in _facts(source, module).writers}


def test_shapes_of_writers() -> None:
    assert _shapes(MKSTEMP_FUNCTION) == {"write_file_atomically": FUNCTION}
    assert _shapes(CONTEXT_MANAGER_WRITER) == {"replacing": CONTEXT_MANAGER}
    assert _shapes(LOCK_FILE_CLASS) == {"LockedFile": CLASS}
    assert _shapes(TEMP_MAKER, "pkg.fs") == {"adjacent_tmp": TEMP_FILE}
    assert _facts(TEMP_MAKER, "pkg.fs").renamers == ("replace",)
    use = _facts(TEMP_USER, "pkg.cache").writers
    assert [(w.shape, w.temp_from, w.renamed_by) for w in use] == [
        (USE, "pkg.fs.adjacent_tmp", "pkg.fs.replace")
    ]


def test_method_that_replaces_its_own_path_object() -> None:
    """hatch's ``Path.write_atomic``: the object is the target, the temp file goes in its
    parent directory."""
    source = """\
    import os
    import pathlib


    class Path(pathlib.Path):
        def write_atomic(self, data, *args, **kwargs):
            from tempfile import mkstemp

            fd, path = mkstemp(dir=self.parent)
            with os.fdopen(fd, *args, **kwargs) as f:
                f.write(data)
            os.replace(path, self)
    """
    assert _shapes(source) == {"Path.write_atomic": METHOD}


def test_backup_restored_by_a_rename_wrapper_and_a_wrapper_of_the_writer() -> None:
    """jupyter_server's ``atomic_writing``: a copy beside the target is renamed back by the
    module's own ``replace_file`` when the block fails; the mixin method wrapping it is a
    writer too, and so is a ``GitFile``-style factory returning the lock-file class."""
    source = """\
    import os
    import shutil
    from contextlib import contextmanager


    def replace_file(src, dst):
        os.replace(src, dst)


    def intermediate(path):
        dirname, basename = os.path.split(path)
        return os.path.join(dirname, ".~" + basename)


    @contextmanager
    def atomic_writing(path, encoding="utf-8"):
        tmp_path = intermediate(path)
        shutil.copy2(path, tmp_path)
        f = open(path, "w", encoding=encoding)
        try:
            yield f
        except BaseException:
            f.close()
            replace_file(tmp_path, path)
            raise
        f.close()
        os.remove(tmp_path)


    class Mixin:
        @contextmanager
        def atomic_writing(self, os_path):
            with atomic_writing(os_path) as f:
                yield f
    """
    facts = _facts(source)
    assert facts.renamers == ("replace_file",)
    assert {w.name: w.shape for w in facts.writers} == {
        "atomic_writing": CONTEXT_MANAGER,
        "Mixin.atomic_writing": METHOD,
    }
    factory = LOCK_FILE_CLASS + textwrap.dedent(
        """

        def LockFile(filename, mode="rb"):
            if "w" in mode:
                return LockedFile(filename, mode)
            return open(filename, mode)
        """
    )
    assert _shapes(factory) == {"LockedFile": CLASS, "LockFile": FUNCTION}


@pytest.mark.parametrize(
    "source",
    [
        NOT_WRITERS,
        # A restore of a backup by a reader: nothing here writes the file.
        """\
        import os

        def read_or_restore(path):
            try:
                with open(path) as f:
                    return f.read()
            except ValueError:
                os.replace(path + ".bak", path)
                raise
        """,
        # A temp file somewhere else (the system's temp directory) renamed onto the target:
        # a rename across file systems is not atomic; not the project's atomic writer.
        """\
        import os
        import tempfile

        def save(path, data):
            fd, tmp = tempfile.mkstemp()
            os.write(fd, data)
            os.close(fd)
            os.replace(tmp, path)
        """,
        # A directory swapped in through a sibling name (pipx's _install_atomically).
        """\
        import shutil
        from pathlib import Path

        def install_atomically(source, install_dir):
            staging = install_dir.with_name(f".{install_dir.name}.incoming")
            if staging.exists():
                shutil.rmtree(staging)
            shutil.move(str(source), str(staging))
            Path(staging).replace(install_dir)
        """,
        # str.replace with two arguments is not a rename.
        """\
        def save(path, text):
            with open(path + ".tmp", "w") as f:
                f.write(text.replace("a", "b"))
        """,
    ],
)
def test_not_atomic_writers(source: str) -> None:
    assert _facts(source).writers == ()


def test_index_caches_the_facts_by_content(tmp_path: Path) -> None:
    root = _project(tmp_path, {"pkg/writers.py": MKSTEMP_FUNCTION})
    cache = tmp_path / "cache"
    cache.mkdir()
    first = ProjectIndex(root, cache).atomic_writers(root / "pkg")
    assert [w.qualname for w in first] == ["pkg.writers.write_file_atomically"]
    assert list(cache.glob("*.writers.json"))
    # A second process (a new index) reads the entry instead of parsing the module again.
    (entry,) = cache.glob("*.writers.json")
    data = json.loads(entry.read_text())
    data["facts"]["writers"][0]["name"] = "from_the_cache"
    entry.write_text(json.dumps(data))
    again = ProjectIndex(root, cache).atomic_writers(root / "pkg")
    assert [w.qualname for w in again] == ["pkg.writers.from_the_cache"]


def test_rewrite_of_what_was_read_from_the_target_is_not_a_writer() -> None:
    """Twisted's release tooling ``replaceInFile`` and pdm's sysconfig patcher rename a
    sibling onto the target, but what they write is the target's own text, transformed: no
    caller can write its content through them."""
    source = """\
    import os


    def replace_in_file(filename, old_to_new):
        with open(filename) as f:
            text = f.read()
        for old, new in old_to_new.items():
            text = text.replace(old, new)
        with open(filename + ".new", "w") as f:
            f.write(text)
        os.rename(filename + ".new", filename)
    """
    assert _facts(source).writers == ()


# A path class whose method writes atomically (hatch's shape), and a user that never handles
# one of its objects.
PATH_CLASS = """\
import os
import pathlib
from tempfile import mkstemp


class Path(pathlib.Path):
    def write_atomic(self, data, *args, **kwargs):
        fd, tmp = mkstemp(dir=self.parent)
        with os.fdopen(fd, *args, **kwargs) as f:
            f.write(data)
        os.replace(tmp, self)
"""


def test_method_writer_counts_only_where_its_class_is_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {"pkg/fs.py": PATH_CLASS, "pkg/user.py": USER}
    fix = _io306(_project(tmp_path / "a", files), capsys)
    assert fix["applicability"] == "unsafe" and fix["edits"]
    uses = "from pkg.fs import Path\n\n\n" + USER
    fix = _io306(_project(tmp_path / "b", {**files, "pkg/user.py": uses}), capsys)
    assert fix["applicability"] == "display-only" and not fix["edits"]
    assert "`pkg.fs.Path.write_atomic` (pkg/fs.py:7)" in str(fix["message"])


def test_path_object_method_and_a_directory_with_a_fallback() -> None:
    """Twisted's ``FilePath.setContent`` (the object is made for the target in ``__init__``,
    a sibling it makes is written and renamed onto ``self.asBytesMode().path``), and pdm's
    ``atomic_open_for_write`` (``dir=os.path.dirname(filename) or "."``)."""
    file_path = """\
    from os.path import abspath
    import os


    class FilePath:
        def __init__(self, path):
            self.path = abspath(path)

        def asBytesMode(self):
            return FilePath(os.fsencode(self.path))

        def temporarySibling(self, extension):
            return FilePath(self.path + extension)

        def open(self, mode="r"):
            return open(self.path, mode + "b")

        def setContent(self, content, ext=".new"):
            sib = self.temporarySibling(ext)
            with sib.open("w") as f:
                f.write(content)
            os.rename(sib.path, self.asBytesMode().path)
    """
    assert _shapes(file_path) == {"FilePath.setContent": METHOD}
    fallback = """\
    import contextlib
    import os
    import tempfile


    @contextlib.contextmanager
    def atomic_open_for_write(filename, *, mode="w"):
        dirname = os.path.dirname(filename) or "."
        fd, name = tempfile.mkstemp(prefix="atomic-write-", dir=dirname)
        fp = os.fdopen(fd, mode)
        try:
            yield fp
        finally:
            fp.close()
        os.replace(name, filename)
    """
    assert _shapes(fallback) == {"atomic_open_for_write": CONTEXT_MANAGER}


def _io306_cached(root: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    capsys.readouterr()
    main(["check", "--exit-zero", "--jobs", "1", "--output-format", "json", str(root)])
    (found,) = [f for f in json.loads(capsys.readouterr().out) if f["code"] == "IO306"]
    fix = found["fix"]
    assert isinstance(fix, dict)
    return fix


def test_cached_result_follows_the_projects_writers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the result cache, user.py's unchanged bytes are not enough: its advice named the
    writers of the package, and a helper that stops renaming makes the cached entry stale
    (the writers are recorded among the file's dependencies, like the modules it read)."""
    root = _project(tmp_path, {"pkg/writers.py": MKSTEMP_FUNCTION, "pkg/user.py": USER})
    assert _io306_cached(root, capsys)["applicability"] == "display-only"
    assert list((root / ".iolint_cache").rglob("*.writers.json"))
    assert _io306_cached(root, capsys)["applicability"] == "display-only"  # a cache hit
    (root / "pkg/writers.py").write_text(MKSTEMP_FUNCTION.replace("os.replace(tmp, path)", ""))
    assert _io306_cached(root, capsys)["applicability"] == "unsafe"
    (root / "pkg/writers.py").write_text(MKSTEMP_FUNCTION)
    assert _io306_cached(root, capsys)["applicability"] == "display-only"
