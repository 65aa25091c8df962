"""Time iolint against flake8 and ruff on the same files, side by side, and print a table.

    python benchmarks/run.py [TREE] [--runs 5] [--with-tests | --without-tests] [--jobs N]

TREE defaults to the running Python's ``Lib/``. Its ``.py`` files are first copied into a
scratch directory (without ``site-packages``; ``--without-tests`` also leaves out ``test/``,
``tests/`` and ``idle_test/`` directories), so that every tool sees exactly the same files
and no tool's own excludes or configuration files change the workload. By default both
corpora are measured.

Tools, each run ``--runs`` times, round-robin (one run of each tool, then the next round) so
that load from other processes spreads over all of them; the table shows medians:

* ``flake8``: flake8 alone (pyflakes, pycodestyle, mccabe), ``-j N``.
* ``flake8 + iolint``: the same command with the iolint plugin loaded. Both go through
  ``benchmarks/flake8_toggle.py``, which removes the iolint plugin from flake8's plugin
  discovery for the first: what uninstalling the plugin does. ``--select``/``--extend-select``
  are not a fair toggle, because flake8 runs every installed plugin on every file and only
  filters what they report.
* ``iolint cold``: ``iolint check --no-cache``, ``--jobs N``.
* ``iolint warm``: ``iolint check`` after one untimed run that fills the cache.
* ``ruff``: ``ruff check --select E,F,W --no-cache``, if ruff is installed.

iolint's modules are byte-compiled first (``--no-compile`` to skip), as ``pip install`` leaves
every installed package, the other tools included.

Peak memory is the largest resident set of any process of the run (``ru_maxrss`` from
``wait4``, which covers the process and the workers it waited for), in MB.
This is a benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEST_DIRS = {"test", "tests", "idle_test"}


@dataclass
class Tool:
    name: str
    argv: list[str]
    prime: bool = False  # run once untimed first (to fill a cache)
    times: list[float] = field(default_factory=list)
    # CPU seconds (user + system) of the run and its workers.
    cpu: list[float] = field(default_factory=list)
    peak_kb: int = 0
    status: int = 0


def copy_corpus(src: Path, dest: Path, with_tests: bool) -> tuple[int, int]:
    files = lines = 0
    for dirpath, dirnames, filenames in os.walk(src):
        rel = Path(dirpath).relative_to(src)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in ("site-packages", "__pycache__")
            and not d.startswith(".")
            and (with_tests or d not in TEST_DIRS)
        )
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            target = dest / rel / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(dirpath) / name, target)
            files += 1
            with open(target, "rb") as f:
                lines += sum(1 for _ in f)
    # One project root for the whole corpus, so that iolint's project index (the facts of
    # the modules each file imports) is built and used as on a real project. An empty
    # setup.cfg configures no tool: flake8 finds no [flake8] section in it, ruff ignores it.
    (dest / "setup.cfg").write_text("", encoding="utf-8")
    return files, lines


def run_once(argv: list[str], cwd: Path) -> tuple[float, int, int, float]:
    """Wall time, peak RSS (KB), exit status and CPU time of one run."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, int(usage.ru_maxrss), proc.returncode, usage.ru_utime + usage.ru_stime


def tools_for(tree: Path, jobs: int) -> list[Tool]:
    py = sys.executable
    toggle = str(HERE / "flake8_toggle.py")
    iolint = [py, "-m", "iolint", "check", "--exit-zero", "-q", "--jobs", str(jobs)]
    tools = [
        Tool("flake8", [py, toggle, "--without-iolint", "-j", str(jobs), str(tree)]),
        Tool("flake8 + iolint", [py, toggle, "--with-iolint", "-j", str(jobs), str(tree)]),
        Tool("iolint cold", [*iolint, "--no-cache", str(tree)]),
        Tool("iolint warm", [*iolint, str(tree)], prime=True),
    ]
    ruff = shutil.which("ruff")
    if ruff:
        tools.append(
            Tool("ruff", [ruff, "check", "--select", "E,F,W", "--no-cache", "--exit-zero", "-q"])
        )
        tools[-1].argv.append(str(tree))
    return tools


def measure(tree: Path, runs: int, jobs: int, workdir: Path) -> list[Tool]:
    tools = tools_for(tree, jobs)
    for tool in tools:
        if tool.prime:
            run_once(tool.argv, workdir)
    for i in range(runs):
        for tool in tools:
            elapsed, peak, status, cpu = run_once(tool.argv, workdir)
            tool.times.append(elapsed)
            tool.cpu.append(cpu)
            tool.peak_kb = max(tool.peak_kb, peak)
            tool.status = status
        print(f"  round {i + 1}/{runs} done", file=sys.stderr)
    return tools


def ratio(tools: list[Tool], a: str, b: str) -> float | None:
    by = {t.name: t for t in tools}
    if a not in by or b not in by:
        return None
    return statistics.median(by[a].times) / statistics.median(by[b].times)


def cpu_ratio(tools: list[Tool], a: str, b: str) -> float | None:
    by = {t.name: t for t in tools}
    if a not in by or b not in by:
        return None
    return statistics.median(by[a].cpu) / statistics.median(by[b].cpu)


