"""IO3xx fixes keep behaviour: golden outputs, and the code run before and after each fix on
real files (contents, modes, symlinks, bytes paths), with faults injected (fsync and replace
failing, an exception in the block): the error surfaces, the old file stays, no temp file and
no descriptor is left behind. Every fixed output is also checked for new pyflakes findings and
for imports out of isort order (ruff ``F`` and ``I``)."""

from __future__ import annotations

import ast
import errno
import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from helpers import lint

from iolint.diagnostics import Applicability, Diagnostic
from iolint.fix import apply_edits, fix_text
from iolint.fixes.atomic import helper_source
from iolint.fixes.fsync import dir_helper_source
from iolint.fixes.imports import import_edits
from iolint.model import ModuleModel
from iolint.model.source import SourceText
from iolint.registry import all_rules
from iolint.rules.base import RuleOptions

IO3 = [r.code for r in all_rules() if r.code.startswith("IO3") and r.default_enabled]
EVERY_RULE = [r.code for r in all_rules()]


def fix_of(source: str, code: str) -> tuple[str, Diagnostic]:
    """The text after the fix of the only ``code`` finding."""
    source = textwrap.dedent(source)
    found = [d for d in lint(source, [code]) if d.code == code]
    assert len(found) == 1, found
    assert found[0].fix is not None and found[0].fix.edits, found[0]
    return apply_edits(source, found[0].fix.edits), found[0]


def no_fix(source: str, code: str) -> Diagnostic:
    found = [d for d in lint(textwrap.dedent(source), [code]) if d.code == code]
    assert len(found) == 1, found
    return found[0]


def assert_clean(fixed: str) -> None:
    """The fixed code lints clean under iolint (every rule, strict too, minus the opt-in
    macOS note), has no pyflakes finding and keeps its imports sorted."""
    leftovers = [
        d.code for d in lint(fixed, EVERY_RULE, RuleOptions(strict=True)) if d.code != "IO308"
    ]
    assert leftovers == [], (leftovers, fixed)
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    result = subprocess.run(
        [
            ruff,
            "check",
            "--no-cache",
            "--isolated",
            "--select",
            "F,I",
            "--stdin-filename",
            "fixed.py",
            "-",
        ],
        input=fixed,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + fixed


def assert_sorted(text: str) -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    result = subprocess.run(
        [
            ruff,
            "check",
            "--no-cache",
            "--isolated",
            "--select",
            "I",
            "--stdin-filename",
            "x.py",
            "-",
        ],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def load(source: str, name: str) -> Callable[..., Any]:
    namespace: dict[str, Any] = {"__name__": "fixed_module"}
    exec(compile(textwrap.dedent(source), f"<{name}>", "exec"), namespace)
    return namespace[name]  # type: ignore[no-any-return]


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def failing(real: Callable[..., Any], err: int = errno.EIO) -> Callable[..., Any]:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise OSError(err, os.strerror(err))

    return fail


linux_only = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts /proc fds")

# ----------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    "helper", [helper_source("_atomic_write"), dir_helper_source("_fsync_directory")]
)
def test_helpers_are_formatted_and_fit_79_columns(helper: str) -> None:
    # A project that checks `ruff format`/black, or flake8's default 79 columns, still passes.
    assert max(len(line) for line in helper.splitlines()) <= 79
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    text = "import contextlib\nimport errno\nimport os\n\n\n" + helper
    result = subprocess.run(
        [ruff, "format", "--isolated", "--line-length", "79", "--check", "-"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# ----------------------------------------------------------------------------- imports


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # Sorted among the plain imports of the standard-library section.
        (
            '"""Doc."""\nimport json\nimport sys\n\nimport requests\n\nX = 1\n',
            '"""Doc."""\nimport errno\nimport json\nimport os\nimport sys\n\nimport requests\n'
            "\nX = 1\n",
        ),
        # Plain imports before the from-imports of the section.
        (
            "from pathlib import Path\n\nX = Path()\n",
            "import errno\nimport os\nfrom pathlib import Path\n\nX = Path()\n",
        ),
        # A new standard-library section before the third-party one.
        (
            "import requests\n\nX = requests\n",
            "import errno\nimport os\n\nimport requests\n\nX = requests\n",
        ),
        # After the docstring and `from __future__`.
        (
            '"""Doc."""\nfrom __future__ import annotations\n\n\ndef f():\n    pass\n',
            '"""Doc."""\nfrom __future__ import annotations\n\nimport errno\nimport os\n\n\n'
            "def f():\n    pass\n",
        ),
        ('"""Doc."""\nX = 1\n', '"""Doc."""\n\nimport errno\nimport os\n\nX = 1\n'),
        ("X = 1\n", "import errno\nimport os\n\nX = 1\n"),
    ],
)
def test_added_imports_join_the_block_in_sort_order(before: str, after: str) -> None:
    model = ModuleModel(ast.parse(before), SourceText(before))
    out = apply_edits(before, import_edits(model, ["os", "errno"]))
    assert out == after
    assert_sorted(out)


# ----------------------------------------------------------------------------- IO306

JSON_SAVE = '''\
"""Settings."""
import json


def save_settings(path, settings):
    # The whole file is rewritten.
    with open(path, "w", encoding="utf-8", newline="\\n") as f:
        json.dump(settings, f, indent=2, ensure_ascii=False)
        f.write("\\n")  # trailing newline
    return path
'''

SETTINGS = {"name": "café", "n": [1, 2, 3]}


@pytest.fixture(scope="module")
def json_fixed() -> str:
    out, diag = fix_of(JSON_SAVE, "IO306")
    assert diag.fix is not None and diag.fix.applicability is Applicability.UNSAFE
    return out


def test_io306_golden(json_fixed: str) -> None:
    # Only the callee of the with changes: body, comments and arguments stay.
    assert (
        "    # The whole file is rewritten.\n"
        '    with _atomic_write(path, "w", encoding="utf-8", newline="\\n") as f:\n'
        "        json.dump(settings, f, indent=2, ensure_ascii=False)\n"
        '        f.write("\\n")  # trailing newline\n'
        "    return path\n"
    ) in json_fixed
    # Imports join the block in sort order, the helper comes after them.
    assert json_fixed.startswith(
        '"""Settings."""\nimport contextlib\nimport errno\nimport json\nimport os\nimport stat\n'
        "\n\n@contextlib.contextmanager\ndef _atomic_write(path, mode="
    )
    assert_clean(json_fixed)


def _run_both(tmp_path: Path, fixed: str, prepare: Callable[[Path], Path]) -> tuple[Path, Path]:
    """Run the original and the fixed save on two prepared copies; return their targets."""
    results = []
    for label, source in (("before", JSON_SAVE), ("after", fixed)):
        root = tmp_path / label
        root.mkdir()
        target = prepare(root)
        assert load(source, "save_settings")(str(target), SETTINGS) == str(target)
        results.append(target)
    return results[0], results[1]


@pytest.mark.parametrize("mode", [0o644, 0o755, 0o600, 0o664])
def test_io306_keeps_content_and_mode(tmp_path: Path, json_fixed: str, mode: int) -> None:
    def prepare(root: Path) -> Path:
        target = root / "settings.json"
        target.write_text("old\n")
        target.chmod(mode)
        return target

    before, after = _run_both(tmp_path, json_fixed, prepare)
    assert after.read_bytes() == before.read_bytes()
    assert after.stat().st_mode == before.stat().st_mode
    assert sorted(os.listdir(after.parent)) == ["settings.json"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="only root gives files away")
def test_io306_keeps_another_users_ownership_when_root(tmp_path: Path, json_fixed: str) -> None:
    def prepare(root: Path) -> Path:
        target = root / "group"
        target.write_text("old\n")
        os.chown(target, 12345, 23456)
        target.chmod(0o644)
        return target

    before, after = _run_both(tmp_path, json_fixed, prepare)
    assert (after.stat().st_uid, after.stat().st_gid) == (12345, 23456)
    assert after.stat().st_mode == before.stat().st_mode
    assert after.read_bytes() == before.read_bytes()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_io306_a_fifo_target_is_written_not_replaced(tmp_path: Path, json_fixed: str) -> None:
    # /dev/null or /dev/stdout given as the target must never become a regular file.
    fifo = tmp_path / "out"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        load(json_fixed, "save_settings")(str(fifo), SETTINGS)
        received = os.read(reader, 65536)
    finally:
        os.close(reader)
    assert fifo.is_fifo()
    assert json.loads(received.decode("utf-8")) == SETTINGS
    assert sorted(os.listdir(tmp_path)) == ["out"]


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077])
def test_io306_new_target_gets_the_umask_mode_like_open(
    tmp_path: Path, json_fixed: str, mask: int
) -> None:
    with umask(mask):
        before, after = _run_both(tmp_path, json_fixed, lambda root: root / "new.json")
    assert after.read_bytes() == before.read_bytes()
    assert after.stat().st_mode == before.stat().st_mode == 0o100666 & ~mask


