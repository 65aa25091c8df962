"""The fixer under faults: whatever happens while a fix is written, the original file is either
intact or wholly replaced, never truncated, and no temporary file is left behind.

Faults are injected in-process (monkeypatched ``os`` functions) so that they hit exactly the
step under test: a full disk in the middle of the write, an I/O error at fsync, a
``KeyboardInterrupt`` at fsync or at the rename, a file changed by an editor between lint and
write, a read-only file or directory, and symlinks.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from iolint import cli, fix, runner
from iolint.config import Settings
from iolint.fix import FixWriteError, write_atomic
from iolint.runner import FileResult, process_path

# IO502 has a safe fix (it adds the mode argument), so `--fix` alone rewrites this file.
BUGGY = (
    "import os\n"
    "\n"
    "\n"
    "def make(path):\n"
    "    fd = os.open(path, os.O_WRONLY | os.O_CREAT)\n"
    "    return fd\n"
)
FIXED = BUGGY.replace("os.O_CREAT)", "os.O_CREAT, 0o666)")

_real_write = os.write
_real_fsync = os.fsync
_real_replace = os.replace


def _is_temp_fd(fd: int) -> bool:
    """Whether ``fd`` is the fixer's temporary file (so pytest's own writes are untouched)."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}").endswith(".iolint-tmp")
    except OSError:
        return fd > 2


@pytest.fixture()
def target(tmp_path: Path) -> Path:
    path = tmp_path / "pkg" / "mod.py"
    path.parent.mkdir()
    path.write_text(BUGGY)
    return path


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if "iolint-tmp" in p.name)


def fix_file(path: Path) -> FileResult:
    return process_path(path, Settings(), fix=True)


def assert_intact(path: Path) -> None:
    assert path.read_text() == BUGGY
    assert leftovers(path.parent) == []


def test_baseline_fix_is_written(target: Path) -> None:
    result = fix_file(target)
    assert [d.code for d in result.fixed] == ["IO502"]
    assert result.write_error is None
    assert target.read_text() == FIXED
    assert leftovers(target.parent) == []


@pytest.mark.parametrize("mode", [0o644, 0o755, 0o600, 0o640])
def test_file_mode_is_kept(target: Path, mode: int) -> None:
    target.chmod(mode)
    fix_file(target)
    assert target.read_text() == FIXED
    assert stat.S_IMODE(target.stat().st_mode) == mode


