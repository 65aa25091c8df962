"""The pre-commit hooks, run by pre-commit itself against this checkout (``try-repo`` includes
uncommitted changes to tracked files). pre-commit pip-installs the checkout into a fresh
environment, so this needs the package index and takes a while."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import SAFELY_FIXABLE

ROOT = Path(__file__).parents[1]


def _pre_commit() -> list[str] | None:
    if importlib.util.find_spec("pre_commit") is not None:
        return [sys.executable, "-m", "pre_commit"]
    exe = shutil.which("pre-commit")
    return [exe] if exe else None


PRE_COMMIT = _pre_commit()

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
    pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed"),
    pytest.mark.skipif(
        not (ROOT / ".git").exists(), reason="not a git checkout (try-repo needs one)"
    ),
]

# Both findings have safe fixes: the socket is created in the function and nothing makes it
# non-blocking (IO102 -> sendall), and `data == 0` on bytes becomes `not data` (IO105).
BUGGY = SAFELY_FIXABLE

# Excluded by the project's configuration: with `--force-exclude` in the hooks, pre-commit
# passing it explicitly does not make it linted. Its finding (IO103) has no automatic fix, so
# a hook that linted it could never pass.
EXCLUDED = textwrap.dedent(
    """\
    import socket
    import struct


    def read_length(sock: socket.socket) -> int:
        (length,) = struct.unpack(">I", sock.recv(4))
        return length
    """
)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True)


def _try_repo(project: Path, env: dict[str, str], *hook: str) -> subprocess.CompletedProcess[str]:
    assert PRE_COMMIT is not None
    return subprocess.run(
        [*PRE_COMMIT, "try-repo", str(ROOT), *hook, "--all-files", "--color", "never"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    repo = tmp_path / "project"
    (repo / "generated").mkdir(parents=True)
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nrequires-python = ">=3.9"\n\n'
        '[tool.iolint]\nextend-exclude = ["generated"]\n',
        encoding="utf-8",
    )
    (repo / "client.py").write_text(BUGGY, encoding="utf-8")
    (repo / "generated" / "wire.py").write_text(EXCLUDED, encoding="utf-8")
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "test@example.invalid")
    _git(repo, "config", "user.name", "iolint tests")
    _git(repo, "config", "commit.gpgsign", "false")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "buggy client")
    return repo


def test_hooks_report_then_fix_then_pass(project: Path, tmp_path: Path) -> None:
    env = dict(os.environ)
    # An empty pre-commit cache of our own: the user's is neither read nor written.
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    env.pop("PRE_COMMIT", None)
    env.pop("GIT_DIR", None)
    env.pop("GIT_INDEX_FILE", None)

    check = _try_repo(project, env, "iolint")
    out = check.stdout + check.stderr
    assert check.returncode == 1, out
    assert "client.py:7:5: IO102" in out, out
    assert "client.py:13:8: IO105" in out, out
    assert "wire.py" not in out, out
    assert (project / "client.py").read_text(encoding="utf-8") == BUGGY

    fix = _try_repo(project, env, "iolint-fix")
    out = fix.stdout + fix.stderr
    # pre-commit fails a hook that modified files, even when nothing is left to report.
    assert fix.returncode == 1, out
    assert "files were modified by this hook" in out, out
    fixed = (project / "client.py").read_text(encoding="utf-8")
    assert "    sock.sendall(payload)\n" in fixed
    assert "sock.send(" not in fixed
    assert "    if not data:\n" in fixed
    assert (project / "generated" / "wire.py").read_text(encoding="utf-8") == EXCLUDED

    rerun = _try_repo(project, env)  # both hooks
    out = rerun.stdout + rerun.stderr
    assert rerun.returncode == 0, out
    assert out.count("Passed") == 2, out
