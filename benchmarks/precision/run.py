"""Precision harness, second edition: lint released packages, join the findings with the reviewed
verdicts, and list what nobody has reviewed yet.

    python benchmarks/precision/run.py                  # install (once), lint, report
    python benchmarks/precision/run.py --no-install     # reuse the scratch venv
    python benchmarks/precision/run.py --no-install --markdown   # the package table too
    python benchmarks/precision/run.py --report run.json          # re-join a --json dump

It creates a scratch virtual environment outside the repository (``--venv``, default
``/tmp/iolint-precision/venv``), installs the pinned packages of ``packages.txt`` into it, and
lints the Python files each listed distribution installed (its ``RECORD``) twice: with iolint's
default settings and with ``strict = true``. Opt-in rules (IO308) are left out of both: the
harness measures what a user who turns iolint on sees. Each file gets a project index rooted at
``site-packages`` (cross-module facts, as in the maintainer's own checkout; ``find_root()``
finds no project above an installed package); ``--no-index`` lints without one.

Every default-mode finding is keyed by package, file, rule and the stripped text of the line it
is reported on (plus an occurrence number when that text repeats in the file), so a verdict
survives line shifts and rule changes. ``verdicts.tsv`` holds one reviewed verdict per key:

- ``worth``: a maintainer would make the change;
- ``harmless``: what the message says is true, but it does not matter in this context;
- ``wrong``: what the message says is false for this code.

The run prints, per rule, the findings and their verdicts in both modes, precision (the share
worth a change) and the verdicts whose finding is gone (silenced by a rule change: a ``worth``
among them is lost recall). It writes ``findings.md`` (every default-mode finding, its verdict,
and the code around it) and ``unreviewed.md`` (only the findings without a verdict, to review
after a rule change). It exits 1 if a default-mode finding has no verdict.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
import time
import tokenize
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from iolint.config import Settings
from iolint.diagnostics import Diagnostic, Position
from iolint.model.index import shared_index
from iolint.registry import all_rules
from iolint.runner import FileResult, ProjectContext, lint_source, module_name, process_path

HERE = Path(__file__).resolve().parent
CONTEXT = 4  # lines shown before and after a finding
VERDICTS = ("worth", "harmless", "wrong")
# Tab-separated, no quoting: a backslash escapes a tab, newline or backslash in the line text.
TSV_DIALECT: dict[str, Any] = {
    "delimiter": "\t",
    "quoting": csv.QUOTE_NONE,
    "quotechar": None,
    "escapechar": "\\",
}
TSV_FIELDS = ("package", "version", "file", "code", "key", "n", "verdict", "reason")

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
    version: str
    path: Path
    rel: str
    diagnostic: Diagnostic
    key: str  # the stripped text of the reported line
    n: int  # 1 for the first finding of this rule on this text in this file, then 2, ...

    @property
    def ident(self) -> tuple[str, str, str, str, int]:
        return (self.package, self.rel, self.diagnostic.code, self.key, self.n)


@dataclass(frozen=True)
class Verdict:
    package: str
    version: str
    file: str
    code: str
    key: str
    n: int
    verdict: str
    reason: str

    @property
    def ident(self) -> tuple[str, str, str, str, int]:
        return (self.package, self.file, self.code, self.key, self.n)


# ----------------------------------------------------------------------------- installing


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
        # --no-deps: only the listed distributions are linted, and some pins need different
        # versions of each other's dependencies (poetry 1.8 pins poetry-core 1.9, the manifest
        # lints poetry-core 2.5), which a resolver would refuse.
        pip = [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "--no-deps", "-r", str(reqs)], check=True)
    return py


def installed_files(py: Path, names: list[str]) -> dict[str, dict[str, object]]:
    r = subprocess.run(
        [str(py), "-c", LIST_FILES, *names], check=True, capture_output=True, text=True
    )
    result: dict[str, dict[str, object]] = json.loads(r.stdout)
    return result


# ----------------------------------------------------------------------------- linting


def _line_text(path: Path, line: int) -> str:
    lines = path.read_bytes().decode("utf-8", errors="replace").splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def _lint_with_index(path: Path, settings: Settings, site: Path) -> FileResult:
    """Lint ``path`` with a project index rooted at ``site-packages``, as if the installed
    packages were the project's own checkout: what a maintainer linting their repository gets
    (cross-module facts), which a file in ``site-packages`` does not get on its own, since
    ``find_root()`` finds no ``pyproject.toml`` or VCS directory above it. The root is wider
    than one distribution's checkout: imports of other installed packages resolve too."""
    name, is_package = module_name(path)
    index = shared_index(site, None)
    context = ProjectContext(index.lookups(), name, is_package, index)
    data = path.read_bytes()
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    text = data.decode(encoding, errors="replace")
    enabled = settings.enabled_codes(path)
    return lint_source(text, str(path), settings, path, enabled=enabled, context=context)


