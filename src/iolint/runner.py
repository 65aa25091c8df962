"""Lint or fix one file with its settings: the unit of work of the CLI (and its workers)."""

from __future__ import annotations

import ast
import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from iolint.cache import CachedResult, ResultCache
from iolint.config import Settings
from iolint.diagnostics import Diagnostic, ParseError, fix_applies
from iolint.engine import LintResult, lint_text
from iolint.model.index import (
    INDEX_DIR_NAME,
    ProjectFacts,
    ProjectIndex,
    find_root,
    module_name,
    shared_index,
)
from iolint.model.source import DecodedSource, DecodeError, decode_source
from iolint.noqa_edits import add_noqa
from iolint.registry import all_rules
from iolint.rules.base import Rule, RuleOptions

_FIXER_NAMES = ("fix_text", "write_atomic", "FixWriteError")


def __getattr__(name: str) -> Any:
    """``fix_text``, ``write_atomic`` and ``FixWriteError`` of :mod:`iolint.fix`, imported on
    first use: the fixer needs libcst, whose import costs 0.1 s that a lint-only run (most
    runs, and every cache hit) does not need. They stay attributes of this module, so tests
    can still replace them here."""
    if name in _FIXER_NAMES:
        import iolint.fix

        value = getattr(iolint.fix, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _fixer() -> tuple[Any, Any, Any]:
    module = globals()
    return tuple(module[n] if n in module else __getattr__(n) for n in _FIXER_NAMES)


def line_length_for(path: Path | None) -> int:
    """The project's line length for ``path`` (:mod:`iolint.fixes.style`), imported only when
    a fix is planned or made: a lint-only run imports no fix module."""
    from iolint.fixes.style import line_length_for as configured

    return configured(path)


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
    # When linting: the rule codes of every fix ``--fix`` would make, in order, including
    # the ones that only follow from an earlier fix (None: not computed).
    planned: tuple[str, ...] | None = None
    # The text the diagnostics refer to (for code frames in the full output).
    source: str | None = field(default=None, compare=False, repr=False)
    # Set by --add-noqa: the lines that got a directive (written unless write_error is set).
    noqa_added: int = 0


def planned_fixes(
    result: FileResult,
    settings: Settings,
    path: Path | None,
    *,
    unsafe: bool,
    context: ProjectContext | None = None,
) -> FileResult:
    """``result`` with what ``--fix`` would do: the fixes the fixer refuses turned into
    advice, and the codes of every fix it makes, follow-on fixes included. The fixer itself
    computes it, so the report, ``--diff`` and ``--fix`` agree."""
    text = result.source
    if text is None or result.parse_error is not None:
        return result
    if not any(fix_applies(d, unsafe) for d in result.diagnostics):
        return replace(result, planned=())
    rules = rules_for(settings, path)
    options = settings.rule_options()
    # The same project facts as the lint and as fix_source, so the plan is what --fix does.
    ctx = context if context is not None else project_context(path, None)

    def relint(t: str) -> Sequence[Diagnostic]:
        return ctx.lint(t, result.path, rules, options).diagnostics

    fix_text = _fixer()[0]
    from iolint.fix import demoted, refused_in

    outcome = fix_text(
        text,
        relint,
        unsafe=unsafe,
        line_length=line_length_for(path),
        check_cst=False,
        findings=result.diagnostics,
    )
    refused = refused_in(outcome, text)
    diagnostics = tuple(demoted(d) if refused(d) else d for d in result.diagnostics)
    return replace(result, diagnostics=diagnostics, planned=tuple(d.code for d in outcome.fixed))


def rules_for(
    settings: Settings, path: Path | None, enabled: frozenset[str] | None = None
) -> list[Rule]:
    if enabled is None:
        enabled = settings.enabled_codes(path)
    return [r() for r in all_rules() if r.code in enabled]


@dataclass(frozen=True)
class ProjectContext:
    """Where a file sits in its project: its module name and the facts of the other modules
    (looked up lazily, and recorded, while the file is linted)."""

    facts: ProjectFacts | None = None
    module: str | None = None
    is_package: bool = False
    index: ProjectIndex | None = None

    def dependencies(self) -> tuple[tuple[str, str], ...]:
        return self.facts.dependencies() if self.facts is not None else ()

    def lint(
        self,
        text: str,
        display: str,
        rules: Sequence[Rule],
        options: RuleOptions,
        *,
        tree: ast.Module | None = None,
    ) -> LintResult:
        """``lint_text`` with this file's project facts: the lint, the fix plan and the
        fixer's re-lints see the same facts, so the report and ``--fix`` agree."""
        return lint_text(
            text,
            display,
            rules,
            options,
            tree=tree,
            project=self.facts,
            module=self.module,
            is_package=self.is_package,
        )


def project_context(
    path: Path | None, cache: ResultCache | None, *, resolved: bool = False
) -> ProjectContext:
    """The project of ``path``: the closest directory above it with a ``pyproject.toml``,
    ``setup.cfg``, ``setup.py`` or VCS directory; its index is cached beside the result
    cache. A file outside any project (or stdin) is linted with its own facts only.
    ``resolved``: the caller already resolved ``path`` (it is resolved once, not twice)."""
    if path is None:
        return ProjectContext()
    if not resolved:
        path = path.resolve()
    name, is_package = module_name(path, resolved=True)
    root = find_root(path, resolved=True)
    if root is None:
        return ProjectContext(None, name, is_package)
    index_dir = cache.directory / INDEX_DIR_NAME if cache is not None else None
    index = shared_index(root, index_dir)
    return ProjectContext(index.lookups(), name, is_package, index)


def lint_source(
    text: str,
    display_path: str,
    settings: Settings,
    path: Path | None,
    *,
    enabled: frozenset[str] | None = None,
    context: ProjectContext | None = None,
    tree: ast.Module | ParseError | None = None,
) -> FileResult:
    rules = rules_for(settings, path, enabled)
    if context is None:
        context = project_context(path, None)
    if isinstance(tree, ParseError):
        return FileResult(display_path, parse_error=tree, source=text)
    result = context.lint(text, display_path, rules, settings.rule_options(), tree=tree)
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


def _read(path: Path) -> bytes | FileResult:
    try:
        return path.read_bytes()
    except OSError as exc:
        return FileResult(
            str(path), parse_error=ParseError(f"cannot read file: {exc.strerror or exc}")
        )


def cached_result(
    path: Path, settings: Settings, cache: ResultCache, *, unsafe: bool = False
) -> FileResult | None:
    """The result of linting ``path`` as it is now, if the cache holds it (with the fix plan
    for the current line length)."""
    data = _read(path)
    if isinstance(data, FileResult):
        return None
    display = str(path)
    hit = cache.get(cache.key(data, display, settings, settings.enabled_codes(path)))
    if hit is None or not _plan_is_current(hit, path, unsafe) or not _valid_in(hit, path, cache):
        return None
    decoded = _decode(data, display)
    if isinstance(decoded, FileResult):
        return None
    return FileResult(
        display, hit.diagnostics, hit.parse_error, source=decoded.text, planned=hit.planned
    )


def _plan_is_current(hit: CachedResult, path: Path, unsafe: bool) -> bool:
    if hit.parse_error is not None:
        return True
    if hit.planned is None:
        return False
    if not hit.planned and not any(fix_applies(d, unsafe) for d in hit.diagnostics):
        return True  # nothing to fix: the line length does not matter
    return hit.line_length == line_length_for(path)


def _valid_in(hit: CachedResult, path: Path, cache: ResultCache) -> bool:
    if not hit.dependencies:
        return True
    index = project_context(path, cache).index
    return index is not None and index.current(hit.dependencies)


def process_path(
    path: Path,
    settings: Settings,
    *,
    fix: bool = False,
    diff_only: bool = False,
    unsafe: bool = False,
    cache: ResultCache | None = None,
) -> FileResult:
    """Lint (or fix) one file. With ``cache``, a lint result is looked up by the exact bytes
    read here and stored under them, so an entry always describes the content it was
    computed from, even if the file changes meanwhile; it also records the project modules
    the lint consulted (model/index.py) and is used only while their facts are unchanged.
    Fixing never uses the cache."""
    display = str(path)
    data = _read(path)
    if isinstance(data, FileResult):
        return data
    if fix:
        decoded = _decode(data, display)
        if isinstance(decoded, FileResult):
            return decoded
        return fix_source(
            decoded, display, settings, path, data=data, write=not diff_only, unsafe=unsafe
        )
    enabled = settings.enabled_codes(path)
    key = cache.key(data, display, settings, enabled) if cache is not None else None
    hit = cache.get(key) if cache is not None and key is not None else None
    if hit is not None and cache is not None and not _valid_in(hit, path, cache):
        hit = None
    decoded = _decode(data, display)
    if isinstance(decoded, FileResult):
        return decoded
    if hit is not None and _plan_is_current(hit, path, unsafe):
        return FileResult(
            display, hit.diagnostics, hit.parse_error, source=decoded.text, planned=hit.planned
        )
    context = project_context(path, cache)
    result = lint_source(decoded.text, display, settings, path, enabled=enabled, context=context)
    result = planned_fixes(result, settings, path, unsafe=unsafe, context=context)
    if cache is not None and key is not None and not result.internal_errors:
        # A rule crash is reported on every run until fixed, never cached away.
        entry = CachedResult(
            result.diagnostics,
            result.parse_error,
            result.planned,
            # Only a result with a fix depends on the line length (see _plan_is_current).
            line_length_for(path) if any(d.fix is not None for d in result.diagnostics) else None,
            context.dependencies(),
        )
        cache.put(key, entry)
    return result


def add_noqa_path(path: Path, settings: Settings) -> FileResult:
    """``--add-noqa`` for one file: a directive on every line with a finding, written like a
    fix (atomically, durably, only if the file did not change meanwhile). Reports what is
    still found afterwards, which is nothing unless a directive could not be placed."""
    display = str(path)
    data = _read(path)
    if isinstance(data, FileResult):
        return data
    decoded = _decode(data, display)
    if isinstance(decoded, FileResult):
        return decoded
    first = lint_source(decoded.text, display, settings, path)
    if first.parse_error is not None or not first.diagnostics:
        return first
    added = add_noqa(decoded.text, first.diagnostics)
    if added is None:
        return replace(first, write_error=f"{display}: cannot tokenize; no noqa directive added")
    after = lint_source(added.text, display, settings, path)
    if not _same_code(decoded.text, added.text):
        # Never expected (only comments are added); refuse rather than change code.
        return replace(
            first, internal_errors=(f"{display}: --add-noqa would change the code; not written",)
        )
    _, write_atomic, FixWriteError = _fixer()
    try:
        write_atomic(path, decoded.encode(added.text), expected=data)
    except FixWriteError as exc:
        if not exc.replaced:
            return replace(first, write_error=str(exc))
        return replace(after, noqa_added=added.directives, write_error=str(exc))
    except UnicodeEncodeError as exc:  # the comments are ASCII; kept for symmetry with fixes
        return replace(first, write_error=f"{display}: cannot encode as {decoded.encoding}: {exc}")
    return replace(after, noqa_added=added.directives)


def _same_code(before: str, after: str) -> bool:
    """Whether two texts are the same program (comments and layout aside)."""
    try:
        return ast.dump(ast.parse(before)) == ast.dump(ast.parse(after))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


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
    context = project_context(path, None)
    first = context.lint(decoded.text, display, rules, options)
    if first.parse_error is not None:
        return FileResult(display, parse_error=first.parse_error, source=decoded.text)

    def relint(text: str) -> Sequence[Diagnostic]:
        return context.lint(text, display, rules, options).diagnostics

    fix_text, write_atomic, FixWriteError = _fixer()
    outcome = fix_text(
        decoded.text,
        relint,
        unsafe=unsafe,
        line_length=line_length_for(path),
        findings=first.diagnostics,
    )
    # The findings of the text as it is, with the fixes the fixer refused shown as advice.
    from iolint.fix import demoted, refused_in

    refused = refused_in(outcome, decoded.text)
    current = tuple(demoted(d) if refused(d) else d for d in first.diagnostics)
    if not outcome.fixed:
        return FileResult(display, current, None, first.internal_errors, source=decoded.text)
    diff = "".join(
        difflib.unified_diff(
            decoded.text.splitlines(keepends=True),
            outcome.text.splitlines(keepends=True),
            fromfile=display,
            tofile=display,
        )
    )
    write_error: str | None = None
    sync_error: str | None = None
    if write and path is not None:
        try:
            write_atomic(path, decoded.encode(outcome.text), expected=data)
        except FixWriteError as exc:
            if exc.replaced:  # the fixed text is in place: report it fixed, and the failed sync
                sync_error = str(exc)
            else:
                write_error = str(exc)
        except UnicodeEncodeError as exc:
            write_error = f"{display}: fixed text cannot be encoded as {decoded.encoding}: {exc}"
    if write_error is not None:
        # Nothing was written: report the findings of the file as it is.
        return FileResult(
            display,
            current,
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
        write_error=sync_error,
        source=outcome.text,
    )
