"""The pytest plugin and ``iolint trace``, run in their own processes on the fixture projects
of tests/trace_fixtures: every bug marked ``# trace: CODE`` is reported with its code and call
site, and the correct project gets nothing."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

# Every test runs pytest (or iolint trace) in a subprocess; the tracer's own version-specific
# parts are covered on every Python by tests/test_trace.py.
pytestmark = pytest.mark.default_python_only

FIXTURES = Path(__file__).parent / "trace_fixtures"
MARK = re.compile(r"#\s*trace:\s*(IO\d{3})")


def project(tmp_path: Path, name: str) -> Path:
    dest = tmp_path / name
    shutil.copytree(FIXTURES / name, dest)
    return dest


def expected(root: Path) -> set[tuple[str, str, int]]:
    out = set()
    for path in sorted((root / "storekit").glob("*.py")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = MARK.search(line)
            if m:
                out.add((m.group(1), f"storekit/{path.name}", n))
    return out


def reported(report: list[dict[str, object]], root: Path) -> set[tuple[str, str, int]]:
    out = set()
    for item in report:
        filename = Path(str(item["filename"])).relative_to(root).as_posix()
        location = item["location"]
        assert isinstance(location, dict)
        out.add((str(item["code"]), filename, int(location["row"])))
    return out


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


PYTEST = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]


def test_pytest_plugin_reports_each_bug_of_the_buggy_project(tmp_path):
    root = project(tmp_path, "buggy")
    marks = expected(root)
    assert {c for c, _, _ in marks} == {"IO102", "IO103", "IO302", "IO306"}
    proc = run(
        [*PYTEST, "--io-faults=short", "--io-durability", "--io-report", "report.json"], root
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert reported(json.loads((root / "report.json").read_text()), root) == marks
    assert "= iolint trace =" in proc.stdout
    # The failing tests carry the fault injected just before they failed.
    assert re.search(r"recv\(4\) returned \d bytes? at proto\.py:22", proc.stdout)


def test_pytest_plugin_finds_nothing_in_the_correct_project(tmp_path):
    root = project(tmp_path, "correct")
    proc = run(
        [
            *PYTEST,
            "--io-faults=short,eagain",
            "--io-durability",
            "--io-seed=5",
            "--io-report=report.json",
        ],
        root,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads((root / "report.json").read_text()) == []
    assert "iolint trace" not in proc.stdout


def test_findings_alone_make_the_run_fail(tmp_path):
    root = project(tmp_path, "buggy")
    proc = run([*PYTEST, "--io-durability", "tests/test_store.py"], root)
    assert "2 passed" in proc.stdout
    assert proc.returncode == 1
    assert "IO302" in proc.stdout and "IO306" in proc.stdout


def test_iolint_trace_runs_pytest_with_the_same_results(tmp_path):
    root = project(tmp_path, "buggy")
    iolint = [sys.executable, "-m", "iolint", "trace", "--faults", "short", "--durability"]
    as_json = ["--output-format", "json", "--output-file", "found.json"]
    proc = run([*iolint, *as_json, "--", *PYTEST], root)
    assert proc.returncode == 1, proc.stderr
    assert reported(json.loads((root / "found.json").read_text()), root) == expected(root)

    clean = project(tmp_path, "correct")
    proc = run([*iolint, *as_json, "--", *PYTEST], clean)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads((clean / "found.json").read_text()) == []


def test_iolint_trace_confirms_a_short_read_in_a_plain_script(tmp_path):
    root = project(tmp_path, "buggy")
    (root / "client.py").write_text(
        textwrap.dedent(
            """
            import socket
            from storekit import proto

            a, b = socket.socketpair()
            with a, b:
                proto.send_message(a, b"ping")
                print(proto.recv_message(b))
            """
        )
    )
    proc = run(
        [
            sys.executable,
            "-m",
            "iolint",
            "trace",
            "--faults=short",
            "--seed=1",
            "--",
            sys.executable,
            "client.py",
        ],
        root,
    )
    assert proc.returncode == 1
    assert re.search(r"storekit/proto.py:22:1: IO103 recv\(4\) returned", proc.stdout)
    assert "storekit/proto.py:7:1: IO102" in proc.stdout


def test_iolint_trace_needs_a_command_and_an_option(tmp_path):
    from iolint.cli import main

    assert main(["trace", "--faults", "short"]) == 2
    assert main(["trace", "--", sys.executable, "-c", "pass"]) == 2
    assert main(["trace", "--faults", "slow", "--", "true"]) == 2


@pytest.mark.parametrize("args", [[], ["-p", "no:iolint"]])
def test_the_plugin_is_inert_without_its_options(tmp_path, args):
    (tmp_path / "test_inert.py").write_text(
        textwrap.dedent(
            """
            import builtins, io, os, socket, sys

            def test_nothing_is_wrapped(request):
                assert request.config.pluginmanager.get_plugin("iolint-trace") is None
                assert not hasattr(os.write, "__wrapped__")
                assert not hasattr(os.fsync, "__wrapped__")
                assert "send" not in vars(socket.socket)
                assert io.FileIO.__module__ in ("_io", "io")
                assert not hasattr(builtins.open, "__wrapped__")
                # The tracer (and its audit hook) was never even imported.
                assert not any(m.startswith("iolint.trace.") and m != "iolint.trace.pytest_plugin"
                               for m in sys.modules)
            """
        )
    )
    proc = run([*PYTEST, *args, "test_inert.py"], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_crash_states_of_a_marked_test_are_checked(tmp_path):
    root = project(tmp_path, "buggy")
    proc = run([*PYTEST, "--io-durability", "tests/test_crash.py"], root)
    assert proc.returncode == 1
    assert (
        "store.py:8:1: IO306 crash state after this operation on 'settings.json': the file was "
        "truncated and its new data lost; readable(directory) then failed with JSONDecodeError"
    ) in proc.stdout
    assert (
        "store.py:16:1: IO302 crash state after this operation on 'state.json': the rename "
        "persisted before the data it publishes"
    ) in proc.stdout

    clean = project(tmp_path, "correct")
    proc = run([*PYTEST, "--io-durability", "tests/test_crash.py"], clean)
    assert proc.returncode == 0, proc.stdout
