"""The ``iolint`` command line, modelled on ``ruff check``.

Exit codes: 0 no findings, 1 findings, 2 usage or configuration error (and parse errors with
``--exit-non-zero-on-parse-error``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from iolint import __version__
from iolint.cache import ResultCache
from iolint.config import (
    OUTPUT_FORMATS,
    ConfigError,
    ConfigResolver,
    Settings,
    merge_overrides,
    parse_override,
)
from iolint.diagnostics import fix_applies
from iolint.discovery import discover
from iolint.docs import load_page, page_text
from iolint.model.source import DecodeError, decode_source
from iolint.parallel import Task, check_files, default_jobs
from iolint.registry import all_rules, known_code_prefix, rule_by_code
from iolint.report import ReportOptions, renderer
from iolint.runner import FileResult, fix_source, lint_source, planned_fixes

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
SUBCOMMANDS = ("check", "rule", "version", "server", "trace")


def _codes(value: str) -> list[str]:
    codes = [c.strip().upper() for c in value.split(",") if c.strip()]
    for c in codes:
        if not known_code_prefix(c):
            raise argparse.ArgumentTypeError(f"unknown rule code or prefix: {c}")
    return codes


def _patterns(value: str) -> list[str]:
    return [p for p in value.split(",") if p]


def _jobs(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iolint",
        description="Find I/O misuse in Python: short writes, EOF spins, non-blocking crashes, "
        "saves that are not durable.",
    )
    parser.add_argument("--version", action="version", version=f"iolint {__version__}")
    sub = parser.add_subparsers(dest="command")

    check = sub.add_parser("check", help="lint files and directories (the default command)")
    check.add_argument("paths", nargs="*", help="files or directories; '-' reads standard input")
    # List options add up when repeated (`--select IO1 --select IO3`), as in ruff: argparse's
    # "extend" appends each comma-separated value to what earlier occurrences gave.
    check.add_argument(
        "--select",
        type=_codes,
        action="extend",
        help="rule codes or prefixes to enable (replaces the config)",
    )
    check.add_argument(
        "--extend-select",
        type=_codes,
        action="extend",
        default=[],
        help="codes to enable in addition",
    )
    check.add_argument(
        "--ignore", type=_codes, action="extend", default=[], help="codes or prefixes to disable"
    )
    check.add_argument("--fix", action="store_true", help="apply safe fixes")
    check.add_argument(
        "--add-noqa",
        action="store_true",
        help="add a `# noqa: IOxxx` directive to every line with a finding (merged with an "
        "existing noqa comment), so that the next run is clean; exit 0",
    )
    check.add_argument(
        "--unsafe-fixes",
        action="store_true",
        default=None,
        help="also apply (and show) unsafe fixes",
    )
    check.add_argument("--no-unsafe-fixes", dest="unsafe_fixes", action="store_false")
    check.add_argument(
        "--strict",
        action="store_true",
        default=None,
        help="also report findings judged harmless in their context (caches, temp files, "
        "small one-off writes, POSIX-only code)",
    )
    check.add_argument("--no-strict", dest="strict", action="store_false")
    check.add_argument(
        "--diff", action="store_true", help="print the fixes as a diff instead of writing them"
    )
    check.add_argument(
        "--output-format", choices=OUTPUT_FORMATS, help="how to print findings (default: concise)"
    )
    check.add_argument(
        "--statistics", action="store_true", help="print the number of findings per rule"
    )
    check.add_argument(
        "--exit-zero", action="store_true", help="exit 0 even when there are findings"
    )
    check.add_argument(
        "--exit-non-zero-on-parse-error",
        action="store_true",
        help="exit 2 when a file cannot be parsed (it is always reported)",
    )
    check.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="FILE|KEY=VALUE",
        help="a pyproject.toml/iolint.toml to use for every file, or a TOML `key = value` override",
    )
    check.add_argument(
        "--show-settings", action="store_true", help="print the effective settings and exit"
    )
    check.add_argument(
        "--show-files", action="store_true", help="print the files that would be linted and exit"
    )
    check.add_argument(
        "--no-cache", action="store_true", help="do not read or write the result cache"
    )
    check.add_argument(
        "--jobs",
        type=_jobs,
        default=None,
        metavar="N",
        help="processes to lint with (default: the number of CPUs; 1 lints in this process)",
    )
    check.add_argument(
        "--exclude",
        type=_patterns,
        action="extend",
        help="replace the exclude patterns",
    )
    check.add_argument(
        "--extend-exclude",
        type=_patterns,
        action="extend",
        default=[],
        help="more exclude patterns",
    )
    check.add_argument(
        "--force-exclude",
        action="store_true",
        help="apply excludes to files named on the command line too",
    )
    check.add_argument("--target-version", help="the oldest Python the code must run on, e.g. py38")
    check.add_argument("--stdin-filename", help="the path of the code read from standard input")
    check.add_argument("--quiet", "-q", action="store_true", help="print findings only, no summary")

    rule = sub.add_parser("rule", help="print a rule's documentation")
    rule.add_argument("code", nargs="?", help="a rule code such as IO101, or its name")
    rule.add_argument("--all", action="store_true", help="print every rule")
    rule.add_argument("--output-format", choices=("text", "json"), default="text")

    sub.add_parser("version", help="print the version")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["server"]:
        return _server(args_list[1:])
    if args_list[:1] == ["trace"]:
        from iolint.trace.command import main as trace_main

        return trace_main(args_list[1:])
    # `iolint PATH` means `iolint check PATH`, as with ruff's default command.
    if not args_list or (
        args_list[0] not in SUBCOMMANDS and args_list[0] not in ("-h", "--help", "--version")
    ):
        args_list.insert(0, "check")
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:
        return EXIT_ERROR if exc.code not in (0, None) else EXIT_CLEAN
    if args.command == "rule":
        return _rule_command(args)
    if args.command == "version":
        print(f"iolint {__version__}")
        return EXIT_CLEAN
    try:
        return _check(args)
    except ConfigError as exc:
        print(f"iolint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(
            "iolint: interrupted; files already fixed are complete, the others untouched",
            file=sys.stderr,
        )
        return 130
    except BrokenPipeError:
        # `iolint check ... | head`: the reader went away. Point stdout at /dev/null so the
        # interpreter's final flush does not raise again (the recipe in Python's signal docs).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FINDINGS


def _server(argv: list[str]) -> int:
    # Imported here: pygls is the optional `lsp` extra, and linting must not need it.
    try:
        from iolint.server import main as server_main
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in ("pygls", "lsprotocol", "cattrs", "attrs"):
            raise
        print(
            "iolint: error: `iolint server` needs pygls; install iolint[lsp]: "
            "pip install 'iolint[lsp]'",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return server_main(argv)


def _cli_overrides(args: argparse.Namespace) -> tuple[dict[str, Any], Path | None]:
    overrides: dict[str, Any] = {}
    config_file: Path | None = None
    for item in args.config:
        path = Path(item)
        if path.is_file():
            if config_file is not None:
                raise ConfigError("--config: only one configuration file may be given")
            config_file = path
        elif "=" in item:
            merge_overrides(overrides, parse_override(item))
        else:
            raise ConfigError(f"--config {item!r}: no such file, and not a `key = value` override")
    if args.select is not None:
        overrides["select"] = args.select
    if args.extend_select:
        merge_overrides(overrides, {"extend-select": args.extend_select})
    if args.ignore:
        merge_overrides(overrides, {"extend-ignore": args.ignore})
    if args.exclude is not None:
        overrides["exclude"] = args.exclude
    if args.extend_exclude:
        merge_overrides(overrides, {"extend-exclude": args.extend_exclude})
    if args.target_version:
        overrides["target-version"] = args.target_version
    if args.unsafe_fixes is not None:
        overrides["unsafe-fixes"] = args.unsafe_fixes
    if args.strict is not None:
        overrides["strict"] = args.strict
    if args.force_exclude:
        overrides["force-exclude"] = True
    return overrides, config_file


def _check(args: argparse.Namespace) -> int:
    overrides, config_file = _cli_overrides(args)
    resolver = ConfigResolver(cli=overrides, config_file=config_file)
    paths = args.paths or ["."]
    first = resolver.for_path(
        Path(args.stdin_filename or paths[0]) if paths != ["-"] else Path.cwd()
    )
    if args.show_settings:
        print(json.dumps(first.describe(), indent=2))
        return EXIT_CLEAN
    output_format = args.output_format or first.output_format or "concise"
    unsafe = first.unsafe_fixes
    fixing = args.fix or args.diff
    if args.add_noqa:
        if fixing:
            raise ConfigError("--add-noqa cannot be combined with --fix or --diff")
        if paths == ["-"]:
            raise ConfigError("--add-noqa edits files; it cannot read standard input")

    results: list[FileResult] = []
    if paths == ["-"]:
        results.append(_check_stdin(args, resolver, fixing, unsafe))
    else:
        files = list(discover(paths, resolver, force_exclude=args.force_exclude))
        if args.show_files:
            print("\n".join(str(f) for f in files))
            return EXIT_CLEAN
        caches: dict[Path, ResultCache | None] = {}
        tasks = []
        for path in files:
            settings = resolver.for_path(path)
            cache = None
            if not args.no_cache and not fixing and not args.add_noqa:
                if settings.root not in caches:
                    caches[settings.root] = ResultCache.for_root(settings.root)
                cache = caches[settings.root]
            tasks.append(
                Task(
                    path,
                    settings,
                    cache,
                    fixing,
                    args.diff,
                    unsafe=settings.unsafe_fixes,
                    add_noqa=args.add_noqa,
                )
            )
        results.extend(check_files(tasks, args.jobs or default_jobs()))
    if args.add_noqa:
        return _report_add_noqa(args, results, output_format)
    return _report(
        args, results, output_format, unsafe, fixing, rule_codes=resolver.enabled_codes()
    )


def _check_stdin(
    args: argparse.Namespace, resolver: ConfigResolver, fixing: bool, unsafe: bool
) -> FileResult:
    data = sys.stdin.buffer.read()
    display = args.stdin_filename or "-"
    path = Path(args.stdin_filename) if args.stdin_filename else None
    settings = resolver.for_path(path or Path.cwd())
    try:
        decoded = decode_source(data)
    except DecodeError as exc:
        from iolint.diagnostics import ParseError

        return FileResult(display, parse_error=ParseError(f"cannot decode input: {exc}"))
    if fixing:
        result = fix_source(decoded, display, settings, path, data=None, write=False, unsafe=unsafe)
        if args.fix and not args.diff:
            # Editors read the fixed code back from standard output.
            sys.stdout.write(result.source if result.source is not None else decoded.text)
        return result
    return planned_fixes(
        lint_source(decoded.text, display, settings, path), settings, path, unsafe=unsafe
    )


def _print_problems(results: list[FileResult]) -> int:
    """Print what kept files from being analyzed or written; return the parse errors."""
    parse_errors = 0
    for r in results:
        if r.parse_error is not None:
            parse_errors += 1
            pe = r.parse_error
            print(
                f"error: Failed to parse {r.path}:{pe.line}:{pe.column + 1}: {pe.message}",
                file=sys.stderr,
            )
        for msg in r.internal_errors:
            print(f"error: internal error (please report): {msg}", file=sys.stderr)
        if r.write_error:
            print(f"error: {r.write_error}", file=sys.stderr)
    return parse_errors


def _report_add_noqa(
    args: argparse.Namespace, results: list[FileResult], output_format: str
) -> int:
    """ruff's ``--add-noqa``: say how many directives went into how many files. Findings are
    printed only if some remain (a directive that could not be written)."""
    parse_errors = _print_problems(results)
    remaining = [d for r in results for d in r.diagnostics]
    if remaining:
        sys.stdout.write(renderer(output_format)(results, ReportOptions()))
    added = sum(r.noqa_added for r in results)
    files = sum(1 for r in results if r.noqa_added)
    if not args.quiet:
        print(
            f"Added {_plural(added, 'noqa directive')} in {_plural(files, 'file')}.",
            file=sys.stderr,
        )
    if any(r.write_error for r in results if not r.noqa_added):
        return EXIT_ERROR
    if parse_errors and args.exit_non_zero_on_parse_error:
        return EXIT_ERROR
    return EXIT_CLEAN


def _report(
    args: argparse.Namespace,
    results: list[FileResult],
    output_format: str,
    unsafe: bool,
    fixing: bool,
    rule_codes: frozenset[str] | None = None,
) -> int:
    parse_errors = _print_problems(results)
    remaining = [d for r in results for d in r.diagnostics]
    fixed = sum(len(r.fixed) for r in results)
    stdin_fix = args.paths == ["-"] and args.fix and not args.diff

    if args.diff:
        diffs = "".join(r.diff for r in results)
        sys.stdout.write(diffs)
        n_files = sum(1 for r in results if r.diff)
        if not args.quiet:
            print(
                f"Would fix {_plural(fixed, 'error')} in {_plural(n_files, 'file')}."
                if fixed
                else "No errors would be fixed.",
                file=sys.stderr,
            )
        return EXIT_FINDINGS if fixed and not args.exit_zero else _exit(args, [], parse_errors)

    opts = ReportOptions(unsafe_fixes=unsafe, show_fixes=fixing, rule_codes=rule_codes)
    if args.statistics:
        out_stream = sys.stderr if stdin_fix else sys.stdout
        as_json = output_format == "json"
        out_stream.write(_statistics(results, unsafe, as_json=as_json))
        if remaining and not as_json and not args.quiet:
            out_stream.write(_summary(remaining, fixed, unsafe, _fixable(results, unsafe)))
        return _exit(args, remaining, parse_errors)
    rendered = renderer(output_format)(results, opts)
    out = sys.stderr if stdin_fix else sys.stdout
    out.write(rendered)
    if output_format in ("concise", "full") and not args.quiet:
        out.write(_summary(remaining, fixed, unsafe, _fixable(results, unsafe)))
    return _exit(args, remaining, parse_errors)


def _exit(args: argparse.Namespace, remaining: list[Any], parse_errors: int) -> int:
    if parse_errors and args.exit_non_zero_on_parse_error:
        return EXIT_ERROR
    if remaining and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _fixable(results: list[FileResult], unsafe: bool) -> Counter[str]:
    """Per rule, how many changes ``--fix`` would make: the fixer's own plan where the lint
    computed it (follow-on fixes included, refused fixes left out), else the findings whose
    fix applies."""
    counts: Counter[str] = Counter()
    for r in results:
        if r.planned is not None:
            counts.update(r.planned)
        else:
            counts.update(d.code for d in r.diagnostics if fix_applies(d, unsafe))
    return counts


def _summary(remaining: list[Any], fixed: int, unsafe: bool, fixable_counts: Counter[str]) -> str:
    n = len(remaining)
    if n == 0 and fixed == 0:
        return "All checks passed!\n"
    lines = []
    total = n + fixed
    if fixed:
        lines.append(f"Found {_plural(total, 'error')} ({fixed} fixed, {n} remaining).")
    else:
        lines.append(f"Found {_plural(n, 'error')}.")
    fixable = sum(fixable_counts.values())
    hidden = (
        0
        if unsafe
        else sum(1 for d in remaining if fix_applies(d, True) and not fix_applies(d, False))
    )
    hidden_fixes = _plural(hidden, "hidden fix", "hidden fixes")
    note = f"{hidden_fixes} can be enabled with the `--unsafe-fixes` option"
    if fixable:
        lines.append(
            f"[*] {fixable} fixable with the `--fix` option" + (f" ({note})." if hidden else ".")
        )
    elif hidden:
        lines.append(f"No fixes available ({note}).")
    return "\n".join(lines) + "\n"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _statistics(results: list[FileResult], unsafe: bool, *, as_json: bool = False) -> str:
    """ruff's ``--statistics``: count, code, ``[*]`` when fixable (``[ ]`` beside fixable
    ones), name; most frequent first. With ``--output-format json``, ruff's JSON objects."""
    counts: Counter[str] = Counter(d.code for r in results for d in r.diagnostics)
    fixable = _fixable(results, unsafe)
    names = {r.code: r.name for r in all_rules()}
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if as_json:
        items = [
            {
                "code": code,
                "name": names.get(code, ""),
                "count": n,
                "fixable": fixable[code] > 0,
                "fixable_count": fixable[code],
            }
            for code, n in ordered
        ]
        return json.dumps(items, indent=2) + "\n"
    count_width = max((len(str(n)) for n in counts.values()), default=1)
    code_width = max((len(c) for c in counts), default=1)
    any_fixable = any(fixable.values())
    lines = []
    for code, n in ordered:
        mark = ("[*] " if fixable[code] else "[ ] ") if any_fixable else ""
        lines.append(f"{n:>{count_width}}\t{code:<{code_width}}\t{mark}{names.get(code, '')}")
    return "\n".join(lines) + ("\n" if lines else "")


def _rule_command(args: argparse.Namespace) -> int:
    if args.all:
        rules = list(all_rules())
    elif args.code:
        found = rule_by_code(args.code)
        if found is None:
            print(f"iolint: error: unknown rule {args.code!r}", file=sys.stderr)
            return EXIT_ERROR
        rules = [found]
    else:
        print("iolint: error: give a rule code (iolint rule IO101) or --all", file=sys.stderr)
        return EXIT_ERROR
    if args.output_format == "json":
        items = []
        for r in rules:
            page = load_page(r.code)
            items.append(
                {
                    "code": r.code,
                    "name": r.name,
                    "summary": r.summary,
                    "fix": r.fix_applicability.value if r.fix_applicability else None,
                    "default_enabled": r.default_enabled,
                    "severity": r.severity,
                    "explanation": page_text(r.code) if page else None,
                }
            )
        print(json.dumps(items if args.all else items[0], indent=2))
        return EXIT_CLEAN
    chunks = []
    for r in rules:
        text = page_text(r.code)
        chunks.append(text if text is not None else f"# {r.code} {r.name}\n\n{r.summary}\n")
    sys.stdout.write("\n".join(chunks))
    return EXIT_CLEAN


__all__ = ["Settings", "main"]
