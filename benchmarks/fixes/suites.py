"""Real test suites before and after every fix: does `iolint check --fix --unsafe-fixes` break
the projects it fixes?

    python benchmarks/fixes/suites.py --scratch /work/scratch/fixes        # every project
    python benchmarks/fixes/suites.py --only ptyprocess --only sh         # some of them
    python benchmarks/fixes/suites.py --json /tmp/suites.json             # also raw results

For each project of ``projects.toml`` it downloads the released sdist (``pip download
--no-binary :all: --no-deps``) into the scratch directory, unpacks a fresh copy, installs it
(editable, so that the fixed source is what the tests import) with its test dependencies into a
scratch venv, runs its tests, applies every fix iolint has (safe and unsafe) to the project's
source (never its tests), and runs the tests again. Per project it reports the fixes applied
per rule, the tests passed and failed before and after, and every regression by node id: a
test that passed before, failed after, and on a second run of both still fails with the fix and
passes without it (a timing test that fails on a loaded machine either way is listed apart).

Run it with the Python where iolint is installed; it writes nothing inside the repository (the
table goes to stdout, raw outcomes to ``--json``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

from iolint.config import Settings
from iolint.runner import process_path

HERE = Path(__file__).resolve().parent
PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


@dataclass(frozen=True)
class Project:
    name: str
    version: str
    source: tuple[str, ...]
    tests: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    pytest_args: tuple[str, ...] = ()
    test_deps: tuple[str, ...] = ()


@dataclass
class Outcome:
    project: Project
    fixes: Counter[str] = field(default_factory=Counter)
    files_fixed: int = 0
    before: dict[str, str] = field(default_factory=dict)
    after: dict[str, str] = field(default_factory=dict)
    regressions: list[str] = field(default_factory=list)
    flaky: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0


def load_manifest(path: Path) -> list[Project]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        Project(
            name=p["name"],
            version=p["version"],
            source=tuple(p["source"]),
            tests=tuple(p["tests"]),
            exclude=tuple(p.get("exclude", ())),
            pytest_args=tuple(p.get("pytest_args", ())),
            test_deps=tuple(p.get("test_deps", ())),
        )
        for p in data["project"]
    ]


def run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, text=True, capture_output=True, **kw)  # type: ignore[call-overload,no-any-return]


def fetch(project: Project, scratch: Path) -> Path:
    """A fresh unpacked copy of the project's sdist (downloaded once)."""
    sdists = scratch / "sdists"
    sdists.mkdir(parents=True, exist_ok=True)
    spec = f"{project.name}=={project.version}"
    found = [p for p in sdists.glob("*.tar.gz") if _is_sdist_of(p, project)]
    if not found:
        r = run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-binary",
                ":all:",
                "--no-deps",
                spec,
                "-d",
                str(sdists),
            ]
        )
        found = [p for p in sdists.glob("*.tar.gz") if _is_sdist_of(p, project)]
        if not found:
            raise RuntimeError(f"pip download {spec} failed: {r.stderr[-500:]}")
    tree_parent = scratch / "src"
    tree_parent.mkdir(exist_ok=True)
    with tarfile.open(found[0]) as tar:
        top = tar.getnames()[0].split("/")[0]
        tree = tree_parent / top
        if tree.exists():
            shutil.rmtree(tree)
        tar.extractall(tree_parent, filter="data")
    return tree


def _is_sdist_of(path: Path, project: Project) -> bool:
    stem = path.name[: -len(".tar.gz")]
    name, _, version = stem.rpartition("-")
    normal = name.lower().replace("_", "-").replace(".", "-")
    return normal == project.name.lower().replace("_", "-") and version == project.version


def make_venv(project: Project, tree: Path, scratch: Path) -> Path:
    venv = scratch / "venvs" / project.name
    py = venv / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    r = run(
        [
            str(py),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-e",
            str(tree),
            *project.test_deps,
        ]
    )
    if r.returncode != 0:
        raise RuntimeError(f"install failed: {r.stderr[-800:]}")
    return py