def lint_packages(
    packages: dict[str, dict[str, object]], settings: Settings, *, index: bool = False
) -> tuple[list[Finding], dict[str, int], list[str]]:
    findings: list[Finding] = []
    lines_per_package: dict[str, int] = {}
    problems: list[str] = []
    for name, info in packages.items():
        files = [Path(f) for f in info["files"]]  # type: ignore[attr-defined]
        version = str(info["version"])
        total = 0
        for path in files:
            try:
                total += path.read_bytes().count(b"\n")
            except OSError:
                continue
            site = next((p for p in path.parents if p.name == "site-packages"), path.parent)
            if index:
                result = _lint_with_index(path, settings, site)
            else:
                result = process_path(path, settings)
            rel = path.relative_to(site).as_posix()
            if result.parse_error is not None:
                problems.append(f"{rel}: parse error: {result.parse_error.message}")
            problems.extend(f"{rel}: {e}" for e in result.internal_errors)
            seen: Counter[tuple[str, str]] = Counter()
            for d in sorted(result.diagnostics, key=Diagnostic.sort_key):
                key = _line_text(path, d.start.line)
                seen[(d.code, key)] += 1
                findings.append(Finding(name, version, path, rel, d, key, seen[(d.code, key)]))
        lines_per_package[name] = total
    return findings, lines_per_package, problems


def findings_from_json(path: Path) -> tuple[list[Finding], list[Finding]]:
    """The default-mode and strict-mode findings of an earlier run's ``--json`` dump."""
    modes: dict[str, list[Finding]] = {"default": [], "strict": []}
    for item in json.loads(path.read_text(encoding="utf-8")):
        at = Position(item["line"], item["column"] - 1)
        d = Diagnostic(item["code"], "", item["message"], at, at)
        modes[item["mode"]].append(
            Finding(
                item["package"],
                item["version"],
                Path(item["path"]),
                item["file"],
                d,
                item["key"],
                item["n"],
            )
        )
    return modes["default"], modes["strict"]


# ----------------------------------------------------------------------------- verdicts


def read_verdicts(path: Path) -> dict[tuple[str, str, str, str, int], Verdict]:
    if not path.exists():
        return {}
    out: dict[tuple[str, str, str, str, int], Verdict] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, **TSV_DIALECT):
            if row["verdict"] not in VERDICTS:
                sys.exit(f"{path}: verdict must be one of {VERDICTS}, got {row['verdict']!r}")
            v = Verdict(
                row["package"],
                row["version"],
                row["file"],
                row["code"],
                row["key"],
                int(row["n"]),
                row["verdict"],
                row["reason"],
            )
            out[v.ident] = v
    return out


def write_verdict_template(path: Path, findings: Iterable[Finding]) -> None:
    """Rows for the unreviewed findings, with an empty verdict, to fill in and append."""
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n", **TSV_DIALECT)
        w.writerow(TSV_FIELDS)
        for x in findings:
            w.writerow((x.package, x.version, x.rel, x.diagnostic.code, x.key, x.n, "", ""))


# ----------------------------------------------------------------------------- reporting


