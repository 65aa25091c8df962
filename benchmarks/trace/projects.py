"""The real projects `iolint trace` was run on, and how to fetch and test them.

    python benchmarks/trace/projects.py SCRATCH_DIR [--only NAME ...] [--install-deps]

downloads each sdist (``pip download --no-binary :all:``) into SCRATCH_DIR, unpacks it, and runs
its test suite under ``pytest --io-faults=short,eagain --io-durability``, writing each
project's findings to ``SCRATCH_DIR/NAME.json`` (iolint's JSON format) and its log beside it.
Needs network access to PyPI; nothing here is part of iolint's test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Project:
    name: str  # the PyPI name
    version: str
    pythonpath: str  # relative to the unpacked sdist
    tests: tuple[str, ...]  # pytest arguments
    deps: tuple[str, ...] = field(default=())  # what the test suite needs besides pytest

    @property
    def directory(self) -> str:
        return f"{self.name.replace('-', '_').replace('.', '_')}-{self.version}"


PROJECTS = (
    Project("atomicwrites", "1.4.1", ".", ("tests",)),
    Project("h11", "0.16.0", ".", ("h11/tests",)),
    Project("tinydb", "4.9.0", ".", ("tests",)),
    Project("ptyprocess", "0.7.0", ".", ("tests",)),
    Project("python-dotenv", "1.2.4", "src", ("tests",), ("click", "sh")),
    Project(
        "diskcache",
        "5.6.3",
        ".",
        ("tests", "--ignore=tests/test_djangocache.py", "--ignore=tests/test_doctest.py"),
    ),
    Project(
        "cachelib",
        "0.17.0",
        "src",
        ("tests/test_file_system_cache.py", "tests/test_simple_cache.py"),
        ("pytest-xprocess",),
    ),
    Project("configobj", "5.0.9", "src", ("src/tests",)),
    Project("keyrings.alt", "5.0.2", ".", ("tests",), ("keyring", "jaraco.classes")),
    Project("pickledb", "1.6", ".", ("test_pickledb.py",), ("orjson", "aiofiles")),
    Project(
        "persist-queue",
        "1.1.0",
        ".",
        ("persistqueue/tests", "--ignore=persistqueue/tests/test_mysqlqueue.py"),
        ("msgpack", "cbor2", "aiofiles", "aiosqlite", "pytest-asyncio"),
    ),
)


def fetch(project: Project, scratch: Path) -> Path:
    """The unpacked sdist (downloaded once)."""
    target = scratch / "src" / project.directory
    if target.is_dir():
        return target
    sdists = scratch / "sdists"
    sdists.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--no-binary",
            ":all:",
            "-d",
            str(sdists),
            f"{project.name}=={project.version}",
        ],
        check=True,
    )
    archive = next(p for p in sdists.glob("*.tar.gz") if p.name.startswith(project.directory))
    with tarfile.open(archive) as tar:
        tar.extractall(scratch / "src", filter="data")
    return target


def pytest_command(project: Project, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *project.tests, *extra]


def environment(project: Project, root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(root / project.pythonpath)
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scratch", type=Path)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--install-deps", action="store_true")
    parser.add_argument("--strict", action="store_true", help="pass --io-strict too")
    args = parser.parse_args()
    summary = {}
    for project in PROJECTS:
        if args.only and project.name not in args.only:
            continue
        root = fetch(project, args.scratch)
        if args.install_deps and project.deps:
            subprocess.run(
                [sys.executable, "-m", "pip", "install", "-q", *project.deps], check=True
            )
        report = args.scratch / f"{project.name}.json"
        options = ["--io-faults=short,eagain", "--io-durability", f"--io-report={report}"]
        if args.strict:
            options.append("--io-strict")
        log = args.scratch / f"{project.name}.log"
        with open(log, "w") as fh:
            code = subprocess.call(
                pytest_command(project, options),
                cwd=root,
                env=environment(project, root),
                stdout=fh,
                stderr=subprocess.STDOUT,
            )
        findings = json.loads(report.read_text()) if report.exists() else None
        summary[project.name] = {"exit": code, "findings": findings}
        print(f"{project.name}: exit {code}, {len(findings or [])} finding(s); log {log}")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
