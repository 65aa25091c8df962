"""Every fix iolint offers, applied to real code: what each rule's fix changes, and whether any
fixed file gains a pyflakes finding.

    python benchmarks/fixes/static.py --scratch /work/scratch/fixes-static
    python benchmarks/fixes/static.py --no-install ...       # reuse the precision venv

It reuses the precision harness (``benchmarks/precision/run.py``): the same pinned packages,
installed the same way into a scratch venv. ``--settings`` picks what is fixed: ``default``
(what ``iolint check --fix`` does out of the box), ``strict`` (``strict = true``), or ``all``
(every rule, opt-in ones too, not strict: the settings of the first run). The ``.py``
files those distributions installed are copied into a scratch directory, every fix (safe and
unsafe) is applied to the copies with the fixer the CLI uses (``runner.process_path`` with
``fix=True, unsafe=True``), and ``ruff check --select F`` runs on every changed file before and
after. Per rule it reports the number of fixes, the kinds of change (each fix's title, with the
lines it added and removed), and every fixed file that gained an ``F`` finding.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from iolint.config import Settings
from iolint.diagnostics import Edit
from iolint.registry import all_rules
from iolint.runner import process_path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "precision"))
import run as precision  # noqa: E402 - the precision harness, reused as a module


@dataclass
class RuleTally:
    fixes: int = 0
    files: set[str] = field(default_factory=set)
    kinds: Counter[str] = field(default_factory=Counter)
    added: int = 0  # newlines in the text the edits insert
    removed: int = 0  # line breaks spanned by the text the edits replace


@dataclass
class Report:
    rules: dict[str, RuleTally] = field(default_factory=lambda: defaultdict(RuleTally))
    files_changed: int = 0
    files_seen: int = 0
    gained: list[tuple[str, list[str]]] = field(default_factory=list)
    write_errors: list[str] = field(default_factory=list)
    diffs: dict[str, str] = field(default_factory=dict)


_LINE_REF = re.compile(r"\bline \d+")


def ruff_f(paths: list[Path]) -> dict[str, Counter[tuple[str, str]]]:
    """pyflakes (ruff ``F``) findings per file, as (code, message) so that moved lines match."""
    out: dict[str, Counter[tuple[str, str]]] = {str(p): Counter() for p in paths}
    if not paths:
        return out
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--isolated",
            "--select",
            "F",
            "--output-format",
            "json",
            "--exit-zero",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    for item in json.loads(r.stdout):
        # Some messages name another line ("Redefinition of unused `time` from line 88"),
        # which moves when a fix inserts lines above it: the number is not part of the key.
        message = _LINE_REF.sub("line N", item["message"])
        out.setdefault(item["filename"], Counter())[(item["code"], message)] += 1
    return out


def copy_packages(packages: dict[str, dict[str, object]], into: Path) -> dict[Path, str]:
    """Copy each package's installed .py files; the copy's path -> ``package/relative``."""
    if into.exists():
        shutil.rmtree(into)
    copies: dict[Path, str] = {}
    for name, info in packages.items():
        for f in info["files"]:  # type: ignore[attr-defined]
            src = Path(f)
            site = next((p for p in src.parents if p.name == "site-packages"), src.parent)
            rel = src.relative_to(site)
            dst = into / name / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copyfile(src, dst)
            except OSError:
                continue
            copies[dst] = f"{name}/{rel.as_posix()}"
    return copies


def edit_shape(edits: tuple[Edit, ...]) -> str:
    """The kind of change a fix makes, from its edits alone."""
    if all("\n" not in e.content and e.start.line == e.end.line for e in edits):
        return "token edit"
    if all(e.start == e.end for e in edits):
        return "lines inserted"
    return "statements rewritten"


def make_settings(mode: str) -> Settings:
    """``default`` and ``strict``: the precision harness's two modes; ``all``: opt-in rules too."""
    if mode == "all":
        opt_in = tuple(r.code for r in all_rules() if not r.default_enabled)
        return Settings(select=("IO",), extend_select=opt_in, respect_gitignore=False)
    return Settings(respect_gitignore=False, strict=mode == "strict")


