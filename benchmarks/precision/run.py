"""Precision harness: lint real packages from the package index and write their findings for
review.

    python benchmarks/precision/run.py                 # install (once) and lint
    python benchmarks/precision/run.py --no-install    # reuse the scratch venv

It creates a scratch virtual environment outside the repository (default
``/tmp/iolint-precision/venv``), installs the pinned packages of ``packages.txt`` into it, lints
the Python files each distribution installed (its ``RECORD``) with every iolint rule, opt-in ones
included, and writes ``findings.md`` beside this script: a table of findings per rule and, for
each rule, a deterministic sample of findings with their code context, numbered ``IO101-1``,
``IO101-2``... so that a review can refer to them (see README.md for the verdicts).

Run it with the Python where iolint is installed; the scratch venv uses ``--python`` (default:
the same interpreter).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from iolint.config import Settings
from iolint.diagnostics import Diagnostic
from iolint.registry import all_rules
from iolint.runner import process_path

HERE = Path(__file__).resolve().parent
CONTEXT = 3  # lines shown before and after a finding

# Runs inside the scratch venv: the installed .py files of each requested distribution.
LIST_FILES = """
import json, sys
from importlib import metadata
out = {}
for name in sys.argv[1:]:
    dist = metadata.distribution(name)
    files = sorted(
        str(f.locate()) for f in (dist.files or [])
        if f.suffix == ".py" and "__pycache__" not in f.parts and ".." not in f.parts
    )
    out[name] = {"version": dist.version, "files": files}
