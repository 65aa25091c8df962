"""``iolint trace [--faults short,eagain] [--durability] [--seed N] -- CMD ...``.

Runs a Python command with the tracer started in every Python process it runs (through a
``sitecustomize`` shim on ``PYTHONPATH``), collects what each process found, and prints it in
one of iolint's output formats. When the command fails after short reads were injected, it is
run again without faults: if it passes then, the short read is reported (``IO103``).

Exit status: 1 with findings, otherwise the command's own status (2 for a usage error).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence

from iolint.trace.bootstrap import ENV
from iolint.trace.findings import TraceFinding, render, unique
from iolint.trace.tracer import parse_faults

OUTPUT_FORMATS = ("concise", "full", "json", "sarif", "github", "gitlab")
SHIM_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shim")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iolint trace",
        description="Run a Python command with I/O faults injected and file-system operations "
        "recorded; report the I/O bugs that show.",
    )

    def faults(value: str) -> frozenset[str]:
        try:
            return parse_faults(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parser.add_argument("--faults", type=faults, default=frozenset(), help="short,eagain")
    parser.add_argument("--durability", action="store_true", help="check saves")
    parser.add_argument("--seed", type=int, default=0, help="seed for the injected faults")
    parser.add_argument("--strict", action="store_true", help="report every unsynced save")
    parser.add_argument("--output-format", choices=OUTPUT_FORMATS, default="concise")
    parser.add_argument(
        "--output-file",
        metavar="FILE",
        help="write the findings here instead of standard output (which the command shares)",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD ARGS...")
    return parser


def main(argv: Sequence[str]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:
        return 2 if exc.code not in (0, None) else 0
    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        print("iolint trace: error: give a command after --", file=sys.stderr)
        return 2
    if not args.faults and not args.durability:
        print("iolint trace: error: give --faults and/or --durability", file=sys.stderr)
        return 2
    config = {
        "faults": sorted(args.faults),
        "seed": args.seed,
        "durability": args.durability,
        "strict": args.strict,
    }
    with tempfile.TemporaryDirectory(prefix="iolint-trace-") as out:
        code = _run(command, {**config, "out": out})
        findings, suspects, failed = _collect(out)
    if failed and suspects:
        # Confirm: does the command pass when nothing is injected?
        if subprocess.call(command) == 0:
            findings += suspects
    findings = unique(findings)
    rendered = render(findings, args.output_format)
    if args.output_file:
        with open(args.output_file, "w", encoding="utf-8") as fh:
            fh.write(rendered)
    else:
        sys.stdout.write(rendered)
    if args.output_format in ("concise", "full") or args.output_file:
        print(
            f"iolint trace: {len(findings)} finding(s); the command exited {code}",
            file=sys.stderr if args.output_file else sys.stdout,
        )
    return 1 if findings else code


def _run(command: list[str], config: dict[str, object]) -> int:
    env = dict(os.environ)
    env[ENV] = json.dumps(config)
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = SHIM_DIR + (os.pathsep + path if path else "")
    try:
        return subprocess.call(command, env=env)
    except FileNotFoundError:
        print(f"iolint trace: error: no such command: {command[0]}", file=sys.stderr)
        return 2


def _collect(out: str) -> tuple[list[TraceFinding], list[TraceFinding], bool]:
    findings: list[TraceFinding] = []
    suspects: list[TraceFinding] = []
    failed = False
    for name in sorted(os.listdir(out)):
        if not name.endswith(".json"):
            continue
        try:
            with open(os.path.join(out, name), encoding="utf-8") as fh:
                payload = json.load(fh)
        except ValueError:  # a process killed while writing its results
            print(f"iolint trace: warning: unreadable results {name}", file=sys.stderr)
            continue
        findings += [TraceFinding.from_json(d) for d in payload["findings"]]
        suspects += [TraceFinding.from_json(d) for d in payload["suspects"]]
        failed = failed or bool(payload["failed"])
    return findings, suspects, failed
