"""One file in, diagnostics out: trigger scan, parse, model, rules, noqa filter.

Analysis runs on the standard library's ``ast``: flake8 hands the plugin that tree for free and
``ast.parse`` costs about a tenth of ``libcst.parse_module``, which is what makes running on
every keystroke affordable. libcst is used where it pays: building and checking fixes
(:mod:`iolint.fix`).
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cache

from iolint.diagnostics import Diagnostic, ParseError
from iolint.import_scan import imports_project_module
from iolint.model import ModuleModel
from iolint.model.index import ProjectFacts
from iolint.model.source import DecodeError, SourceText, decode_source
from iolint.noqa import filter_noqa
from iolint.rules.base import Rule, RuleContext, RuleOptions


@dataclass(frozen=True)
class LintResult:
    path: str
    diagnostics: tuple[Diagnostic, ...] = ()
    parse_error: ParseError | None = None
    # Exceptions raised inside a rule: reported, never fatal.
    internal_errors: tuple[str, ...] = field(default=())


@cache
def trigger_test(trigger: str) -> tuple[str, re.Pattern[str] | None]:
    """How a trigger is tested: a word that must occur in the text, and a regex to confirm it.

    A plain trigger is a substring test. A trigger ending in ``(`` is *call syntax*:
    ``"write("`` matches ``write(``, ``os.write (`` or a call split after a backslash, but not
    ``writelines(`` or ``_write(``; it also matches ``write as``, so that
    ``from os import write as w`` followed by ``w(fd, data)`` still triggers the rule. That is
    what :meth:`ModuleModel.calls_named` finds. Use it for names so common as words that a
    plain trigger would match nearly every file (``read``, ``open``). In a call-syntax trigger
    ``*`` stands for any identifier characters: ``"*sync*("`` is a call of any name containing
    ``sync`` (``os.fsync(``, ``self._sync_dir(``) but not the ``async`` keyword. The longest
    literal part is looked for first (a fast substring search); the regex runs only on a hit.
    """
    if not trigger.endswith("("):
        return trigger, None
    parts = trigger[:-1].split("*")
    # The regex starts with a literal, so that ``re`` can use its fast literal search (a
    # leading lookbehind or ``\w*`` makes it try every position: 50x slower). Whether the
    # name starts an identifier is checked by a lookbehind placed after that literal.
    pieces = [re.escape(p) for p in parts]
    if pieces[0]:
        pieces[0] = f"{pieces[0]}(?<!\\w{pieces[0]})"
    else:  # a leading ``*`` (any identifier characters) needs nothing before the literal
        pieces = pieces[1:]
    name = r"\w*".join(pieces)
    pattern = re.compile(rf"{name}(?:[ \t\f\r\n\\]*\(|\s+as\b)")
    return max(parts, key=len), pattern


@cache
def _all_triggers(rule_types: tuple[type[Rule], ...]) -> frozenset[str]:
    return frozenset(
        t for r in rule_types for t in (*r.triggers, *r.also_triggers, *r.own_facts_triggers)
    )


@cache
def _words_inside(triggers: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """For each trigger's word, the shorter trigger words it contains (``pwritev``: ``write``,
    ``pwrite``, ``writev``): if one of them is absent from a text, so is the word."""
    words = {trigger_test(t)[0] for t in triggers}
    inside = {w: tuple(sorted(v for v in words if v != w and v in w)) for w in words}
    return {w: v for w, v in inside.items() if v}


def triggered(
    text: str, rules: Sequence[Rule], *, with_project: bool = True, module: str | None = None
) -> list[Rule]:
    """The rules whose triggers occur in ``text`` (a rule without triggers always runs), and
    one of whose ``also_triggers`` too, if it has any; and one of whose
    ``own_facts_triggers``, if it has any, unless the module can read project facts (it is
    linted with a project index, ``with_project``, and imports a module outside the standard
    library).

    Each distinct trigger is tested at most once per text, however many rules share it.
    """
    hits: dict[str, bool] = {}
    has: dict[str, bool] = {}
    reach: list[bool] = []
    inside = _words_inside(_all_triggers(tuple(type(r) for r in rules)))

    def occurs(word: str) -> bool:
        # A substring scan of the whole text, the cost of the scan: skipped when a shorter
        # trigger word inside this one is already known to be absent (``write``/``pwrite``).
        found = has.get(word)
        if found is None:
            found = all(has.get(w, True) for w in inside.get(word, ())) and word in text
            has[word] = found
        return found

    def hit(trigger: str) -> bool:
        found = hits.get(trigger)
        if found is None:
            word, pattern = trigger_test(trigger)
            found = occurs(word) and (pattern is None or pattern.search(text) is not None)
            hits[trigger] = found
        return found

    def reaches_project() -> bool:
        if not reach:
            reach.append(with_project and imports_project_module(text, module))
        return reach[0]

    return [
        r
        for r in rules
        if (not r.triggers or any(hit(t) for t in r.triggers))
        and (not r.also_triggers or any(hit(t) for t in r.also_triggers))
        and (
            not r.own_facts_triggers
            or any(hit(t) for t in r.own_facts_triggers)
            or reaches_project()
        )
    ]


def parse(text: str, path: str) -> ast.Module | ParseError:
    try:
        with warnings.catch_warnings():
            # Invalid escape sequences and the like are the user's business, not ours.
            warnings.simplefilter("ignore")
            return ast.parse(text, filename=path, type_comments=False)
    except SyntaxError as exc:
        return ParseError(f"SyntaxError: {exc.msg}", exc.lineno or 1, max((exc.offset or 1) - 1, 0))
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        return ParseError(f"{type(exc).__name__}: {exc}")


def lint_text(
    text: str,
    path: str,
    rules: Sequence[Rule],
    options: RuleOptions,
    *,
    tree: ast.Module | None = None,
    noqa: bool = True,
    project: ProjectFacts | None = None,
    module: str | None = None,
    is_package: bool = False,
) -> LintResult:
    """Lint one module. ``project`` holds the facts of the project modules it imports and
    ``module`` its dotted name (see model/index.py); without them it is linted with its own
    facts only."""
    active = triggered(text, rules, with_project=project is not None, module=module)
    if not active:
        return LintResult(path)
    if tree is None:
        parsed = parse(text, path)
        if isinstance(parsed, ParseError):
            return LintResult(path, parse_error=parsed)
        tree = parsed
    try:
        model = ModuleModel(
            tree,
            SourceText(text),
            path,
            module=module,
            is_package=is_package,
            project=project,
        )
    except RecursionError:
        return LintResult(path, parse_error=ParseError("file too deeply nested to analyze"))
    ctx = RuleContext(model, options)
    diagnostics: list[Diagnostic] = []
    errors: list[str] = []
    with project.linting(text, model) if project is not None else nullcontext():
        for rule in active:
            try:
                diagnostics.extend(rule.check(ctx))
            except Exception as exc:  # a rule bug must never take the user's run down
                errors.append(f"{rule.code} crashed on {path}: {type(exc).__name__}: {exc}")
    if noqa:
        diagnostics = filter_noqa(text, diagnostics)
    unique = sorted(set(diagnostics), key=Diagnostic.sort_key)
    return LintResult(path, tuple(unique), internal_errors=tuple(errors))


def read_text(data: bytes) -> str | ParseError:
    try:
        return decode_source(data).text
    except DecodeError as exc:
        return ParseError(f"cannot decode file: {exc}")
