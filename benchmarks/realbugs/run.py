"""Run iolint on real bugs that public projects fixed, before and after the fix.

The manifest (``manifest.toml`` beside this script) names, for each bug, a repository, the fix
commit (the buggy version is its first parent) or the buggy commit of a bug still open, the
file, the line where the finding belongs and the rule; and, where the project released a
version with the bug and a later one with the fix on the package index, those two releases.

The code comes into a scratch directory outside the repository from one of two sources:

- the package index: for an entry with releases on both sides (``pypi``, ``buggy_version``,
  ``fixed_version``), ``pip download --no-deps`` fetches both distributions (a wheel where
  one exists, else the sdist) and their Python files are unpacked;
- git: for the others (and for all with ``--source git``), the directory that holds the file
  at both revisions is extracted with ``git archive`` from a git directory (bare or not) under
  ``--mirror-dir``, one per repository, named ``<owner>+<name>/repo`` (``git clone --bare
  https://github.com/<owner>/<name> <mirror>/<owner>+<name>/repo`` makes it).

Both trees are linted with iolint, and the script reports:

- detected: a finding of the manifest's rule on the manifest's line of the buggy version (or
  of a rule the entry's ``accept`` lists: the same root cause reported by the rule that names
  it better, with the reason in ``accept_why``);
- fixed silent: no finding of that rule on the lines the fix rewrote in the fixed version (the
  buggy line mapped through a line diff of the two versions, one line of slack either side);
- known-good files: every finding on them is a false positive.

Nothing is written inside the repository.

    python benchmarks/realbugs/run.py --mirror-dir /work/.mirror --scratch /tmp/realbugs
    python benchmarks/realbugs/run.py --source git ...   # every entry from git
"""

from __future__ import annotations

import argparse
import ast
import difflib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - older Pythons
    import tomli as tomllib

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Bug:
    id: str
    project: str
    repo: str
    file: str
    line: int
    match: str
    rule: str
    link: str
    bug: str
    fix: str = ""
    buggy: str = ""
    # Other rules whose finding on that line reports the same root cause, and why.
    accept: tuple[str, ...] = ()
    accept_why: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "accept", tuple(self.accept))
        if self.accept and not self.accept_why:
            raise SystemExit(f"{self.id}: `accept` needs an `accept_why`")

    # Releases on the package index: the distribution, the last release with the bug, the
    # first with the fix, the file's path inside the distribution and, when it differs from
    # ``line``, the buggy line in the released file.
    pypi: str = ""
    buggy_version: str = ""
    fixed_version: str = ""
    pypi_file: str = ""
    pypi_line: int = 0
    # "dev": the development set the rules were improved on; "holdout": bugs gathered after,
    # measured with the rules unchanged; "holdout2": gathered after "holdout" had been used to
    # improve the rules; "holdout3": gathered after "holdout2" had been used in turn.
    set: str = "dev"

    @property
    def released(self) -> bool:
        return bool(self.pypi and self.buggy_version and self.fixed_version and self.pypi_file)


@dataclass(frozen=True)
class Good:
    id: str
    repo: str
    rev: str
    file: str
    why: str


@dataclass
class Outcome:
    bug: Bug
    source: str = "git"
    detected: bool = False
    other_codes: list[str] = field(default_factory=list)
    fixed_silent: bool | None = None
    problem: str = ""
    # Accepted codes still reported at the fixed spot (the fix addressed the manifest's rule
    # and left what the accepted rule also says).
    fixed_still: list[str] = field(default_factory=list)