def table(label: str, files: int, lines: int, tools: list[Tool]) -> str:
    out = [
        f"### {label}: {files} files, {lines:,} lines",
        "",
        "| tool | median s | min s | max s | CPU s (median) | peak RSS MB | exit |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for t in tools:
        out.append(
            f"| {t.name} | {statistics.median(t.times):.2f} | {min(t.times):.2f} | "
            f"{max(t.times):.2f} | {statistics.median(t.cpu):.2f} | {t.peak_kb / 1024:.0f} | "
            f"{t.status} |"
        )
    out += ["", "| ratio (medians) | value | target | |", "|---|---:|---:|---|"]
    targets = [
        ("flake8 + iolint / flake8", "flake8 + iolint", "flake8", 1.10),
        ("iolint cold / flake8", "iolint cold", "flake8", 0.15),
        ("iolint warm / ruff", "iolint warm", "ruff", 2.0),
    ]
    for text, a, b, limit in targets:
        r = ratio(tools, a, b)
        if r is not None:
            out.append(f"| {text} | {r:.3f} | <= {limit} | {'ok' if r <= limit else 'MISSED'} |")
    # CPU time is what load from other processes disturbs least: on a shared machine these
    # ratios show what the wall-time ratios above would be on a quiet one (not for ruff,
    # whose threads make its wall time much shorter than its CPU time).
    for text, a, b, _ in targets[:2]:
        r = cpu_ratio(tools, a, b)
        if r is not None:
            out.append(f"| {text}, CPU time | {r:.3f} | | |")
    peak = max((t.peak_kb for t in tools if t.name.startswith("iolint")), default=0) / 1024
    verdict = "ok" if peak < 300 else "MISSED"
    out.append(f"| iolint peak RSS (MB) | {peak:.0f} | < 300 | {verdict} |")
    return "\n".join(out) + "\n"


def byte_compile() -> str:
    """Compile iolint's modules to bytecode first, as ``pip install`` does for every package
    it installs (flake8, pyflakes and pycodestyle here): an editable install run with
    ``PYTHONDONTWRITEBYTECODE=1`` would otherwise compile every module at every start, a cost
    no user of the released package pays (about 0.1 s, half of a warm run)."""
    spec = importlib.util.find_spec("iolint")
    if spec is None or spec.origin is None:
        return "- iolint not importable: not byte-compiled"
    package = Path(spec.origin).parent
    ok = compileall.compile_dir(package, quiet=1)
    return f"- iolint byte-compiled before timing, as pip does: {'ok' if ok else 'FAILED'}"


def versions() -> str:
    def first_line(argv: list[str]) -> str:
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=60).stdout
            return out.strip().splitlines()[0] if out.strip() else "?"
        except (OSError, subprocess.SubprocessError):
            return "not installed"

    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ruff = shutil.which("ruff")
    return "\n".join(
        [
            f"- date: {time.strftime('%Y-%m-%d %H:%M %Z')}",
            f"- machine: {platform.system()} {platform.machine()}, nproc {os.cpu_count()}, {cpu}",
            f"- load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
            f"- Python {platform.python_version()} ({sys.executable})",
            f"- flake8 {first_line([sys.executable, '-m', 'flake8', '--version'])}",
            f"- ruff: {first_line([ruff, '--version']) if ruff else 'not installed'}",
            f"- {first_line([sys.executable, '-m', 'iolint', 'version'])}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tree", nargs="?", default=sysconfig.get_paths()["stdlib"])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per tool (default 5)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="-j for all")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--with-tests", action="store_true", help="only the tree with tests")
    group.add_argument("--without-tests", action="store_true", help="only the tree without")
    parser.add_argument(
        "--no-compile", action="store_true", help="do not byte-compile iolint first"
    )
    args = parser.parse_args(argv)

    corpora = [False, True]
    if args.with_tests:
        corpora = [True]
    elif args.without_tests:
        corpora = [False]
    src = Path(args.tree).resolve()
    print(f"## Benchmark: {src}, {args.runs} runs per tool, -j {args.jobs}\n")
    compiled = "- iolint not byte-compiled (--no-compile)" if args.no_compile else byte_compile()
    print(versions() + "\n" + compiled + "\n")
    with tempfile.TemporaryDirectory(prefix="iolint-bench-") as scratch:
        for with_tests in corpora:
            label = "with tests" if with_tests else "without tests"
            corpus = Path(scratch) / ("lib-tests" if with_tests else "lib")
            files, lines = copy_corpus(src, corpus, with_tests)
            # The working directory has no configuration: every tool runs on its defaults,
            # and iolint's cache lives here, outside the corpus.
            workdir = Path(scratch) / f"cwd-{'tests' if with_tests else 'lib'}"
            workdir.mkdir()
            print(f"measuring {label}...", file=sys.stderr)
            tools = measure(corpus, args.runs, args.jobs, workdir)
            print(table(f"{src.name}/ {label}", files, lines, tools))
    print(f"- load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
