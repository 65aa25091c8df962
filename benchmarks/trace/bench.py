"""Overhead of the iolint pytest plugin on a real test suite.

    python benchmarks/trace/bench.py SCRATCH_DIR --project tinydb --runs 5

runs the project's test suite (fetched by projects.py) in five configurations, interleaved
round by round so that background load spreads over all of them, and prints the median and
the minimum wall time of each (the whole pytest process, start-up included) and its ratio to
the run without the plugin:

  no plugin     pytest -p no:iolint
  inert         pytest                       (the plugin is loaded, no option given)
  faults        pytest --io-faults=short,eagain
  durability    pytest --io-durability
  both          pytest --io-faults=short,eagain --io-durability
"""

from __future__ import annotations

import argparse
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
    for _ in range(args.runs):
        for name in args.configs:
            command = pytest_command(project, ["-x", *CONFIGS[name]])
            start = time.perf_counter()
            subprocess.run(command, cwd=root, env=env, capture_output=True, check=False)
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times[args.configs[0]])
    print(
        f"{project.name} {project.version}, {args.runs} runs each, wall time of the pytest process"
    )
    print()
    print("| configuration | median s | min s | median / first |")
    print("|---|---|---|---|")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.2f} | {min(values):.2f} | {median / base:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