def fix_all(copies: dict[Path, str], settings: Settings) -> Report:
    report = Report(files_seen=len(copies))
    originals: dict[Path, str] = {}
    for path in copies:
        try:
            originals[path] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    # Files that would change: first a dry run, so that ruff sees them unfixed.
    to_fix = [
        p
        for p in originals
        if process_path(p, settings, fix=True, diff_only=True, unsafe=True).fixed
    ]
    before = ruff_f(to_fix)
    for path in to_fix:
        result = process_path(path, settings, fix=True, unsafe=True)
        if result.write_error:
            report.write_errors.append(f"{copies[path]}: {result.write_error}")
        if not result.fixed:
            continue
        report.files_changed += 1
        report.diffs[copies[path]] = result.diff
        for d in result.fixed:
            assert d.fix is not None
            tally = report.rules[d.code]
            tally.fixes += 1
            tally.files.add(copies[path])
            tally.kinds[f"{d.fix.message} [{edit_shape(d.fix.edits)}]"] += 1
            for e in d.fix.edits:
                tally.added += e.content.count("\n")
                tally.removed += e.end.line - e.start.line
    after = ruff_f(to_fix)
    for path in to_fix:
        gained = after.get(str(path), Counter()) - before.get(str(path), Counter())
        if gained:
            found = [f"{code} {msg}" for (code, msg), n in gained.items() for _ in range(n)]
            report.gained.append((copies[path], found))
    return report


def render(report: Report) -> str:
    lines = [
        f"{report.files_seen} files, {report.files_changed} changed by `--fix --unsafe-fixes`; "
        f"{len(report.gained)} gained a pyflakes (ruff `F`) finding.",
        "",
        "| rule | fixes | files | newlines +/- | kind of change (fix title [shape]: count) |",
        "|---|---:|---:|---|---|",
    ]
    for code in sorted(report.rules):
        t = report.rules[code]
        kinds = "; ".join(f"{k}: {n}" for k, n in t.kinds.most_common() if n)
        lines.append(f"| {code} | {t.fixes} | {len(t.files)} | +{t.added} -{t.removed} | {kinds} |")
    lines.append("")
    if report.gained:
        lines.append("Fixed files that gained a pyflakes finding:")
        lines.append("")
        for name, found in report.gained:
            lines.append(f"- `{name}`: " + "; ".join(f"`{f}`" for f in found))
    else:
        lines.append("No fixed file gained a pyflakes finding.")
    if report.write_errors:
        lines.append("")
        lines.append("Files the fixer could not write:")
        lines.extend(f"- {e}" for e in report.write_errors)
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--venv", type=Path, default=Path("/tmp/iolint-precision/venv"))
    ap.add_argument("--python", default=sys.executable, help="interpreter for the scratch venv")
    ap.add_argument("--packages", type=Path, default=HERE.parent / "precision" / "packages.txt")
    ap.add_argument("--scratch", type=Path, default=Path("/tmp/iolint-fixes-static"))
    ap.add_argument("--no-install", action="store_true", help="reuse the scratch venv as it is")
    ap.add_argument("--diffs", type=Path, help="also write every fix as one unified diff here")
    ap.add_argument("--settings", choices=("default", "strict", "all"), default="default")
    args = ap.parse_args()
    repo = HERE.parent.parent
    for p in (args.venv, args.scratch):
        if repo in [p.resolve(), *p.resolve().parents]:
            sys.exit("put the scratch directories outside the repository")
    py = precision.ensure_venv(args.venv, args.python, args.packages, install=not args.no_install)
    names = [r.split("==")[0] for r in precision.requirements(args.packages)]
    packages = precision.installed_files(py, names)
    copies = copy_packages(packages, args.scratch / "copy")
    report = fix_all(copies, make_settings(args.settings))
    print(render(report))
    if args.diffs:
        args.diffs.write_text("".join(report.diffs.values()), encoding="utf-8")
    return 1 if report.gained else 0


if __name__ == "__main__":
    sys.exit(main())