def test_io306_symlink_stays_a_symlink(tmp_path: Path, json_fixed: str) -> None:
    def prepare(root: Path) -> Path:
        (root / "real").mkdir()
        real = root / "real" / "settings.json"
        real.write_text("old\n")
        real.chmod(0o640)
        link = root / "settings.json"
        link.symlink_to(real)
        return link

    before, after = _run_both(tmp_path, json_fixed, prepare)
    assert after.is_symlink() and before.is_symlink()
    assert after.resolve() == tmp_path / "after" / "real" / "settings.json"
    assert after.resolve().read_bytes() == before.resolve().read_bytes()
    assert after.resolve().stat().st_mode & 0o777 == 0o640
    assert sorted(os.listdir(after.parent / "real")) == ["settings.json"]


def test_io306_bytes_and_path_objects(tmp_path: Path, json_fixed: str) -> None:
    save = load(json_fixed, "save_settings")
    reference = tmp_path / "ref.json"
    load(JSON_SAVE, "save_settings")(str(reference), SETTINGS)
    as_bytes = os.fsencode(tmp_path / "b.json")
    assert save(as_bytes, SETTINGS) == as_bytes
    save(tmp_path / "p.json", SETTINGS)
    for name in ("b.json", "p.json"):
        assert (tmp_path / name).read_bytes() == reference.read_bytes()
    assert sorted(os.listdir(tmp_path)) == ["b.json", "p.json", "ref.json"]