print(json.dumps(out))
"""


@dataclass(frozen=True)
class Finding:
    package: str
    path: Path
    rel: str
    diagnostic: Diagnostic


def requirements(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def ensure_venv(venv: Path, python: str, reqs: Path, install: bool) -> Path:
    py = venv / "bin" / "python"
    if not py.exists():
        if not install:
            sys.exit(f"{venv} does not exist; run without --no-install")
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
    if install:
        subprocess.run(
            [
                str(py),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
                str(reqs),
            ],
            check=True,
        )
    return py


def installed_files(py: Path, names: list[str]) -> dict[str, dict[str, object]]:
    r = subprocess.run(
        [str(py), "-c", LIST_FILES, *names], check=True, capture_output=True, text=True
    )
    result: dict[str, dict[str, object]] = json.loads(r.stdout)
    return result


def all_rules_settings(strict: bool = False) -> Settings:
    opt_in = tuple(r.code for r in all_rules() if not r.default_enabled)
    return Settings(select=("IO",), extend_select=opt_in, respect_gitignore=False, strict=strict)


def lint_packages(
    packages: dict[str, dict[str, object]], strict: bool = False
) -> tuple[list[Finding], dict[str, int], list[str]]:
    settings = all_rules_settings(strict)
    findings: list[Finding] = []
    lines_per_package: dict[str, int] = {}
    problems: list[str] = []
    for name, info in packages.items():
        files = [Path(f) for f in info["files"]]  # type: ignore[attr-defined]
        total = 0
        for path in files:
            try:
                total += path.read_bytes().count(b"\n")
            except OSError:
                continue
            result = process_path(path, settings)
            site = next((p for p in path.parents if p.name == "site-packages"), path.parent)
            rel = path.relative_to(site).as_posix()
            if result.parse_error is not None:
                problems.append(f"{rel}: parse error: {result.parse_error.message}")
            problems.extend(f"{rel}: {e}" for e in result.internal_errors)
            findings.extend(Finding(name, path, rel, d) for d in result.diagnostics)
        lines_per_package[name] = total
    return findings, lines_per_package, problems


def sample(items: list[Finding], k: int) -> list[Finding]:
    """Up to ``k`` findings spread evenly over the sorted list (deterministic)."""
    if len(items) <= k:
        return items
    step = len(items) / k
    return [items[int(i * step)] for i in range(k)]


def context(path: Path, line: int) -> str:
    text = path.read_bytes().decode("utf-8", errors="replace").splitlines()
    lo, hi = max(line - CONTEXT, 1), min(line + CONTEXT, len(text))
    width = len(str(hi))
    return "\n".join(
        f"{'>' if n == line else ' '}{n:>{width}} | {text[n - 1]}" for n in range(lo, hi + 1)
    )


def render(
    findings: list[Finding],
    packages: dict[str, dict[str, object]],
    lines_per_package: dict[str, int],
    problems: list[str],
    per_rule: int,
    seconds: float,
) -> str:
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_rule[f.diagnostic.code].append(f)
    for items in by_rule.values():
        items.sort(key=lambda f: (f.rel, f.diagnostic.start.line, f.diagnostic.start.column))
    names = {r.code: r.name for r in all_rules()}
    n_files = sum(len(i["files"]) for i in packages.values())  # type: ignore[arg-type]
    out = [
        "# iolint precision run: findings for review",
        "",
        "Generated by `benchmarks/precision/run.py`; do not edit by hand (verdicts are in"
        " README.md).",
        "",
        f"{len(packages)} packages, {n_files} files, {sum(lines_per_package.values())} lines,"
        f" linted in {seconds:.1f} s; {len(findings)} findings.",
        "",
        "| package | version | files | lines | findings |",
        "|---|---|---:|---:|---:|",
    ]
    per_pkg = Counter(f.package for f in findings)
    for name, info in packages.items():
        out.append(
            f"| {name} | {info['version']} | {len(info['files'])} |"  # type: ignore[arg-type]
            f" {lines_per_package[name]} | {per_pkg[name]} |"
        )
    out += ["", "## Findings per rule", "", "| rule | name | findings | files | sampled |"]
    out.append("|---|---|---:|---:|---:|")
    for r in all_rules():
        items = by_rule.get(r.code, [])
        shown = min(len(items), per_rule)
        out.append(
            f"| {r.code} | {names[r.code]} | {len(items)} | {len({f.rel for f in items})} |"
            f" {shown} |"
        )
    if problems:
        out += ["", "## Files iolint could not analyze", ""]
        out += [f"- {p}" for p in problems]
    for code in sorted(by_rule):
        out += ["", f"## {code} {names.get(code, '')}", ""]
        for i, f in enumerate(sample(by_rule[code], per_rule), 1):
            d = f.diagnostic
            out += [
                f"### {code}-{i}: `{f.rel}:{d.start.line}:{d.start.column + 1}`",
                "",
                f"{d.message}",
                "",
                "```python",
                context(f.path, d.start.line),
                "```",
                "",
            ]
    return "\n".join(out).rstrip() + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--venv", type=Path, default=Path("/tmp/iolint-precision/venv"))
    ap.add_argument("--python", default=sys.executable, help="interpreter for the scratch venv")
    ap.add_argument("--packages", type=Path, default=HERE / "packages.txt")
    ap.add_argument("--out", type=Path, default=HERE / "findings.md")
    ap.add_argument("--json", type=Path, help="also dump every finding as JSON here")
    ap.add_argument("--per-rule", type=int, default=30, help="findings sampled per rule")
    ap.add_argument("--no-install", action="store_true", help="reuse the scratch venv as it is")
    ap.add_argument(
        "--strict", action="store_true", help="also report what strict mode brings back"
    )
    args = ap.parse_args()

    if HERE in args.venv.resolve().parents:
        sys.exit("put the scratch venv outside the repository")
    py = ensure_venv(args.venv, args.python, args.packages, install=not args.no_install)
    names = [r.split("==")[0] for r in requirements(args.packages)]
    packages = installed_files(py, names)
    start = time.perf_counter()
    findings, lines, problems = lint_packages(packages, args.strict)
    seconds = time.perf_counter() - start
    args.out.write_text(
        render(findings, packages, lines, problems, args.per_rule, seconds), encoding="utf-8"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {
                        "package": f.package,
                        "file": f.rel,
                        "path": str(f.path),
                        "code": f.diagnostic.code,
                        "line": f.diagnostic.start.line,
                        "column": f.diagnostic.start.column + 1,
                        "message": f.diagnostic.message,
                    }
                    for f in findings
                ],
                indent=1,
            ),
            encoding="utf-8",
        )
    counts = Counter(f.diagnostic.code for f in findings)
    for code, n in sorted(counts.items()):
        print(f"{code}\t{n}")
    print(f"{len(findings)} findings in {seconds:.1f} s; {len(problems)} files not analyzed")
    print(f"wrote {os.path.relpath(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