def load_manifest(path: Path) -> tuple[list[Bug], list[Good]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    bugs = [Bug(**entry) for entry in data.get("bug", [])]
    goods = [Good(**entry) for entry in data.get("good", [])]
    ids = [b.id for b in bugs] + [g.id for g in goods]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise SystemExit(f"duplicate ids in the manifest: {sorted(duplicates)}")
    return bugs, goods


def git_dir(mirror: Path, repo: str) -> Path:
    base = mirror / repo.replace("/", "+") / "repo"
    if (base / ".git").is_dir():
        return base / ".git"
    if base.is_dir():
        return base
    raise FileNotFoundError(f"no git directory for {repo} at {base}")


def git(gitdir: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", "--git-dir", str(gitdir), *args], check=True, capture_output=True
    ).stdout


def resolve(gitdir: Path, rev: str) -> str:
    return git(gitdir, "rev-parse", "--verify", f"{rev}^{{commit}}").decode().strip()


def extract(gitdir: Path, rev: str, file: str, dest: Path) -> Path:
    """Extract the Python files of the top-level directory holding `file` at `rev` (the
    whole tree for a file at the top) into `dest`, and mark `dest` as a project root so that
    iolint's project index sees the file's neighbours."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    parts = PurePosixPath(file).parts
    spec = [parts[0]] if len(parts) > 1 else []
    try:
        archive = git(gitdir, "archive", "--format=tar", rev, *spec)
    except subprocess.CalledProcessError:
        # A snapshot may lack large blobs elsewhere in the tree: the file's own directory.
        try:
            archive = git(gitdir, "archive", "--format=tar", rev, str(PurePosixPath(file).parent))
        except subprocess.CalledProcessError:
            # ...or in the file's own directory (a database next to the code): the Python
            # files of the top-level directory, blob by blob.
            _extract_python_blobs(gitdir, rev, spec, file, dest)
            return dest / file
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        members = [
            m for m in tar.getmembers() if m.isfile() and (m.name.endswith(".py") or m.name == file)
        ]
        tar.extractall(dest, members=members, filter="data")
    if not any((dest / m).exists() for m in ("pyproject.toml", "setup.cfg", "setup.py")):
        (dest / "setup.cfg").write_text("", encoding="utf-8")
    return dest / file


def _extract_python_blobs(gitdir: Path, rev: str, spec: list[str], file: str, dest: Path) -> None:
    listing = git(gitdir, "ls-tree", "-r", "-z", rev, "--", *spec).decode()
    for entry in filter(None, listing.split("\0")):
        meta, path = entry.split("\t", 1)
        if not (path.endswith(".py") or path == file) or meta.split()[1] != "blob":
            continue
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(git(gitdir, "cat-file", "blob", meta.split()[2]))
    if not any((dest / m).exists() for m in ("pyproject.toml", "setup.cfg", "setup.py")):
        (dest / "setup.cfg").write_text("", encoding="utf-8")


def pypi_extract(dist: str, version: str, file: str, downloads: Path, dest: Path) -> Path:
    """Download ``dist==version`` with pip (a wheel where one exists, else the sdist) and
    unpack its Python files into ``dest`` (an sdist's top directory stripped), marked as a
    project root; the path of ``file`` (its path inside the distribution) there."""
    where = downloads / f"{dist}-{version}"
    if not where.is_dir() or not any(where.iterdir()):
        where.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                *(sys.executable, "-m", "pip", "download", "--no-deps", "--prefer-binary"),
                *("--disable-pip-version-check", "-q", f"{dist}=={version}", "-d", str(where)),
            ],
            check=True,
            capture_output=True,
        )
    archive = next(iter(sorted(where.iterdir())))
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    texts = _archive_python_files(archive)
    names = list(texts)
    top = {n.split("/", 1)[0] for n in names}
    strip = archive.suffix != ".whl" and len(top) == 1
    for name, data in texts.items():
        relative = name.split("/", 1)[1] if strip and "/" in name else name
        if ".." in PurePosixPath(relative).parts or relative.startswith("/"):
            continue
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    if not any((dest / m).exists() for m in ("pyproject.toml", "setup.cfg", "setup.py")):
        (dest / "setup.cfg").write_text("", encoding="utf-8")
    for base in (dest, dest / "src", dest / "lib"):
        if (base / file).is_file():
            return base / file
    raise FileNotFoundError(f"{file} is not in {archive.name}")


def _archive_python_files(archive: Path) -> dict[str, bytes]:
    wanted = (".py", "pyproject.toml", "setup.cfg")
    if archive.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(archive) as z:
            return {n: z.read(n) for n in z.namelist() if n.endswith(wanted)}
    out: dict[str, bytes] = {}
    with tarfile.open(archive) as tar:
        for m in tar.getmembers():
            if m.isfile() and m.name.endswith(wanted):
                extracted = tar.extractfile(m)
                if extracted is not None:
                    out[m.name] = extracted.read()
    return out


def lint(iolint: list[str], paths: list[Path], strict: bool) -> list[dict[str, Any]]:
    if not paths:
        return []
    cmd = [*iolint, "check", "--output-format", "json", "--exit-zero", "--no-cache"]
    if strict:
        cmd.append("--strict")
    proc = subprocess.run([*cmd, *map(str, paths)], capture_output=True, text=True, check=False)
    # With --exit-zero any other status is a failure (iolint missing from this interpreter,
    # a crash): an empty report then must not read as "nothing detected".
    if proc.returncode != 0 or not proc.stdout.strip():
        raise RuntimeError(f"iolint failed ({proc.returncode}): {proc.stderr[-2000:]}")
    findings: list[dict[str, Any]] = json.loads(proc.stdout)
    return findings


def by_file(findings: list[dict[str, Any]]) -> dict[str, list[tuple[str, int]]]:
    table: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for f in findings:
        table[str(Path(f["filename"]).resolve())].append((f["code"], f["location"]["row"]))
    return table


def mapped_lines(before: list[str], after: list[str], line: int) -> tuple[int, int]:
    """The 1-based line range of `after` that corresponds to `line` of `before`."""
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    index = line - 1
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" and i1 <= index < i2:
            target = j1 + (index - i1) + 1
            return target, target
        if tag != "equal" and (i1 <= index < i2 or (i1 == i2 == index)):
            return j1 + 1, max(j1 + 1, j2)
    return line, line


def run(args: argparse.Namespace) -> int:
    bugs, goods = load_manifest(args.manifest)
    if args.set != "all":
        bugs = [b for b in bugs if b.set == args.set]
        goods = goods if args.set == "dev" else []
    if args.only:
        wanted = set(args.only.split(","))
        bugs = [b for b in bugs if b.id in wanted]
        goods = [g for g in goods if g.id in wanted]
    scratch: Path = args.scratch
    scratch.mkdir(parents=True, exist_ok=True)
    iolint = args.iolint.split()

    outcomes: list[Outcome] = []
    targets: dict[str, tuple[Path, Path | None, int]] = {}
    for bug in bugs:
        from_index = bug.released and args.source == "pypi"
        outcome = Outcome(bug, "pypi" if from_index else "git")
        outcomes.append(outcome)
        line = bug.line
        try:
            if from_index:
                downloads = scratch / "downloads"
                buggy = pypi_extract(
                    bug.pypi,
                    bug.buggy_version,
                    bug.pypi_file,
                    downloads,
                    scratch / bug.id / "buggy",
                )
                fixed: Path | None = pypi_extract(
                    bug.pypi,
                    bug.fixed_version,
                    bug.pypi_file,
                    downloads,
                    scratch / bug.id / "fixed",
                )
                line = bug.pypi_line or bug.line
            else:
                gitdir = git_dir(args.mirror_dir, bug.repo)
                if bug.fix:
                    fixed_rev = resolve(gitdir, bug.fix)
                    buggy_rev = resolve(gitdir, f"{fixed_rev}^")
                else:
                    fixed_rev, buggy_rev = "", resolve(gitdir, bug.buggy)
                buggy = extract(gitdir, buggy_rev, bug.file, scratch / bug.id / "buggy")
                fixed = (
                    extract(gitdir, fixed_rev, bug.file, scratch / bug.id / "fixed")
                    if fixed_rev
                    else None
                )
        except (FileNotFoundError, subprocess.CalledProcessError, KeyError) as exc:
            outcome.problem = f"not available: {exc}"
            continue
        text = buggy.read_text(encoding="utf-8", errors="replace")
        lines = text.splitlines()
        if not (0 < line <= len(lines)) or bug.match not in lines[line - 1]:
            outcome.problem = f"line {line} does not contain {bug.match!r}"
            continue
        try:
            ast.parse(text)
        except SyntaxError as exc:
            # A release of Python 2 code: iolint cannot read it, which is not a miss.
            outcome.problem = f"does not parse as Python 3 ({exc.msg}, line {exc.lineno})"
            continue
        targets[bug.id] = (buggy, fixed, line)

    files_before = sorted({buggy for buggy, _, _ in targets.values()})
    files_after = sorted({fixed for _, fixed, _ in targets.values() if fixed and fixed.exists()})
    before = by_file(lint(iolint, files_before, args.strict))
    after = by_file(lint(iolint, files_after, args.strict))

    for outcome in outcomes:
        if outcome.bug.id not in targets:
            continue
        bug = outcome.bug
        buggy, fixed, line = targets[bug.id]
        here = before.get(str(buggy.resolve()), [])
        wanted = {bug.rule, *bug.accept}
        outcome.detected = any(c in wanted and r == line for c, r in here)
        outcome.other_codes = sorted({c for c, r in here if r == line} - {bug.rule})
        if fixed is None:
            continue
        if not fixed.exists():
            outcome.fixed_silent = True  # the fix removed the file
            continue
        old = buggy.read_text(encoding="utf-8", errors="replace").splitlines()
        new = fixed.read_text(encoding="utf-8", errors="replace").splitlines()
        lo, hi = mapped_lines(old, new, line)
        there = after.get(str(fixed.resolve()), [])
        outcome.fixed_silent = not any(c == bug.rule and lo - 1 <= r <= hi + 1 for c, r in there)
        outcome.fixed_still = sorted(
            {c for c, r in there if c in bug.accept and lo - 1 <= r <= hi + 1}
        )

    good_results: list[tuple[Good, list[tuple[str, int]] | str]] = []
    good_paths: dict[str, Path] = {}
    for good in goods:
        try:
            gitdir = git_dir(args.mirror_dir, good.repo)
            rev = resolve(gitdir, good.rev)
            good_paths[good.id] = extract(gitdir, rev, good.file, scratch / "good" / good.id)
        except (FileNotFoundError, subprocess.CalledProcessError, KeyError) as exc:
            good_results.append((good, f"not available: {exc}"))
    good_findings = by_file(lint(iolint, sorted(good_paths.values()), args.strict))
    for good in goods:
        if good.id in good_paths:
            good_results.append((good, good_findings.get(str(good_paths[good.id].resolve()), [])))

    report(outcomes, good_results)
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {
                        "id": o.bug.id,
                        "rule": o.bug.rule,
                        "set": o.bug.set,
                        "source": o.source,
                        "detected": o.detected,
                        "other_codes": o.other_codes,
                        "fixed_silent": o.fixed_silent,
                        "fixed_still": o.fixed_still,
                        "problem": o.problem,
                    }
                    for o in outcomes
                ],
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    return 0


def report(outcomes: list[Outcome], goods: list[tuple[Good, list[tuple[str, int]] | str]]) -> None:
    print("| bug | set | rule | source | detected | fixed silent | note |")
    print("|---|---|---|---|---|---|---|")
    for o in outcomes:
        silent = {None: "n/a (open)", True: "yes", False: "**no**"}[o.fixed_silent]
        note = o.problem or (f"reported as {', '.join(o.other_codes)}" if o.other_codes else "")
        accepted = sorted(set(o.other_codes) & set(o.bug.accept))
        if not o.problem and accepted:
            note = f"reported as {', '.join(o.other_codes)} (accepted: `accept_why`)"
        if not o.problem and o.fixed_still:
            note += f"; fixed version still {', '.join(o.fixed_still)}"
        if o.problem:
            silent = "-"
        print(
            f"| {o.bug.id} | {o.bug.set} | {o.bug.rule} | {o.source} "
            f"| {'yes' if o.detected else '**no**'} | {silent} | {note} |"
        )
    for name in sorted({o.bug.set for o in outcomes}):
        print()
        print(f"Set `{name}`:")
        print()
        rule_table([o for o in outcomes if o.bug.set == name])
    if not goods:
        return
    print()
    print("| known-good file | findings |")
    print("|---|---|")
    for good, result in goods:
        if isinstance(result, str):
            shown = result
        else:
            shown = ", ".join(f"{c} line {r}" for c, r in result) or "none"
        print(f"| {good.id} | {shown} |")


def rule_table(outcomes: list[Outcome]) -> None:
    """Detected / total and fixed silent / fixed, per rule and overall, for one set."""
    per_rule: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        per_rule[o.bug.rule].append(o)
    print("| rule | detected / total | fixed silent / fixed |")
    print("|---|---|---|")
    total_detected = total_fixed = total_silent = 0
    for rule in sorted(per_rule):
        group = per_rule[rule]
        detected = sum(o.detected for o in group)
        fixed = [o for o in group if o.fixed_silent is not None]
        silent = sum(bool(o.fixed_silent) for o in fixed)
        total_detected += detected
        total_fixed += len(fixed)
        total_silent += silent
        print(f"| {rule} | {detected} / {len(group)} | {silent} / {len(fixed)} |")
    print(
        f"| **all** | **{total_detected} / {len(outcomes)}** | **{total_silent} / {total_fixed}** |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", type=Path, default=HERE / "manifest.toml")
    parser.add_argument(
        "--mirror-dir",
        type=Path,
        default=Path("/work/.mirror"),
        help="directory of git directories, one per repository: <owner>+<name>/repo",
    )
    parser.add_argument(
        "--scratch",
        type=Path,
        default=Path("/work/scratch/index/realbugs"),
        help="where the code is extracted (outside the repository)",
    )
    parser.add_argument(
        "--iolint",
        default=f"{sys.executable} -m iolint",
        help="the command that runs iolint",
    )
    parser.add_argument(
        "--source",
        choices=("pypi", "git"),
        default="pypi",
        help="pypi: released versions from the package index where the manifest names them, "
        "git for the rest (default); git: every entry from its git directory",
    )
    parser.add_argument("--strict", action="store_true", help="lint with --strict")
    parser.add_argument(
        "--set",
        choices=("all", "dev", "holdout", "holdout2", "holdout3"),
        default="all",
        help="dev: the bugs the rules were developed on (and the known-good files); holdout: "
        "bugs gathered afterwards, measured with the rules unchanged (since used to improve "
        "them); holdout2: a second set gathered after that (since used too); holdout3: a "
        "third set, gathered after holdout2 had been used; all: every set (default)",
    )
    parser.add_argument("--only", help="comma-separated ids to run")
    parser.add_argument("--json", type=Path, help="also write the outcomes as JSON")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
