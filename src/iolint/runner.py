"""Lint or fix one file with its settings: the unit of work of the CLI (and its workers)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from iolint.config import Settings
from iolint.diagnostics import Diagnostic, ParseError
from iolint.engine import lint_text
from iolint.fix import FixWriteError, fix_text, write_atomic
from iolint.model.source import DecodedSource, DecodeError, decode_source
from iolint.registry import all_rules
from iolint.rules.base import Rule


@dataclass(frozen=True)
class FileResult:
    path: str
    diagnostics: tuple[Diagnostic, ...] = ()
    parse_error: ParseError | None = None
    internal_errors: tuple[str, ...] = ()
    # Set when fixing: what was fixed, and the unified diff (for --diff).
    fixed: tuple[Diagnostic, ...] = ()
    diff: str = ""
    write_error: str | None = None
    # The text the diagnostics refer to (for code frames in the full output).
    source: str | None = field(default=None, compare=False, repr=False)


def rules_for(settings: Settings, path: Path | None) -> list[Rule]:
    enabled = settings.enabled_codes(path)
    return [r() for r in all_rules() if r.code in enabled]


def lint_source(text: str, display_path: str, settings: Settings, path: Path | None) -> FileResult:
    rules = rules_for(settings, path)
    result = lint_text(text, display_path, rules, settings.rule_options())
    return FileResult(
        display_path,
        result.diagnostics,
        result.parse_error,
        result.internal_errors,
        source=text,
    )


def _decode(data: bytes, display: str) -> DecodedSource | FileResult:
    try:
        return decode_source(data)
    except DecodeError as exc:
        return FileResult(display, parse_error=ParseError(f"cannot decode file: {exc}"))


def process_path(
    path: Path,
    settings: Settings,
    *,
    fix: bool = False,
    diff_only: bool = False,
    unsafe: bool = False,
) -> FileResult:
    display = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return FileResult(
            display, parse_error=ParseError(f"cannot read file: {exc.strerror or exc}")
        )
    decoded = _decode(data, display)
    if isinstance(decoded, FileResult):
        return decoded
    if not fix:
        return lint_source(decoded.text, display, settings, path)
    return fix_source(
        decoded, display, settings, path, data=data, write=not diff_only, unsafe=unsafe
    )


def fix_source(
    decoded: DecodedSource,
    display: str,
    settings: Settings,
    path: Path | None,
    *,
    data: bytes | None,
    write: bool,
    unsafe: bool,
) -> FileResult:
    rules = rules_for(settings, path)
    options = settings.rule_options()
    first = lint_text(decoded.text, display, rules, options)
    if first.parse_error is not None:
        return FileResult(display, parse_error=first.parse_error, source=decoded.text)

    def relint(text: str) -> Sequence[Diagnostic]:
        return lint_text(text, display, rules, options).diagnostics

    outcome = fix_text(decoded.text, relint, unsafe=unsafe)
    if not outcome.fixed:
        return FileResult(
            display, first.diagnostics, None, first.internal_errors, source=decoded.text
        )
    diff = "".join(
        difflib.unified_diff(
            decoded.text.splitlines(keepends=True),
            outcome.text.splitlines(keepends=True),
            fromfile=display,
            tofile=display,
        )
    )
    write_error = None
    if write and path is not None:
        try:
            write_atomic(path, decoded.encode(outcome.text), expected=data)
        except FixWriteError as exc:
            if not exc.replaced:
                write_error = str(exc)
            else:  # the fixed text is in place: report it as fixed, and the failed sync
                return FileResult(
                    display,
                    outcome.remaining,
                    None,
                    first.internal_errors,
                    fixed=outcome.fixed,
                    diff=diff,
                    write_error=str(exc),
                    source=outcome.text,
                )
        except UnicodeEncodeError as exc:
            write_error = f"{display}: fixed text cannot be encoded as {decoded.encoding}: {exc}"
    if write_error is not None:
        # Nothing was written: report the findings of the file as it is.
        return FileResult(
            display,
            first.diagnostics,
            None,
            first.internal_errors,
            write_error=write_error,
            source=decoded.text,
        )
    return FileResult(
        display,
        outcome.remaining,
        None,
        first.internal_errors,
        fixed=outcome.fixed,
        diff=diff,
        source=outcome.text,
    )
