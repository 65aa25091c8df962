"""The process pool: same results in the same order whatever the number of processes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import iolint.parallel as parallel
from iolint.cli import main
from iolint.config import Settings
from iolint.parallel import Task, check_files, default_jobs, run_task

FIXTURES = Path(__file__).parent / "fixtures"


def _tree(tmp_path: Path) -> list[Path]:
    files = []
    for i, src in enumerate(sorted(FIXTURES.glob("IO*.py"))):
        dest = tmp_path / f"pkg{i % 3}" / src.name
        dest.parent.mkdir(exist_ok=True)
        shutil.copy(src, dest)
        files.append(dest)
    (tmp_path / "broken.py").write_text("def f(:\n")
    (tmp_path / "latin.py").write_bytes(b"x = '\xff'\n")
    return [*files, tmp_path / "broken.py", tmp_path / "latin.py"]


def _summary(results: list) -> list:  # type: ignore[type-arg]
    return [(r.path, r.diagnostics, r.parse_error, r.internal_errors, r.source) for r in results]


def test_default_jobs_is_positive() -> None:
    assert default_jobs() >= 1


@pytest.mark.parametrize("jobs", [2, 3])
def test_pool_results_equal_in_process_results(tmp_path: Path, jobs: int) -> None:
    files = _tree(tmp_path)
    settings = Settings(root=tmp_path, extend_select=("IO308",))
    tasks = [Task(p, settings, None) for p in files]
    serial = check_files(tasks, 1)
    assert [r.path for r in serial] == [str(p) for p in files]
    assert any(r.diagnostics for r in serial)
    assert any(r.parse_error for r in serial)
    assert _summary(check_files(tasks, jobs)) == _summary(serial)


def test_a_crash_costs_one_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kw: object) -> object:
        raise RuntimeError("bug")

    monkeypatch.setattr(parallel, "process_path", boom)
    result = run_task(Task(tmp_path / "m.py", Settings(root=tmp_path), None))
    assert result.internal_errors and "RuntimeError: bug" in result.internal_errors[0]


def test_cli_output_does_not_depend_on_jobs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    outputs = []
    for jobs in ("1", "2", "4"):
        code = main(["check", "--no-cache", "--jobs", jobs, "--output-format", "json", "."])
        outputs.append((code, capsys.readouterr().out))
    assert outputs[0][0] == 1
    assert outputs[1] == outputs[0] and outputs[2] == outputs[0]


@pytest.mark.parametrize("bad", ["0", "-1", "many"])
def test_bad_jobs_is_a_usage_error(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--jobs", bad, "."]) == 2
    assert "--jobs" in capsys.readouterr().err