@linux_only
@pytest.mark.parametrize("broken", ["fsync", "replace"])
@pytest.mark.parametrize("err", [errno.EIO, errno.ENOSPC])
def test_io306_failure_keeps_the_old_file_and_cleans_up(
    tmp_path: Path, json_fixed: str, broken: str, err: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "settings.json"
    target.write_text("old\n")
    save = load(json_fixed, "save_settings")
    fds = open_fds()
    monkeypatch.setattr(os, broken, failing(getattr(os, broken), err))
    with pytest.raises(OSError) as raised:
        save(str(target), SETTINGS)
    monkeypatch.undo()
    assert raised.value.errno == err  # the original error, not a cleanup error
    assert target.read_text() == "old\n"
    assert sorted(os.listdir(tmp_path)) == ["settings.json"]
    assert open_fds() == fds


@linux_only
def test_io306_exception_in_the_block_surfaces_and_keeps_the_old_file(
    tmp_path: Path, json_fixed: str
) -> None:
    target = tmp_path / "settings.json"
    target.write_text("old\n")
    fds = open_fds()
    for source in (JSON_SAVE, json_fixed):
        with pytest.raises(TypeError):  # json cannot encode a set: the same error before
            load(source, "save_settings")(str(target), {"bad": {1}})
        if source is JSON_SAVE:
            assert target.read_text() != "old\n"  # the old code lost the file
            target.write_text("old\n")
    assert target.read_text() == "old\n"
    assert sorted(os.listdir(tmp_path)) == ["settings.json"]
    assert open_fds() == fds


def test_io306_missing_directory_raises_like_open(tmp_path: Path, json_fixed: str) -> None:
    target = tmp_path / "missing" / "settings.json"
    for source in (JSON_SAVE, json_fixed):
        with pytest.raises(FileNotFoundError):
            load(source, "save_settings")(str(target), SETTINGS)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write anything")
def test_io306_read_only_target_still_raises(tmp_path: Path, json_fixed: str) -> None:
    target = tmp_path / "settings.json"
    target.write_text("old\n")
    target.chmod(0o444)
    for source in (JSON_SAVE, json_fixed):
        with pytest.raises(PermissionError):
            load(source, "save_settings")(str(target), SETTINGS)
    assert target.read_text() == "old\n"


PATH_SAVE = """\
import json
from pathlib import Path


def save_settings(path: Path, data):
    path.write_text(json.dumps(data), encoding="utf-8")  # the settings


def save_blob(path: Path, blob):
    path.write_bytes(blob)
"""


def test_io306_path_write_text_and_bytes(tmp_path: Path) -> None:
    outcome = fix_text(PATH_SAVE, lambda t: lint(t, IO3), unsafe=True)
    assert [d.code for d in outcome.fixed] == ["IO306", "IO306"]
    out = outcome.text
    assert (
        '    with _atomic_write(path, "w", encoding="utf-8") as f:\n'
        "        f.write(json.dumps(data))  # the settings\n"
    ) in out
    assert '    with _atomic_write(path, "wb") as f:\n        f.write(blob)\n' in out
    assert_clean(out)
    for label, source in (("a", PATH_SAVE), ("b", out)):
        root = tmp_path / label
        root.mkdir()
        for name in ("s.json", "b.bin"):
            (root / name).write_text("old")
            (root / name).chmod(0o640)
        load(source, "save_settings")(root / "s.json", {"é": 1})
        load(source, "save_blob")(root / "b.bin", b"\x00\x01")
        load(source, "save_blob")(root / "new.bin", bytearray(b"new"))
    for name in ("s.json", "b.bin", "new.bin"):
        a, b = tmp_path / "a" / name, tmp_path / "b" / name
        assert a.read_bytes() == b.read_bytes()
        assert a.stat().st_mode == b.stat().st_mode
    assert sorted(os.listdir(tmp_path / "b")) == ["b.bin", "new.bin", "s.json"]


def test_io306_path_write_text_with_a_used_count_gets_no_fix() -> None:
    diag = no_fix(
        """
        def save_settings(path, text):
            return path.write_text(text)
        """,
        "IO306",
    )
    assert diag.fix is None


def test_io306_helper_goes_above_the_comment_of_the_next_statement() -> None:
    source = (
        '"""Doc."""\nimport json\n\n# The default.\nX = 8\n\n\n'
        'def save_settings(path, data):\n    with open(path, "w") as f:\n'
        "        json.dump(data, f)\n"
    )
    out, _ = fix_of(source, "IO306")
    assert "import stat\n\n\n@contextlib.contextmanager\ndef _atomic_write(" in out
    assert "        os.close(dir_fd)\n\n\n# The default.\nX = 8\n\n\ndef save_settings" in out
    assert_clean(out)


def _e402(fixed: str) -> list[str]:
    """Imports that ruff's E402 finds below module code (a helper put above them)."""
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    result = subprocess.run(
        [ruff, "check", "--no-cache", "--isolated", "--select", "E402", "-"],
        input=fixed,
        capture_output=True,
        text=True,
        check=False,
    )
    return [line for line in result.stdout.splitlines() if "E402" in line]


@pytest.mark.parametrize(
    "header",
    [
        # dulwich: the module dunders first, as PEP 8 says, then the imports.
        '"""Doc."""\n\n__all__ = [\n    "save",\n]\n\nimport json\nimport os\n',
        # pipx: the same after a future import.
        'from __future__ import annotations\n\n__lazy_modules__ = ["json"]\n\n'
        "import json\nimport os\n",
        # dulwich's worktree.py: imports go on after an ``if TYPE_CHECKING:`` block.
        "import json\nfrom typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
        "    from pathlib import Path\nimport os\n",
    ],
)
def test_io306_helper_goes_below_the_whole_import_block(header: str) -> None:
    annotation = ': "Path"' if "TYPE_CHECKING" in header else ""
    source = header + (
        f'\n\ndef save(path{annotation}, data):\n    with open(path, "w") as f:\n'
        "        json.dump(data, f)\n"
    )
    out, _ = fix_of(source, "IO306")
    assert "def _atomic_write(" in out
    assert out.index("def _atomic_write(") > out.index("import os\n")
    assert _e402(out) == []
    assert_clean(out)


def test_io306_second_rewrite_calls_the_helper_the_first_added() -> None:
    source = textwrap.dedent(
        """\
        import json


        def save_a(path, data):
            with open(path, "w", encoding="utf-8") as f:
                json.dump(data, f)


        def save_b(path, blob):
            with open(path, "wb") as f:
                f.write(blob)
        """
    )
    outcome = fix_text(source, lambda t: lint(t, IO3), unsafe=True)
    assert [d.code for d in outcome.fixed] == ["IO306", "IO306"]
    assert outcome.text.count("def _atomic_write(") == 1
    assert '    with _atomic_write(path, "wb") as f:\n' in outcome.text
    assert_clean(outcome.text)


def test_io306_calls_the_modules_own_context_manager() -> None:
    helper = textwrap.dedent(
        """\
        import contextlib
        import os
        import tempfile


        @contextlib.contextmanager
        def atomic_open(path, mode="w", *args, **kwargs):
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)))
            try:
                with open(fd, mode, *args, **kwargs) as f:
                    yield f
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
            except BaseException:
                os.unlink(tmp)
                raise


        def save_config(path, text):
            with open(path, "w") as f:
                f.write(text)
        """
    )
    out, _ = fix_of(helper, "IO306")
    assert '    with atomic_open(path, "w") as f:\n' in out
    assert "_atomic_write" not in out


def test_io306_display_only_beside_another_atomic_writer() -> None:
    diag = no_fix(
        """
        import os


        def write_atomic(path, blob):
            with open(path + ".tmp", "wb") as f:
                f.write(blob)
                f.flush()
                os.fsync(f.fileno())
            os.replace(path + ".tmp", path)


        def save_config(path, text):
            with open(path, "w") as f:
                f.write(text)
        """,
        "IO306",
    )
    assert diag.fix is not None and diag.fix.applicability is Applicability.DISPLAY_ONLY
    assert "`write_atomic()`" in diag.fix.message and diag.fix.edits == ()


def test_io306_a_writer_of_its_own_file_is_not_a_helper() -> None:
    _, diag = fix_of(
        """
        import os


        def save_state(blob):
            with open("state.tmp", "wb") as f:
                f.write(blob)
                f.flush()
                os.fsync(f.fileno())
            os.replace("state.tmp", "state")


        def save_config(path, text):
            with open(path, "w") as f:
                f.write(text)
        """,
        "IO306",
    )
    assert diag.fix is not None and diag.fix.applicability is Applicability.UNSAFE


def test_io306_display_only_under_etc() -> None:
    diag = no_fix(
        """
        GROUP = "/etc/group"


        def save_groups(lines):
            with open(GROUP, "w") as f:
                f.writelines(lines)
        """,
        "IO306",
    )
    assert diag.fix is not None and diag.fix.applicability is Applicability.DISPLAY_ONLY


@pytest.mark.parametrize(
    "body",
    [
        "        f.write(text)\n        print(f.name)\n",  # f.name would be a descriptor
        "        f.write(text)\n        print(open(path).read())\n",  # reads the target
    ],
)
def test_io306_no_rewrite_when_the_block_sees_the_file(body: str) -> None:
    diag = no_fix("def save(path, text):\n    with open(path, 'w') as f:\n" + body, "IO306")
    assert diag.fix is None


@pytest.mark.parametrize("call", ["open(path, 'w', opener=op)", "open(path, 'w', 1, None, *rest)"])
def test_io306_no_rewrite_with_arguments_it_cannot_pass_on(call: str) -> None:
    source = f"def save(path, text, op, rest):\n    with {call} as f:\n        f.write(text)\n"
    assert no_fix(source, "IO306").fix is None


def test_io306_no_helper_when_the_module_rebinds_open() -> None:
    source = """
        import io

        open = io.open


        def save(path, text):
            with io.open(path, "w") as f:
                f.write(text)
        """
    assert no_fix(source, "IO306").fix is None


# ----------------------------------------------------------------------------- IO302 / IO303

FINALLY_SAVE = """\
import os


def save_state(path, data):
    f = open(path + ".tmp", "w")
    try:
        f.write(data)
    finally:
        f.close()
    os.replace(path + ".tmp", path)
"""


def test_io302_fsync_goes_in_the_try_body_never_in_finally(tmp_path: Path) -> None:
    out, _ = fix_of(FINALLY_SAVE, "IO302")
    assert (
        "    try:\n"
        "        f.write(data)\n"
        "        f.flush()\n"
        "        os.fsync(f.fileno())\n"
        "    finally:\n"
        "        f.close()\n"
    ) in out
    # The same fix adds the directory fsync IO303 would ask for next: one pass, all changes.
    assert '    os.replace(path + ".tmp", path)\n    _fsync_directory(path)\n' in out
    assert out.startswith("import errno\nimport os\n\n\ndef _fsync_directory(path):\n")
    assert_clean(out)
    for source, name in ((FINALLY_SAVE, "a"), (out, "b")):
        load(source, "save_state")(str(tmp_path / name), "data\n")
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()
    assert sorted(os.listdir(tmp_path)) == ["a", "b"]


@linux_only
def test_io302_failed_fsync_surfaces_and_closes_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, _ = fix_of(FINALLY_SAVE, "IO302")
    target = tmp_path / "state"
    target.write_text("old")
    save = load(out, "save_state")
    fds = open_fds()
    monkeypatch.setattr(os, "fsync", failing(os.fsync))
    with pytest.raises(OSError) as raised:
        save(str(target), "new")
    monkeypatch.undo()
    assert raised.value.errno == errno.EIO
    assert target.read_text() == "old"  # not published
    assert open_fds() == fds


def test_io302_and_io303_one_pass_counts_every_change() -> None:
    first = [d for d in lint(FINALLY_SAVE, IO3) if d.fix is not None]
    outcome = fix_text(FINALLY_SAVE, lambda t: lint(t, IO3), unsafe=True)
    assert [d.code for d in outcome.fixed] == [d.code for d in first] == ["IO302"]
    assert [d.code for d in outcome.remaining] == []


def test_two_publishes_share_one_directory_helper() -> None:
    source = ZIP_SAVE + "\n\n" + FINALLY_SAVE.replace("import os\n", "")
    first = [d for d in lint(source, IO3) if d.fix is not None]
    outcome = fix_text(source, lambda t: lint(t, IO3), unsafe=True)
    assert [d.code for d in outcome.fixed] == [d.code for d in first] == ["IO302", "IO302"]
    assert outcome.text.count("def _fsync_directory(") == 1
    assert outcome.text.count("    _fsync_directory(path)\n") == 2
    assert outcome.remaining == ()
    assert_clean(outcome.text)


# A save that fsyncs its file but not the directory: IO303's fix adds the helper.
FSYNCED_STATE_SAVE = """\
import os


def write_state(tmp, path, blob):
    with open(tmp, "wb") as f:
        f.write(blob)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
"""


def test_io303_directory_fsync_tolerates_file_systems_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = FSYNCED_STATE_SAVE
    out, diag = fix_of(source, "IO303")
    assert diag.fix is not None and diag.fix.applicability is Applicability.UNSAFE
    assert_clean(out)
    save = load(out, "write_state")
    real_fsync = os.fsync

    def no_dir_sync(fd: int) -> None:
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            raise OSError(errno.EINVAL, "directory fsync not supported")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", no_dir_sync)
    # Bytes paths work, and EINVAL from the directory fsync is not an error.
    save(os.fsencode(tmp_path / "state.tmp"), os.fsencode(tmp_path / "state"), b"blob")
    monkeypatch.undo()
    assert (tmp_path / "state").read_bytes() == b"blob"


def test_io303_directory_fsync_skips_a_directory_it_cannot_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A directory with mode 0333 can be written into but not opened for reading (as anyone
    # but root): the rename has happened, and failing after it would report an error for a
    # file that is in place (mitogen's transfer_file, reviewed on the precision packages).
    source = FSYNCED_STATE_SAVE
    out, _ = fix_of(source, "IO303")
    save = load(out, "write_state")
    real_open = os.open

    def unreadable_dirs(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if os.path.isdir(path) and flags == os.O_RDONLY:
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", unreadable_dirs)
    save(str(tmp_path / "state.tmp"), str(tmp_path / "state"), b"blob")
    monkeypatch.undo()
    assert (tmp_path / "state").read_bytes() == b"blob"
    assert not (tmp_path / "state.tmp").exists()


DESCRIPTOR_SAVE = """\
import os


def store(path, blob):
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        n = os.write(fd, blob)
        assert n == len(blob)
    finally:
        os.close(fd)
    os.replace(path + ".tmp", path)
"""


def test_io302_descriptor_save_keeps_content_and_mode(tmp_path: Path) -> None:
    out, _ = fix_of(DESCRIPTOR_SAVE, "IO302")
    assert "        os.fsync(fd)\n    finally:\n        os.close(fd)\n    os.replace(" in out
    assert_clean(out)
    with umask(0o022):
        for source, name in ((DESCRIPTOR_SAVE, "a"), (out, "b")):
            load(source, "store")(str(tmp_path / name), b"blob")
    for attr in ("read_bytes",):
        assert getattr(tmp_path / "a", attr)() == getattr(tmp_path / "b", attr)()
    assert (tmp_path / "a").stat().st_mode == (tmp_path / "b").stat().st_mode
    assert sorted(os.listdir(tmp_path)) == ["a", "b"]


PUBLISH_IN_BLOCK = """\
import os


def save_state(path, data):
    with open(path + ".tmp", "w") as f:
        f.write(data)
        os.replace(path + ".tmp", path)
"""


def test_io302_fsync_before_a_publish_inside_the_block(tmp_path: Path) -> None:
    out, _ = fix_of(PUBLISH_IN_BLOCK, "IO302")
    assert (
        "        f.write(data)\n"
        "        f.flush()\n"
        "        os.fsync(f.fileno())\n"
        '        os.replace(path + ".tmp", path)\n'
        "        _fsync_directory(path)\n"
    ) in out
    assert_clean(out)
    for source, name in ((PUBLISH_IN_BLOCK, "a"), (out, "b")):
        load(source, "save_state")(str(tmp_path / name), "state")
    assert (tmp_path / "a").read_text() == (tmp_path / "b").read_text() == "state"


ZIP_SAVE = """\
import os
import zipfile


def save_bundle(path, names):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        with zipfile.ZipFile(f, "w") as z:
            for n in names:
                z.writestr(n, n * 3)
    os.replace(tmp, path)
"""


def test_io302_fsync_waits_for_the_zip_trailer(tmp_path: Path) -> None:
    out, _ = fix_of(ZIP_SAVE, "IO302")
    assert (
        "                z.writestr(n, n * 3)\n"
        "        f.flush()\n"
        "        os.fsync(f.fileno())\n"
        "    os.replace(tmp, path)\n"
    ) in out
    assert_clean(out)
    synced_sizes: list[int] = []
    real_fsync = os.fsync

    def recording(fd: int) -> None:
        synced_sizes.append(os.fstat(fd).st_size)
        real_fsync(fd)

    for source, name in ((ZIP_SAVE, "a.zip"), (out, "b.zip")):
        if source is out:
            os.fsync = recording  # type: ignore[assignment]
        try:
            load(source, "save_bundle")(str(tmp_path / name), ["x", "y"])
        finally:
            os.fsync = real_fsync
    a, b = (zipfile.ZipFile(tmp_path / n) for n in ("a.zip", "b.zip"))
    with a, b:
        assert b.testzip() is None
        assert {i: b.read(i) for i in b.namelist()} == {i: a.read(i) for i in a.namelist()}
    # The file's fsync saw the whole archive, central directory included.
    assert synced_sizes[0] == (tmp_path / "b.zip").stat().st_size


def test_io302_no_fix_when_the_zip_closes_after_the_block() -> None:
    diag = no_fix(
        """
        import os
        import zipfile


        def save_bundle(path, names):
            with open(path + ".tmp", "wb") as f, zipfile.ZipFile(f, "w") as z:
                for n in names:
                    z.writestr(n, n)
            os.replace(path + ".tmp", path)
        """,
        "IO302",
    )
    assert diag.fix is None


def test_io302_no_fix_when_a_handler_would_swallow_the_fsync_error() -> None:
    diag = no_fix(
        """
        import os


        def save_state(path, data):
            try:
                with open(path + ".tmp", "w") as f:
                    f.write(data)
            except OSError:
                pass
            os.replace(path + ".tmp", path)
        """,
        "IO302",
    )
    assert diag.fix is None


# ----------------------------------------------------------------------------- IO307

JOURNAL = """\
import json


def commit(journal, record):
    with open(journal, "a", encoding="utf-8") as f:
        if record:
            f.write(json.dumps(record) + "\\n")
"""


def test_io307_fsync_at_the_end_of_the_writing_block(tmp_path: Path) -> None:
    out, _ = fix_of(JOURNAL, "IO307")
    assert out.startswith("import json\nimport os\n")
    assert (
        '            f.write(json.dumps(record) + "\\n")\n'
        "        f.flush()\n"
        "        os.fsync(f.fileno())\n"
    ) in out
    assert_clean(out)
    for source, name in ((JOURNAL, "a"), (out, "b")):
        commit = load(source, "commit")
        commit(str(tmp_path / name), {"n": 1})
        commit(str(tmp_path / name), None)
        commit(os.fsencode(tmp_path / name), {"n": 2})
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()


@linux_only
def test_io307_failed_fsync_surfaces_without_leaking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, _ = fix_of(JOURNAL, "IO307")
    commit = load(out, "commit")
    fds = open_fds()
    monkeypatch.setattr(os, "fsync", failing(os.fsync))
    with pytest.raises(OSError) as raised:
        commit(str(tmp_path / "j"), {"n": 1})
    monkeypatch.undo()
    assert raised.value.errno == errno.EIO
    assert open_fds() == fds


# ----------------------------------------------------------------------------- IO301, IO304, IO305


def test_io301_flush_keeps_content(tmp_path: Path) -> None:
    source = """\
        import os


        def dump(path, text):
            with open(path, "a") as f:
                f.write(text)
                os.fsync(f.fileno())
        """
    out, _ = fix_of(source, "IO301")
    assert_clean(out)
    for src, name in ((source, "a"), (out, "b")):
        load(src, "dump")(str(tmp_path / name), "x\n")
    assert (tmp_path / "a").read_text() == (tmp_path / "b").read_text() == "x\n"


@pytest.mark.parametrize("suffix", ['".json"', 'b".json"', None])
def test_io304_dir_argument_has_the_calls_path_type(tmp_path: Path, suffix: str | None) -> None:
    args = f"suffix={suffix}" if suffix else ""
    source = f"""\
        import json
        import os
        import tempfile


        def save(path, data):
            fd, tmp = tempfile.mkstemp({args})
            with os.fdopen(fd, "w") as f:
                json.dump(data, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        """
    out, _ = fix_of(source, "IO304")
    save = load(out, "save")
    for target in (str(tmp_path / "s.json"), os.fsencode(tmp_path / "b.json")):
        save(target, {"a": 1})
    assert (tmp_path / "s.json").read_text() == (tmp_path / "b.json").read_text() == '{"a": 1}'
    assert sorted(os.listdir(tmp_path)) == ["b.json", "s.json"]


def test_io304_plain_dirname_when_the_target_is_known_str() -> None:
    out, _ = fix_of(
        """
        import os
        import tempfile


        def save(name, blob):
            path = f"{name}.json"
            fd, tmp = tempfile.mkstemp(suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        """,
        "IO304",
    )
    assert 'tempfile.mkstemp(suffix=".tmp", dir=os.path.dirname(path))' in out


def test_io304_no_fix_when_the_suffix_type_is_unknown() -> None:
    diag = no_fix(
        """
        import os
        import tempfile


        def save(path, blob, ext):
            fd, tmp = tempfile.mkstemp(suffix=ext)
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
            os.replace(tmp, path)
        """,
        "IO304",
    )
    assert diag.fix is None


def test_io305_removing_the_unlink_removes_an_import_only_it_used() -> None:
    out, _ = fix_of(
        """
        import os
        from pathlib import Path


        def save(p: Path, tmp: Path, blob):
            tmp.write_bytes(blob)
            if p.exists():
                os.remove(p)
            tmp.rename(p)
        """,
        "IO305",
    )
    assert out.startswith("\nfrom pathlib import Path\n")
    assert "import os" not in out and "os." not in out
    assert "    tmp.replace(p)\n" in out
    assert _pyflakes(out) == set()


def test_io305_replace_keeps_content(tmp_path: Path) -> None:
    source = """\
        import os


        def save(path, blob):
            with open(path + ".tmp", "wb") as f:
                f.write(blob)
                f.flush()
                os.fsync(f.fileno())
            if os.path.exists(path):
                os.remove(path)
            os.rename(path + ".tmp", path)
        """
    out, _ = fix_of(source, "IO305")
    assert 'os.replace(path + ".tmp", path)' in out and "os.remove" not in out
    target = tmp_path / "t"
    target.write_bytes(b"old")
    load(out, "save")(str(target), b"new")
    assert target.read_bytes() == b"new"
    assert sorted(os.listdir(tmp_path)) == ["t"]


# ----------------------------------------------------------------------------- real code

# Standard-library modules where iolint 0.x offered durability fixes (on CPython 3.11): every
# fix is applied, safe and unsafe, and the fixed module must parse, gain no pyflakes finding
# and be clean for the IO3 rules, and the first report must count every fix applied.
STDLIB_WITH_FIXES = [
    "fileinput.py",
    "mailbox.py",
    "logging/handlers.py",
    "idlelib/editor.py",
    "idlelib/pyshell.py",
    "test/test_compileall.py",
    "test/test_profile.py",
    "test/test_zipfile.py",
    "test/test_zipimport.py",
    "test/test_importlib/test_api.py",
    "test/test_importlib/source/test_file_loader.py",
]


def _pyflakes(text: str) -> set[tuple[str, str]]:
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    result = subprocess.run(
        [
            ruff,
            "check",
            "--no-cache",
            "--isolated",
            "--select",
            "F",
            "--output-format",
            "json",
            "--stdin-filename",
            "m.py",
            "-",
        ],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )

    return {(d["code"], d["message"]) for d in json.loads(result.stdout)}


@pytest.mark.slow
@pytest.mark.parametrize("name", STDLIB_WITH_FIXES)
def test_fixes_on_the_standard_library(name: str) -> None:
    import sysconfig

    path = Path(sysconfig.get_paths()["stdlib"]) / name
    if not path.is_file():
        pytest.skip(f"{name} is not in this Python")
    text = path.read_text(encoding="utf-8")
    first = [d for d in lint(text, IO3) if d.fix is not None and d.fix.edits]
    if not first:
        pytest.skip(f"no durability fix offered in {name} on this Python")
    applicable = [
        d for d in first if d.fix and d.fix.applicability is not Applicability.DISPLAY_ONLY
    ]
    outcome = fix_text(text, lambda t: lint(t, IO3), unsafe=True)
    assert len(outcome.fixed) == len(applicable)
    ast.parse(outcome.text)
    assert _pyflakes(outcome.text) <= _pyflakes(text)
    assert [d.code for d in outcome.remaining if d.fix is not None and d.fix.edits] == []


BARE_CLOSE_SAVE = """\
import os


def store(path, blob):
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, blob)
    os.close(fd)
    os.replace(path + ".tmp", path)
"""


def test_io302_bare_close_gets_no_fix() -> None:
    """An fsync inserted before a bare close() would raise first and skip the close: the
    descriptor leaks where the original released it. The finding stays; no fix is offered."""
    found = [d for d in lint(BARE_CLOSE_SAVE, ["IO302"])]
    assert [d.code for d in found] == ["IO302"]
    assert found[0].fix is None or not found[0].fix.edits


def test_io306_names_no_writer_from_spelling_alone() -> None:
    """A name that says "atomic" is not a writer: the project's writers are found from their
    code (tests/test_project_writers.py), so an import of a module the project does not have
    leaves the inline rewrite."""
    source = (
        "from .utils import atomic_writing\n"
        "\n\ndef save_config(path, text):\n"
        "    with open(path, 'w') as f:\n"
        "        f.write(text)\n"
    )
    found = [d for d in lint(source, ["IO306"]) if d.code == "IO306"]
    assert len(found) == 1
    fix = found[0].fix
    assert fix is not None and fix.applicability is Applicability.UNSAFE and fix.edits


def test_io306_under_a_configured_etc_directory_is_display_only() -> None:
    """ansible's yum_repository: the target is ``self.dest``, from a ``reposdir`` option whose
    default is ``/etc/yum.repos.d``; owner, group and labels matter there."""
    source = textwrap.dedent(
        """\
        ARGS = dict(reposdir=dict(default="/etc/yum.repos.d", type="path"))


        class Repo:
            def __init__(self, dest):
                self.dest = dest

            def save(self, text):
                with open(self.dest, "w") as fd:
                    fd.write(text)
        """
    )
    found = [d for d in lint(source, ["IO306"]) if d.code == "IO306"]
    assert len(found) == 1
    fix = found[0].fix
    assert fix is not None and fix.applicability is Applicability.DISPLAY_ONLY
    plain = source.replace("/etc/yum.repos.d", "/srv/repos")
    (other,) = [d for d in lint(plain, ["IO306"]) if d.code == "IO306"]
    assert other.fix is not None and other.fix.applicability is Applicability.UNSAFE


def test_io302_fsync_after_an_existing_flush_adds_no_second_flush() -> None:
    """dulwich's lfs.py flushes after its last write and before it takes the temp name: the
    fix adds the fsync only. A write after that flush still gets its own flush."""
    flushed = """\
    import os
    import tempfile


    def write_object(path, chunks, tmpdir):
        with tempfile.NamedTemporaryFile(dir=tmpdir, mode="wb", delete=False) as f:
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            tmppath = f.name
        os.replace(tmppath, path)
    """
    fixed, _ = fix_of(flushed, "IO302")
    assert fixed.count("f.flush()") == 1 and "os.fsync(f.fileno())" in fixed
    body = fixed[fixed.index("def write_object") :]
    assert body.index("f.flush()") < body.index("os.fsync(f.fileno())")
    assert_clean(fixed)
    written_after = flushed.replace("tmppath = f.name", "f.write(b'end')\n        tmppath = f.name")
    fixed, _ = fix_of(written_after, "IO302")
    assert fixed.count("f.flush()") == 2


def test_io306_etc_target_through_a_module_constant_is_display_only() -> None:
    """pipx's ensure_path: ``config_file = _GLOBAL_PATH_FILE``, a module constant
    ``Path("/etc/profile.d/pipx.sh")``; the system file's owner and labels matter."""
    source = textwrap.dedent(
        """\
        import sys
        from pathlib import Path

        _GLOBAL = Path("/etc/paths.d/x" if sys.platform == "darwin" else "/etc/profile.d/x.sh")


        def save_global_path(contents):
            config_file = _GLOBAL
            config_file.write_text(contents, encoding="utf-8")
        """
    )
    (found,) = [d for d in lint(source, ["IO306"]) if d.code == "IO306"]
    assert found.fix is not None and found.fix.applicability is Applicability.DISPLAY_ONLY
    home = source.replace("/etc/paths.d/x", "~/x").replace("/etc/profile.d/x.sh", "~/x.sh")
    (other,) = [d for d in lint(home, ["IO306"]) if d.code == "IO306"]
    assert other.fix is not None and other.fix.applicability is Applicability.UNSAFE


SINGLE_QUOTED = {
    "IO306": """\
import json

DEFAULTS = {'theme': 'dark', 'size': 'large', 'lang': 'en'}


def save_settings(path, settings):
    merged = dict(DEFAULTS, **settings)
    with open(path, 'w') as f:
        json.dump(merged, f)
""",
    "IO303": """\
import os

NAMES = {'a': 'state', 'b': 'blob', 'c': 'tmp', 'd': 'path'}


def save_state(tmp, path, blob):
    with open(tmp, 'wb') as f:
        f.write(blob)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
""",
}


def _formatter_changes(text: str, tmp_path: Path, quote: str) -> str:
    """What ``ruff format`` with ``quote-style`` ``quote`` would change in ``text``."""
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    path = tmp_path / f"m{len(list(tmp_path.iterdir()))}.py"
    path.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [
            ruff,
            "format",
            "--isolated",
            "--config",
            f'format.quote-style="{quote}"',
            "--diff",
            str(path),
        ],
        capture_output=True,
        text=True,
    )
    return result.stdout


@pytest.mark.parametrize("code", ["IO306", "IO303"])
def test_added_helpers_follow_a_single_quoted_module(code: str, tmp_path: Path) -> None:
    # A project formatted with single quotes (ruff quote-style, pre-commit's
    # double-quote-string-fixer) would fail its own checks on a double-quoted helper.
    source = SINGLE_QUOTED[code]
    assert _formatter_changes(source, tmp_path, "single") == ""
    out, _ = fix_of(source, code)
    assert "\ndef _" in out
    assert _formatter_changes(out, tmp_path, "single") == "", out
    assert_clean(out)


def test_added_helpers_keep_double_quotes_elsewhere() -> None:
    out, _ = fix_of(SINGLE_QUOTED["IO306"].replace("'", '"'), "IO306")
    assert 'mode="w"' in out and "mode='w'" not in out