def context(path: Path, line: int) -> str:
    text = path.read_bytes().decode("utf-8", errors="replace").splitlines()
    lo, hi = max(line - CONTEXT, 1), min(line + CONTEXT, len(text))
    width = len(str(hi))
    return "\n".join(
        f"{'>' if n == line else ' '}{n:>{width}} | {text[n - 1]}" for n in range(lo, hi + 1)
    )


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def rule_table(
    findings: Sequence[Finding],
    verdicts: dict[tuple[str, str, str, str, int], Verdict],
    title: str,
) -> list[str]:
    """Per rule: findings, the three verdicts, unreviewed, precision (share worth a change)."""
    names = {r.code: r.name for r in all_rules()}
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for f in findings:
        v = verdicts.get(f.ident)
        counts[f.diagnostic.code][v.verdict if v else "unreviewed"] += 1
    out = [
        f"{title}",
        "",
        "| rule | findings | worth a change | harmless here | wrong | unreviewed | precision |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    total: Counter[str] = Counter()
    for code in sorted(counts):
        c = counts[code]
        n = sum(c.values())
        total.update(c)
        out.append(
            f"| {code} {names.get(code, '')} | {n} | {c['worth']} | {c['harmless']} |"
            f" {c['wrong']} | {c['unreviewed']} | {_pct(c['worth'], n)} |"
        )
    n = sum(total.values())
    out.append(
        f"| **all** | **{n}** | **{total['worth']}** | **{total['harmless']}** |"
        f" **{total['wrong']}** | **{total['unreviewed']}** | **{_pct(total['worth'], n)}** |"
    )
    return out


def gone_table(
    findings: Sequence[Finding], verdicts: dict[tuple[str, str, str, str, int], Verdict]
) -> list[str]:
    """Reviewed findings that the current code no longer reports, per rule and verdict."""
    present = {f.ident for f in findings}
    gone: dict[str, Counter[str]] = defaultdict(Counter)
    for ident, v in verdicts.items():
        if ident not in present:
            gone[v.code][v.verdict] += 1
    if not gone:
        return ["No reviewed finding has disappeared."]
    out = [
        "| rule | gone: worth a change (lost) | harmless (silenced) | wrong (silenced) |",
        "|---|---:|---:|---:|",
    ]
    for code in sorted(gone):
        c = gone[code]
        out.append(f"| {code} | {c['worth']} | {c['harmless']} | {c['wrong']} |")
    return out


def before_after_table(
    findings: Sequence[Finding], verdicts: dict[tuple[str, str, str, str, int], Verdict]
) -> list[str]:
    """Per rule: the reviewed findings (the run the verdicts were written for) and what the
    current code reports of them, plus the new findings nobody has reviewed."""
    before: dict[str, Counter[str]] = defaultdict(Counter)
    for reviewed in verdicts.values():
        before[reviewed.code][reviewed.verdict] += 1
    now: dict[str, Counter[str]] = defaultdict(Counter)
    for f in findings:
        v = verdicts.get(f.ident)
        now[f.diagnostic.code][v.verdict if v else "unreviewed"] += 1
    out = [
        "| rule | reviewed | worth | harmless | wrong | now | worth | harmless | wrong |"
        " new, unreviewed | precision before | precision now |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for code in sorted(set(before) | set(now)):
        b, n = before[code], now[code]
        nb, nn = sum(b.values()), sum(n.values())
        out.append(
            f"| {code} | {nb} | {b['worth']} | {b['harmless']} | {b['wrong']} | {nn} |"
            f" {n['worth']} | {n['harmless']} | {n['wrong']} | {n['unreviewed']} |"
            f" {_pct(b['worth'], nb)} | {_pct(n['worth'], nn)} |"
        )
    return out


def render_findings(
    title: str,
    findings: Sequence[Finding],
    verdicts: dict[tuple[str, str, str, str, int], Verdict],
) -> str:
    out = [f"# {title}", "", "Generated by `benchmarks/precision/run.py`; do not edit.", ""]
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_rule[f.diagnostic.code].append(f)
    for code in sorted(by_rule):
        out += [f"## {code}", ""]
        for f in sorted(by_rule[code], key=lambda x: (x.package, x.rel, x.diagnostic.start.line)):
            d = f.diagnostic
            v = verdicts.get(f.ident)
            verdict = f"**{v.verdict}**: {v.reason}" if v else "**unreviewed**"
            out += [
                f"### {f.package} {f.version} `{f.rel}:{d.start.line}:{d.start.column + 1}`",
                "",
                verdict,
                "",
                d.message,
                "",
                "```python",
                context(f.path, d.start.line),
                "```",
                "",
            ]
    return "\n".join(out).rstrip() + "\n"


def package_table(
    packages: dict[str, dict[str, object]],
    lines: dict[str, int],
    default: Sequence[Finding],
    strict: Sequence[Finding],
) -> list[str]:
    out = [
        "| package | version | files | lines | default | strict |",
        "|---|---|---:|---:|---:|---:|",
    ]
    per_default = Counter(f.package for f in default)
    per_strict = Counter(f.package for f in strict)
    for name, info in packages.items():
        out.append(
            f"| {name} | {info['version']} | {len(info['files'])} |"  # type: ignore[arg-type]
            f" {lines[name]} | {per_default[name]} | {per_strict[name]} |"
        )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--venv", type=Path, default=Path("/tmp/iolint-precision/venv"))
    ap.add_argument("--python", default=sys.executable, help="interpreter for the scratch venv")
    ap.add_argument("--packages", type=Path, default=HERE / "packages.txt")
    ap.add_argument("--verdicts", type=Path, default=HERE / "verdicts.tsv")
    ap.add_argument("--out-dir", type=Path, default=HERE, help="where the .md reports go")
    ap.add_argument("--json", type=Path, help="also dump every finding of both modes as JSON")
    ap.add_argument(
        "--report",
        type=Path,
        metavar="JSON",
        help="do not lint: join the findings of an earlier run's --json dump with the verdicts",
    )
    ap.add_argument(
        "--template",
        type=Path,
        help="write verdicts.tsv rows (verdict left empty) for the unreviewed findings here",
    )
    ap.add_argument("--markdown", action="store_true", help="print the package table too")
    ap.add_argument("--no-install", action="store_true", help="reuse the scratch venv as it is")
    ap.add_argument(
        "--no-index",
        dest="index",
        action="store_false",
        help="lint each file as iolint does in site-packages, with no project root and so no"
        " cross-module facts (by default the harness roots a project index at site-packages,"
        " as a maintainer linting a checkout gets one)",
    )
    args = ap.parse_args()

    problems: list[str] = []
    summary: list[str] = []
    packages: dict[str, dict[str, object]] = {}
    lines: dict[str, int] = {}
    if args.report is not None:
        default, strict = findings_from_json(args.report)
        summary.append(f"findings of {args.report}")
    else:
        if HERE in args.venv.resolve().parents:
            sys.exit("put the scratch venv outside the repository")
        py = ensure_venv(args.venv, args.python, args.packages, install=not args.no_install)
        names = [r.split("==")[0] for r in requirements(args.packages)]
        packages = installed_files(py, names)
        base = Settings(respect_gitignore=False)
        start = time.perf_counter()
        default, lines, problems = lint_packages(packages, base, index=args.index)
        seconds = time.perf_counter() - start
        strict, _, _ = lint_packages(packages, replace(base, strict=True), index=args.index)
        n_files = sum(len(i["files"]) for i in packages.values())  # type: ignore[arg-type,misc]
        summary.append(
            f"{len(packages)} packages, {n_files} files, {sum(lines.values())} lines;"
            f" default mode linted in {seconds:.1f} s."
        )
    verdicts = read_verdicts(args.verdicts)
    unreviewed = [f for f in default if f.ident not in verdicts]

    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "findings.md").write_text(
        render_findings("Default-mode findings and their verdicts", default, verdicts),
        encoding="utf-8",
    )
    (args.out_dir / "unreviewed.md").write_text(
        render_findings("Findings without a verdict", unreviewed, verdicts), encoding="utf-8"
    )
    if args.template:
        write_verdict_template(args.template, unreviewed)
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {
                        "mode": mode,
                        "package": f.package,
                        "version": f.version,
                        "file": f.rel,
                        "path": str(f.path),
                        "code": f.diagnostic.code,
                        "line": f.diagnostic.start.line,
                        "column": f.diagnostic.start.column + 1,
                        "key": f.key,
                        "n": f.n,
                        "message": f.diagnostic.message,
                    }
                    for mode, found in (("default", default), ("strict", strict))
                    for f in found
                ],
                indent=1,
            ),
            encoding="utf-8",
        )

    summary.append(
        f"default: {len(default)} findings ({len(unreviewed)} unreviewed);"
        f" strict: {len(strict)} findings; {len(problems)} files not analyzed."
    )
    print("\n".join(summary))
    print()
    print("\n".join(rule_table(default, verdicts, "Default settings:")))
    print()
    print("\n".join(rule_table(strict, verdicts, "Strict (`strict = true`):")))
    print()
    print("Default settings, the reviewed run (verdicts.tsv) and now:")
    print()
    print("\n".join(before_after_table(default, verdicts)))
    print()
    print("Reviewed findings no longer reported in default mode:")
    print("\n".join(gone_table(default, verdicts)))
    if args.markdown and packages:
        print()
        print("\n".join(package_table(packages, lines, default, strict)))
    for p in problems:
        print(f"not analyzed: {p}")
    if unreviewed:
        print()
        print(f"{len(unreviewed)} findings need a verdict; see {args.out_dir / 'unreviewed.md'}:")
        for f in unreviewed:
            d = f.diagnostic
            print(f"  {d.code} {f.package} {f.rel}:{d.start.line}  {f.key}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
