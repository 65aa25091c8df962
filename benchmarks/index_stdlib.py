"""Build time and size of the project index (model/index.py) over a tree of Python files.

    python benchmarks/index_stdlib.py                 # the running Python's Lib/
    python benchmarks/index_stdlib.py --without-tests
    python benchmarks/index_stdlib.py path/to/project

Derives every module's facts cold (an empty cache directory in a scratch location), then
reads them all back warm, and prints the times, the number of modules with facts and the
size of the cache entries. Not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from iolint.model.index import ProjectIndex


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tree", nargs="?", default=sysconfig.get_paths()["stdlib"])
    parser.add_argument(
        "--without-tests", action="store_true", help="leave out test/, tests/, idle_test/"
    )
    args = parser.parse_args()
    root = Path(args.tree).resolve()
    skipped = {"site-packages", *(("test", "tests", "idle_test") if args.without_tests else ())}
    files = sorted(p for p in root.rglob("*.py") if not skipped & set(p.relative_to(root).parts))
    scratch = Path(tempfile.mkdtemp(prefix="iolint-index-"))
    try:
        cold = ProjectIndex(root, scratch)
        start, cpu = time.perf_counter(), time.process_time()
        facts = [cold.facts_of_file(p) for p in files]
        cold_s, cold_cpu = time.perf_counter() - start, time.process_time() - cpu
        warm = ProjectIndex(root, scratch)
        start, cpu = time.perf_counter(), time.process_time()
        for p in files:
            warm.facts_of_file(p)
        warm_s, warm_cpu = time.perf_counter() - start, time.process_time() - cpu
        entries = list(scratch.glob("*.json"))
        size = sum(e.stat().st_size for e in entries)
        with_facts = sum(1 for f in facts if f and (f.functions or f.classes or f.fsyncs))
        print(f"tree: {root} ({len(files)} files)")
        # CPU time beside wall time: on a loaded machine only the former is comparable.
        print(f"cold build: {cold_s:.2f} s ({cold_cpu:.2f} s CPU); ", end="")
        print(f"warm load: {warm_s:.2f} s ({warm_cpu:.2f} s CPU)")
        print(f"modules with I/O facts: {with_facts}; entries: {len(entries)}; {size / 1e6:.2f} MB")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