def _pytest(py: Path, junit: Path, *args: str) -> list[str]:
    """A pytest command line whose outcomes land in ``junit``, the project's addopts cleared
    and each test bounded by pytest-timeout."""
    return [
        str(py),
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=",
        "--timeout=120",
        f"--junitxml={junit}",
        *args,
    ]


def run_tests(py: Path, tree: Path, project: Project, junit: Path, timeout: int) -> dict[str, str]:
    """Run the suite; the outcome of every test by node id (from pytest's junit XML)."""
    junit.unlink(missing_ok=True)
    cmd = _pytest(py, junit, *project.pytest_args, *project.tests)
    # After a timeout, pytest has written no XML: the run then has no outcomes at all.
    with contextlib.suppress(subprocess.TimeoutExpired):
        subprocess.run(cmd, cwd=tree, capture_output=True, timeout=timeout, check=False)
    return parse_junit(junit)


def parse_junit(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    outcomes: dict[str, str] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        node = f"{case.get('classname', '')}::{case.get('name', '')}"
        tags = {child.tag for child in case}
        if tags & {"failure", "error"}:
            outcomes[node] = FAILED
        elif "skipped" in tags:
            outcomes[node] = SKIPPED
        else:
            outcomes[node] = PASSED
    return outcomes


def is_excluded(path: Path, tree: Path, project: Project) -> bool:
    rel = path.relative_to(tree).as_posix()
    return any(rel == e or rel.startswith(e.rstrip("/") + "/") for e in project.exclude)


def source_files(tree: Path, project: Project) -> list[Path]:
    files: list[Path] = []
    for src in project.source:
        base = tree / src
        candidates = [base] if base.is_file() else sorted(base.rglob("*.py"))
        files.extend(p for p in candidates if not is_excluded(p, tree, project))
    return files


def count_fixes(files: list[Path]) -> tuple[Counter[str], int]:
    """What `--fix --unsafe-fixes` will change, per rule (computed without writing)."""
    settings = Settings(respect_gitignore=False)
    per_rule: Counter[str] = Counter()
    changed = 0
    for path in files:
        result = process_path(path, settings, fix=True, diff_only=True, unsafe=True)
        per_rule.update(d.code for d in result.fixed)
        changed += bool(result.fixed)
    return per_rule, changed


def apply_fixes(tree: Path, project: Project) -> None:
    """The command a user runs: the CLI, on the source only."""
    cmd = [
        sys.executable,
        "-m",
        "iolint",
        "check",
        "--fix",
        "--unsafe-fixes",
        "--no-cache",
        "--quiet",
    ]
    for e in project.exclude:
        cmd += ["--extend-exclude", e]
    cmd += list(project.source)
    r = run(cmd, cwd=tree)
    if r.returncode not in (0, 1):
        raise RuntimeError(f"iolint failed ({r.returncode}): {r.stderr[-800:]}")


def write_sources(contents: dict[Path, bytes]) -> None:
    for path, data in contents.items():
        path.write_bytes(data)


def rerun(py: Path, tree: Path, nodes: list[str], junit: Path) -> dict[str, str]:
    """Run the given junit node ids again (translated back to pytest ids where possible)."""
    ids = [_pytest_id(tree, n) for n in nodes]
    cmd = _pytest(py, junit, *[i for i in ids if i])
    subprocess.run(cmd, cwd=tree, capture_output=True, timeout=900, check=False)
    return parse_junit(junit)


def _pytest_id(tree: Path, node: str) -> str | None:
    """junit's ``pkg.mod.Class::test`` back to ``pkg/mod.py::Class::test``."""
    classname, _, name = node.partition("::")
    parts = classname.split(".")
    for i in range(len(parts), 0, -1):
        path = Path(*parts[:i]).with_suffix(".py")
        if (tree / path).exists():
            return "::".join([path.as_posix(), *parts[i:], name])
    return None


def check_project(project: Project, scratch: Path, timeout: int) -> Outcome:
    out = Outcome(project)
    start = time.perf_counter()
    try:
        tree = fetch(project, scratch)
        py = make_venv(project, tree, scratch)
        reports = scratch / "reports"
        reports.mkdir(exist_ok=True)
        out.before = run_tests(py, tree, project, reports / f"{project.name}-before.xml", timeout)
        files = source_files(tree, project)
        out.fixes, out.files_fixed = count_fixes(files)
        original = {p: p.read_bytes() for p in files}
        apply_fixes(tree, project)
        fixed = {p: p.read_bytes() for p in files}
        out.after = run_tests(py, tree, project, reports / f"{project.name}-after.xml", timeout)
        suspects = [n for n, o in out.before.items() if o == PASSED and out.after.get(n) == FAILED]
        if suspects:
            # A suspect is a regression only if, run again, it fails on the fixed source and
            # passes on the original one (a loaded machine makes timing tests flaky).
            again = rerun(py, tree, suspects, reports / f"{project.name}-rerun-fixed.xml")
            write_sources(original)
            control = rerun(py, tree, suspects, reports / f"{project.name}-rerun-orig.xml")
            write_sources(fixed)
            for n in suspects:
                if again.get(n) == FAILED and control.get(n) == PASSED:
                    out.regressions.append(n)
                else:
                    out.flaky.append(n)
        if not out.before:
            out.error = "no test outcomes (suite did not run or timed out)"
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        out.error = str(exc)
    out.seconds = time.perf_counter() - start
    return out


def tally(outcomes: dict[str, str]) -> str:
    c = Counter(outcomes.values())
    return f"{c[PASSED]}/{c[FAILED]}/{c[SKIPPED]}"


def render(results: list[Outcome]) -> str:
    lines = [
        "| project | version | fixes applied (per rule) | files | before pass/fail/skip "
        "| after pass/fail/skip | regressions |",
        "|---|---|---|---:|---|---|---|",
    ]
    for r in results:
        fixes = ", ".join(f"{c} {n}" for c, n in sorted(r.fixes.items())) or "none"
        regs = "; ".join(f"`{n}`" for n in r.regressions) or "0"
        if r.error:
            regs += f" (error: {r.error.splitlines()[0][:120]})"
        lines.append(
            f"| {r.project.name} | {r.project.version} | {fixes} | {r.files_fixed} "
            f"| {tally(r.before)} | {tally(r.after)} | {regs} |"
        )
    flaky = [(r.project.name, n) for r in results for n in r.flaky]
    if flaky:
        lines.append("")
        lines.append(
            "Failed after the fix, but on a second run passed with the fix or failed without it "
            "too (timing-dependent under load; not counted):"
        )
        lines.extend(f"- {p}: `{n}`" for p, n in flaky)
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--manifest", type=Path, default=HERE / "projects.toml")
    ap.add_argument("--scratch", type=Path, default=Path("/tmp/iolint-fix-suites"))
    ap.add_argument("--only", action="append", default=[], help="project name (repeatable)")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per test run")
    ap.add_argument("--json", type=Path, help="also write every outcome as JSON here")
    args = ap.parse_args()
    if HERE.parent.parent in [args.scratch.resolve(), *args.scratch.resolve().parents]:
        sys.exit("put the scratch directory outside the repository")
    projects = [p for p in load_manifest(args.manifest) if not args.only or p.name in args.only]
    results: list[Outcome] = []
    for project in projects:
        print(f"{project.name}...", file=sys.stderr, flush=True)
        result = check_project(project, args.scratch, args.timeout)
        print(
            f"  {dict(result.fixes)} before {tally(result.before)} after "
            f"{tally(result.after)} regressions {result.regressions} "
            f"({result.seconds:.0f} s) {result.error or ''}",
            file=sys.stderr,
            flush=True,
        )
        results.append(result)
    print(render(results))
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {
                        "project": r.project.name,
                        "version": r.project.version,
                        "fixes": dict(r.fixes),
                        "files_fixed": r.files_fixed,
                        "before": r.before,
                        "after": r.after,
                        "regressions": r.regressions,
                        "flaky": r.flaky,
                        "error": r.error,
                    }
                    for r in results
                ],
                indent=1,
            ),
            encoding="utf-8",
        )
    return 1 if any(r.regressions for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