def test_read_only_file_is_left_alone(target: Path) -> None:
    target.chmod(0o444)
    result = fix_file(target)
    assert result.write_error is not None and "not writable" in result.write_error
    assert result.fixed == ()
    # The findings of the file as it is are still reported.
    assert [d.code for d in result.diagnostics] == ["IO502"]
    assert_intact(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o444


def test_temp_file_cannot_be_created(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(fix.tempfile, "mkstemp", refuse)
    result = fix_file(target)
    assert result.write_error is not None and "temporary file" in result.write_error
    assert_intact(target)


def _fail_after(limit: int, exc: BaseException) -> Callable[[int, Any], int]:
    """An ``os.write`` that writes ``limit`` bytes of the temp file, then raises ``exc``."""
    budget = [limit]

    def write(fd: int, data: Any) -> int:
        if not _is_temp_fd(fd):
            return _real_write(fd, data)
        if budget[0] <= 0:
            raise exc
        n = _real_write(fd, bytes(data)[: budget[0]])
        budget[0] -= n
        return n

    return write


def test_disk_full_in_the_middle_of_the_write(
    target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "write", _fail_after(10, OSError(errno.ENOSPC, "No space left")))
    result = fix_file(target)
    assert result.write_error is not None and "No space left" in result.write_error
    assert result.fixed == ()
    assert_intact(target)


def test_disk_full_reported_by_write_atomic(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "write", _fail_after(0, OSError(errno.ENOSPC, "No space left")))
    with pytest.raises(FixWriteError, match="left unchanged"):
        write_atomic(target, FIXED.encode())
    assert_intact(target)


def test_short_writes_are_completed(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def one_byte(fd: int, data: Any) -> int:
        if not _is_temp_fd(fd):
            return _real_write(fd, data)
        return _real_write(fd, bytes(data)[:1])

    monkeypatch.setattr(os, "write", one_byte)
    fix_file(target)
    assert target.read_text() == FIXED
    assert leftovers(target.parent) == []


def test_io_error_at_fsync(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_fsync(fd: int) -> None:
        if _is_temp_fd(fd):
            raise OSError(errno.EIO, "Input/output error")
        _real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    result = fix_file(target)
    assert result.write_error is not None and "Input/output error" in result.write_error
    assert_intact(target)


@pytest.mark.parametrize("where", ["write", "fsync", "replace"])
def test_keyboard_interrupt_mid_fix(
    target: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    if where == "write":
        monkeypatch.setattr(os, "write", _fail_after(5, KeyboardInterrupt()))
    elif where == "fsync":

        def interrupted_fsync(fd: int) -> None:
            if _is_temp_fd(fd):
                raise KeyboardInterrupt
            _real_fsync(fd)

        monkeypatch.setattr(os, "fsync", interrupted_fsync)
    else:

        def interrupted_replace(src: Any, dst: Any) -> None:
            raise KeyboardInterrupt

        monkeypatch.setattr(os, "replace", interrupted_replace)
    with pytest.raises(KeyboardInterrupt):
        fix_file(target)
    assert_intact(target)


def test_keyboard_interrupt_just_after_the_rename(
    target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A signal delivered once ``rename(2)`` has returned: the file is wholly replaced."""

    def replace_then_interrupt(src: Any, dst: Any) -> None:
        _real_replace(src, dst)
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", replace_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        fix_file(target)
    assert target.read_text() == FIXED
    assert leftovers(target.parent) == []


def test_cli_reports_an_interrupted_fix(
    target: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted_replace(src: Any, dst: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted_replace)
    assert cli.main(["check", "--fix", "--no-cache", str(target)]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert_intact(target)


def test_file_changed_between_lint_and_fix(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edited = BUGGY + "\n# saved by an editor meanwhile\n"
    real_fix_text = runner.fix_text

    def fix_text_while_someone_edits(*args: Any, **kwargs: Any) -> fix.FixOutcome:
        outcome = real_fix_text(*args, **kwargs)
        target.write_text(edited)
        return outcome

    monkeypatch.setattr(runner, "fix_text", fix_text_while_someone_edits)
    result = fix_file(target)
    assert result.write_error is not None and "changed on disk" in result.write_error
    assert result.fixed == ()
    assert target.read_text() == edited
    assert leftovers(target.parent) == []


def test_file_deleted_between_lint_and_fix(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_fix_text = runner.fix_text

    def fix_text_while_someone_deletes(*args: Any, **kwargs: Any) -> fix.FixOutcome:
        outcome = real_fix_text(*args, **kwargs)
        target.unlink()
        return outcome

    monkeypatch.setattr(runner, "fix_text", fix_text_while_someone_deletes)
    result = fix_file(target)
    assert result.write_error is not None
    assert not target.exists()
    assert leftovers(target.parent) == []


def test_symlink_stays_a_link_and_its_target_is_fixed(tmp_path: Path, target: Path) -> None:
    links = tmp_path / "links"
    links.mkdir()
    link = links / "mod.py"
    link.symlink_to(os.path.relpath(target, links))
    result = fix_file(link)
    assert result.write_error is None
    assert link.is_symlink()
    assert os.readlink(link) == os.path.relpath(target, links)
    assert target.read_text() == FIXED
    assert leftovers(links) == [] and leftovers(target.parent) == []


def test_chain_of_symlinks(tmp_path: Path, target: Path) -> None:
    first = tmp_path / "first.py"
    second = tmp_path / "second.py"
    second.symlink_to(target)
    first.symlink_to(second)
    fix_file(first)
    assert first.is_symlink() and second.is_symlink()
    assert target.read_text() == FIXED


def test_dangling_symlink_is_an_error_not_a_crash(tmp_path: Path) -> None:
    link = tmp_path / "gone.py"
    link.symlink_to(tmp_path / "missing.py")
    result = fix_file(link)
    assert result.parse_error is not None
    assert link.is_symlink() and not (tmp_path / "missing.py").exists()


def test_directory_fsync_failure_after_the_replace(
    target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is already wholly replaced: report the fix and the sync failure, both true."""

    def failing_fsync(fd: int) -> None:
        if not _is_temp_fd(fd) and os.path.isdir(os.readlink(f"/proc/self/fd/{fd}")):
            raise OSError(errno.EIO, "Input/output error")
        _real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    result = fix_file(target)
    assert target.read_text() == FIXED
    assert result.write_error is not None and "directory" in result.write_error
    assert [d.code for d in result.fixed] == ["IO502"]
    assert result.diagnostics == ()


@pytest.mark.parametrize("code", [errno.EINVAL, errno.EOPNOTSUPP])
def test_directory_fsync_not_supported_is_fine(
    target: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    def unsupported(fd: int) -> None:
        if not _is_temp_fd(fd) and os.path.isdir(os.readlink(f"/proc/self/fd/{fd}")):
            raise OSError(code, os.strerror(code))
        _real_fsync(fd)

    monkeypatch.setattr(os, "fsync", unsupported)
    result = fix_file(target)
    assert result.write_error is None
    assert target.read_text() == FIXED


def test_latin1_file_is_written_back_in_its_encoding(tmp_path: Path) -> None:
    path = tmp_path / "legacy.py"
    data = ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + BUGGY).encode("latin-1")
    path.write_bytes(data)
    fix_file(path)
    assert path.read_bytes() == ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + FIXED).encode("latin-1")


def test_bom_and_crlf_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "win.py"
    path.write_bytes(b"\xef\xbb\xbf" + BUGGY.replace("\n", "\r\n").encode())
    fix_file(path)
    assert path.read_bytes() == b"\xef\xbb\xbf" + FIXED.replace("\n", "\r\n").encode()


pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="fault injection identifies fds via /proc"
)
