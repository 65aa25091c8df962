"""Crash states (``@pytest.mark.crash_consistent(check=fn)``), after ALICE (OSDI'14).

For a marked test the durability recorder keeps a crash point at each publish by rename and
each in-place rewrite. After the test, each point yields the states that ext4's default mode
allows after a crash right there, given what was and was not fsynced:

- data not fsynced before the rename: the new name may persist before the data it points to,
  so the target is an empty file (IO302);
- no fsync of the directory after the rename: the new directory entry may be lost, so the
  target still holds its previous content, or is absent if it had none (IO303);
- a file truncated and rewritten in place: the truncation may persist without the new data,
  so the file is empty (IO306).

Each state is built in a scratch copy of the target's directory as the test left it, and
``fn(directory)`` is called on it; a state in which ``fn`` raises is a finding. Only the
file of the crash point is changed: the rest of the directory is as the test ended (ALICE
replays every operation up to the crash; this is the single-file approximation).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iolint.trace.findings import TraceFinding
from iolint.trace.sites import Site

_MAX_SNAPSHOT = 16 * 1024 * 1024


@dataclass(frozen=True)
class CrashPoint:
    kind: str  # "publish" or "rewrite"
    target: str
    site: Site
    data_synced: bool
    dir_synced_after: bool
    previous: bytes | None  # the target's content before the operation; None: it had none


@dataclass(frozen=True)
class CrashState:
    code: str
    description: str
    point: CrashPoint
    content: bytes | None  # the target's content in this state; None: absent


def snapshot(path: str) -> bytes | None:
    """A file's content before it is replaced (None when absent or too large to keep)."""
    try:
        if os.path.getsize(path) > _MAX_SNAPSHOT:
            return None
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def states(points: list[CrashPoint]) -> list[CrashState]:
    out = []
    for p in points:
        if p.kind == "rewrite":
            out.append(CrashState("IO306", "the file was truncated and its new data lost", p, b""))
            continue
        if not p.data_synced:
            out.append(
                CrashState("IO302", "the rename persisted before the data it publishes", p, b"")
            )
        if not p.dir_synced_after:
            what = "its previous content" if p.previous is not None else "no file at all"
            out.append(
                CrashState(
                    "IO303", f"the directory entry was lost: the target has {what}", p, p.previous
                )
            )
    return out


def check_states(
    found: list[CrashState], check: Callable[[Path], Any], context: str
) -> list[TraceFinding]:
    """Call ``check`` on every state; a state it rejects is a finding at the point's site."""
    findings = []
    for state in found:
        failure = _run_check(state, check)
        if failure is None:
            continue
        findings.append(
            TraceFinding(
                state.code,
                f"crash state after this operation on {os.path.basename(state.point.target)!r}: "
                f"{state.description}; {_name(check)}(directory) then failed with {failure}",
                state.point.site,
                context,
                kind="crash",
            )
        )
    return findings


def _run_check(state: CrashState, check: Callable[[Path], Any]) -> str | None:
    source_dir = os.path.dirname(state.point.target)
    with tempfile.TemporaryDirectory(prefix="iolint-crash-") as scratch:
        directory = Path(scratch) / os.path.basename(source_dir)
        shutil.copytree(source_dir, directory, symlinks=True)
        target = directory / os.path.basename(state.point.target)
        if state.content is None:
            target.unlink(missing_ok=True)
        else:
            target.write_bytes(state.content)
        try:
            check(directory)
        except Exception as exc:  # what recovery raises is the finding
            return f"{type(exc).__name__}: {exc}"
    return None


def _name(check: Callable[[Path], Any]) -> str:
    return getattr(check, "__name__", "check")
