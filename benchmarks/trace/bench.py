"""Overhead of the iolint pytest plugin on a real test suite.

    python benchmarks/trace/bench.py SCRATCH_DIR --project tinydb --runs 5

runs the project's test suite (fetched by projects.py) in five configurations, interleaved
round by round so that background load spreads over all of them, and prints for each the
median and minimum wall time and the median CPU time (user + system, of the pytest process and
its children: steadier than wall time on a loaded machine), start-up included, with their
ratios to the run without the plugin:

  no plugin     pytest -p no:iolint
  inert         pytest                       (the plugin is loaded, no option given)
  faults        pytest --io-faults=short,eagain
  durability    pytest --io-durability
  both          pytest --io-faults=short,eagain --io-durability
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from projects import PROJECTS, environment, fetch, pytest_command

CONFIGS = {
    "no plugin": ["-p", "no:iolint"],
    "inert": [],
    "faults": ["--io-faults=short,eagain"],
    "durability": ["--io-durability"],
    "both": ["--io-faults=short,eagain", "--io-durability"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scratch", type=Path)
    parser.add_argument("--project", default="tinydb")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--configs", nargs="*", default=list(CONFIGS))
    args = parser.parse_args()
    project = next(p for p in PROJECTS if p.name == args.project)
    root = fetch(project, args.scratch)
    env = environment(project, root)
    times: dict[str, list[float]] = {name: [] for name in args.configs}
    cpu: dict[str, list[float]] = {name: [] for name in args.configs}
    for _ in range(args.runs):
        for name in args.configs:
            command = pytest_command(project, ["-x", *CONFIGS[name]])
            before = _children_cpu()
            start = time.perf_counter()
            subprocess.run(command, cwd=root, env=env, capture_output=True, check=False)
            times[name].append(time.perf_counter() - start)
            cpu[name].append(_children_cpu() - before)
    base = statistics.median(times[args.configs[0]])
    base_cpu = statistics.median(cpu[args.configs[0]])
    print(
        f"{project.name} {project.version}, {args.runs} runs each, wall time of the pytest process"
    )
    print()
    print("| configuration | wall median s | wall min s | wall ratio | CPU median s | CPU ratio |")
    print("|---|---|---|---|---|---|")
    for name, values in times.items():
        median = statistics.median(values)
        c = statistics.median(cpu[name])
        print(
            f"| {name} | {median:.2f} | {min(values):.2f} | {median / base:.2f} "
            f"| {c:.2f} | {c / base_cpu:.2f} |"
        )
    return 0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    raise SystemExit(main())
