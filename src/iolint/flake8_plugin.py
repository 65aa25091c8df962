"""The flake8 adapter: flake8 hands us the ``ast`` tree and the lines, we hand back findings.

It never raises: a crash in a plugin aborts the user's whole flake8 run. A file the analysis
cannot handle is skipped (flake8 reports real syntax errors itself, as E999). flake8 applies
``# noqa``, ``--select``/``--ignore`` and per-file ignores itself, so the plugin reports every
enabled finding and leaves the filtering to it.
"""

from __future__ import annotations

import argparse
import ast
import functools
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from iolint import __version__
from iolint.cache import ResultCache
from iolint.collector import paused_collection
from iolint.config import ConfigError, parse_target_version
from iolint.engine import lint_text
from iolint.model.index import find_root
from iolint.registry import all_rules
from iolint.resolved import ResolvedPaths
from iolint.rules.base import DEFAULT_SAVE_FUNCTIONS, Rule, RuleOptions
from iolint.runner import ProjectContext, project_context

LOG = logging.getLogger(__name__)


def _target_version(value: str) -> str:
    """Validate ``--iolint-target-version`` while flake8 parses its options (command line and
    config file alike), so a bad value is a usage error, not a traceback."""
    try:
        parse_target_version(value, "--iolint-target-version")
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(f'must look like "py39", got {value!r}') from exc
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise argparse.ArgumentTypeError(f"not a valid regular expression: {exc}") from exc
    return value


class Flake8Plugin:
    name = "iolint"
    version = __version__

    # flake8's plugin API passes options through class attributes set in parse_options();
    # they are written once per run, before any file is checked.
    _options: ClassVar[RuleOptions] = RuleOptions()
    _rules: ClassVar[tuple[Rule, ...] | None] = None

    def __init__(self, tree: ast.AST, filename: str = "", lines: list[str] | None = None) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, parser: Any) -> None:
        parser.add_option(
            "--iolint-target-version",
            default=None,
            type=_target_version,
            parse_from_config=True,
            help="iolint: the oldest Python the code runs on, e.g. py38 (default py39)",
        )
        parser.add_option(
            "--iolint-save-functions",
            default=DEFAULT_SAVE_FUNCTIONS,
            type=_regex,
            parse_from_config=True,
            help="iolint: regex of function names that save state durably (IO306/IO307)",
        )
        parser.add_option(
            "--iolint-strict",
            default=False,
            action="store_true",
            parse_from_config=True,
            help="iolint: also report findings judged harmless in their context",
        )
        # Opt-in rules stay off unless selected explicitly (--extend-select IO308).
        opt_in = [r.code for r in all_rules() if not r.default_enabled]
        if opt_in:
            parser.extend_default_ignore(opt_in)

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        target = getattr(options, "iolint_target_version", None)
        # Already validated by _target_version.
        version = parse_target_version(target, "--iolint-target-version") if target else (3, 9)
        cls._options = RuleOptions(
            target_version=version,
            save_functions=getattr(options, "iolint_save_functions", None)
            or DEFAULT_SAVE_FUNCTIONS,
            strict=bool(getattr(options, "iolint_strict", False)),
        )
        cls._rules = tuple(r() for r in all_rules())

    def run(self) -> Iterator[tuple[int, int, str, type[Any]]]:
        try:
            # Collected into a list inside the pause: a generator suspended at a yield would
            # leave the collector off while flake8 runs other plugins.
            with paused_collection():
                found = list(self._run())
            yield from found
        except Exception:  # never abort the user's flake8 run
            LOG.debug("iolint failed on %s", self.filename, exc_info=True)

    def _run(self) -> Iterator[tuple[int, int, str, type[Any]]]:
        if not isinstance(self.tree, ast.Module):
            return
        rules = self._rules if self._rules is not None else tuple(r() for r in all_rules())
        if self.lines is not None:
            text = "".join(self.lines)
        else:
            try:
                with open(self.filename, encoding="utf-8") as f:
                    text = f.read()
            except (OSError, UnicodeDecodeError):
                return
        context = _project_context(self.filename)
        result = lint_text(
            text,
            self.filename,
            rules,
            self._options,
            tree=self.tree,
            noqa=False,
            project=context.facts,
            module=context.module,
            is_package=context.is_package,
        )
        for d in result.diagnostics:
            yield d.start.line, d.start.column, f"{d.code} {d.message}", type(self)


def _project_context(filename: str) -> ProjectContext:
    """The file's view of its project's index (the project root is the closest directory
    with a ``pyproject.toml``, ``setup.cfg``, ``setup.py`` or VCS directory; the index is
    cached in its ``.iolint_cache``, shared with the CLI); facts are derived only for the
    modules the file's analysis asks about. stdin and files outside any project get their
    own facts only."""
    if filename in ("", "-", "stdin"):
        return ProjectContext()
    path = _resolved_paths().resolve(Path(filename))
    root = find_root(path, resolved=True)
    return project_context(path, _cache_of(root) if root is not None else None, resolved=True)


@functools.cache
def _resolved_paths() -> ResolvedPaths:
    # One flake8 run checks many files in few directories: each directory is resolved once
    # per process (pure-Python realpath, a stat per path component, was 7% of the plugin).
    return ResolvedPaths()


@functools.cache
def _cache_of(root: Path) -> ResultCache | None:
    return ResultCache.for_root(root)
