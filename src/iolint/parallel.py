"""Checking many files: cache look-ups in this process, the rest in a process pool.

Results come back in the order of the input files whatever the number of processes, and each
file is linted by exactly the code that ``--jobs 1`` runs in-process (:func:`process_path`), so
findings do not depend on parallelism. A warm run does not start a pool at all.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from iolint.cache import ResultCache
from iolint.collector import paused_collection
from iolint.config import Settings
from iolint.runner import FileResult, add_noqa_path, cached_result, process_path


def default_jobs() -> int:
    """The CPUs this process may run on (its affinity mask, e.g. in a container), else all."""
    try:
        return max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined,unused-ignore]
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Task:
    path: Path
    settings: Settings
    cache: ResultCache | None
    fix: bool = False
    diff_only: bool = False
    unsafe: bool = False
    add_noqa: bool = False


def run_task(task: Task) -> FileResult:
    with paused_collection():
        return _run_task(task)


def _run_task(task: Task) -> FileResult:
    try:
        if task.add_noqa:
            return add_noqa_path(task.path, task.settings)
        return process_path(
            task.path,
            task.settings,
            fix=task.fix,
            diff_only=task.diff_only,
            unsafe=task.unsafe,
            cache=None if task.fix else task.cache,
        )
    except Exception as exc:  # a bug must cost one file, not the whole run
        return FileResult(
            str(task.path), internal_errors=(f"{task.path}: {type(exc).__name__}: {exc}",)
        )


def check_files(tasks: Sequence[Task], jobs: int) -> list[FileResult]:
    results: list[FileResult | None] = [None] * len(tasks)
    todo: list[int] = []
    for i, task in enumerate(tasks):
        hit = None
        if task.cache is not None and not task.fix and not task.add_noqa:
            hit = cached_result(task.path, task.settings, task.cache, unsafe=task.unsafe)
        if hit is not None:
            results[i] = hit
        else:
            todo.append(i)
    for i, result in zip(todo, _run(tasks, todo, jobs)):
        results[i] = result
    return [r for r in results if r is not None]


def _run(tasks: Sequence[Task], todo: list[int], jobs: int) -> list[FileResult]:
    pending = [tasks[i] for i in todo]
    processes = min(jobs, len(pending))
    if processes <= 1:
        return [run_task(t) for t in pending]
    # Biggest files first, so that no worker is left alone with a large file at the end;
    # results are put back in input order below.
    order = sorted(range(len(pending)), key=lambda k: -_size(pending[k].path))
    # Small chunks keep the workers evenly loaded; each chunk is one round trip.
    chunksize = max(1, min(16, len(pending) // (processes * 8)))
    out: list[FileResult | None] = [None] * len(pending)
    with _context().Pool(processes) as pool:
        for k, result in zip(order, pool.imap(run_task, [pending[k] for k in order], chunksize)):
            out[k] = result
    return [r for r in out if r is not None]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _context() -> multiprocessing.context.BaseContext:
    # fork starts workers in milliseconds with everything already imported; it is the
    # platform default on Linux before Python 3.14 and safe here (no threads are running).
    # Elsewhere (macOS, Windows) the platform default is the safe choice.
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()
