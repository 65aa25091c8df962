"""Configuration: ``[tool.iolint]`` in ``pyproject.toml``, found by walking up from each file.

Every value is validated; a bad key or value is a :class:`ConfigError` that names the key and
the file, which the CLI reports with exit code 2.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from dataclasses import dataclass, field, replace
from fnmatch import fnmatch
from fnmatch import translate as fnmatch_translate
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from iolint.registry import all_rules, is_enabled, known_code_prefix
from iolint.resolved import ResolvedPaths
from iolint.rules.base import DEFAULT_SAVE_FUNCTIONS, RuleOptions

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10
    import tomli as tomllib

DEFAULT_EXCLUDE = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".git-rewrite",
    ".hg",
    ".iolint_cache",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".nox",
    ".pants.d",
    ".pyenv",
    ".pytest_cache",
    ".pytype",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    ".vscode",
    "__pypackages__",
    "_build",
    "buck-out",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
)
DEFAULT_TARGET = (3, 9)
OUTPUT_FORMATS = ("concise", "full", "json", "sarif", "github", "gitlab")
# What errors in command-line settings (`--config KEY=VALUE`, `--select` ...) are attributed to.
COMMAND_LINE = "command line"


@lru_cache(maxsize=64)
def _enabled_codes(select: tuple[str, ...], ignore: tuple[str, ...]) -> frozenset[str]:
    """The codes a selection enables (the same for every file without a per-file ignore)."""
    return frozenset(
        r.code for r in all_rules() if is_enabled(r.code, r.default_enabled, select, ignore)
    )


class ConfigError(Exception):
    """A configuration problem; the message names the file and the key."""


@dataclass(frozen=True)
class Settings:
    """The effective settings for the files under one configuration root."""

    select: tuple[str, ...] = ("IO",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    target_version: tuple[int, int] = DEFAULT_TARGET
    save_functions: str = DEFAULT_SAVE_FUNCTIONS
    strict: bool = False
    unsafe_fixes: bool = False
    respect_gitignore: bool = True
    force_exclude: bool = False
    output_format: str | None = None
    # Where the settings came from; patterns are relative to ``root``.
    config_path: Path | None = field(default=None, compare=False)
    root: Path = field(default_factory=Path.cwd, compare=False)

    @cached_property
    def _resolved_root(self) -> Path:
        return self.root.resolve()

    def rule_options(self) -> RuleOptions:
        return RuleOptions(
            target_version=self.target_version,
            save_functions=self.save_functions,
            strict=self.strict,
        )

    def enabled_codes(self, path: Path | None = None) -> frozenset[str]:
        ignore = list(self.ignore)
        if path is not None:
            for pattern, codes in self.per_file_ignores:
                if self.matches(path, pattern, any_component=True):
                    ignore.extend(codes)
        return _enabled_codes((*self.select, *self.extend_select), tuple(ignore))

    def matches(self, path: Path, pattern: str, *, any_component: bool = False) -> bool:
        """gitignore-like matching: a pattern without ``/`` matches the file or directory name
        (any component of the path relative to the root with ``any_component``, for files
        named on the command line); a pattern with ``/`` matches the path from the root."""
        pattern = pattern.rstrip("/")
        if pattern.startswith("./"):
            # Only the "./" prefix: `lstrip("./")` would also eat the dot of "./.cache".
            pattern = pattern[2:]
        if "/" not in pattern and not any_component:
            # The common case (`.venv`, `*.pyi`): the name alone decides, no path resolution
            # (resolving every path for every pattern dominated warm runs).
            return fnmatch(path.name, pattern)
        try:
            rel = path.resolve().relative_to(self._resolved_root).as_posix()
        except ValueError:
            rel = path.as_posix()
        if "/" not in pattern:
            return any(fnmatch(part, pattern) for part in rel.split("/"))
        if Path(pattern).is_absolute():
            target = path.resolve().as_posix()
        else:
            # Relative to the root only: matching the whole path would let `**/test_*.py`
            # match every file of a project that lives under `/tmp/test_run/`.
            target = rel
        candidates = [pattern]
        if pattern.startswith("**/"):
            # As in gitignore and ruff, a leading `**/` also matches no directory at all.
            candidates.append(pattern[3:])
        return any(fnmatch(target, p) or fnmatch(target, p + "/*") for p in candidates)

    def is_excluded(self, path: Path, *, any_component: bool = False) -> bool:
        if any_component:
            return any(
                self.matches(path, p, any_component=True)
                for p in (*self.exclude, *self.extend_exclude)
            )
        # What matches() does pattern by pattern, with the name-only patterns (all of the
        # defaults) tested by one regex: this runs for every file and directory walked.
        names, others = self._exclude_patterns
        if names is not None and names.match(os.path.normcase(path.name)):
            return True
        return any(self.matches(path, p) for p in others)

    @cached_property
    def _exclude_patterns(self) -> tuple[re.Pattern[str] | None, tuple[str, ...]]:
        """The exclude patterns that look at the name alone, as one regex (``fnmatch``'s own
        translation and case rule), and the others."""
        names: list[str] = []
        others: list[str] = []
        for raw in (*self.exclude, *self.extend_exclude):
            pattern = raw.rstrip("/")
            if pattern.startswith("./"):
                pattern = pattern[2:]
            (others if "/" in pattern else names).append(raw)
        if not names:
            return None, tuple(others)
        regex = "|".join(
            f"(?:{fnmatch_translate(os.path.normcase(p.rstrip('/').removeprefix('./')))})"
            for p in names
        )
        return re.compile(regex), tuple(others)

    def describe(self) -> dict[str, Any]:
        """A plain view for ``--show-settings``."""
        return {
            "config": str(self.config_path) if self.config_path else None,
            "root": str(self.root),
            "select": list(self.select),
            "extend-select": list(self.extend_select),
            "ignore": list(self.ignore),
            "per-file-ignores": {p: list(c) for p, c in self.per_file_ignores},
            "exclude": list(self.exclude),
            "extend-exclude": list(self.extend_exclude),
            "target-version": f"py{self.target_version[0]}{self.target_version[1]}",
            "save-functions": self.save_functions,
            "strict": self.strict,
            "unsafe-fixes": self.unsafe_fixes,
            "respect-gitignore": self.respect_gitignore,
            "force-exclude": self.force_exclude,
            "output-format": self.output_format,
            "enabled-rules": sorted(self.enabled_codes()),
        }


# ----------------------------------------------------------------------------- parsing


def parse_target_version(value: object, where: str) -> tuple[int, int]:
    if isinstance(value, str):
        m = re.fullmatch(r"py3(\d{1,2})", value.strip().lower())
        if m:
            return (3, int(m.group(1)))
    raise ConfigError(f"{where}: 'target-version' must look like \"py39\", got {value!r}")


def target_from_requires_python(spec: str) -> tuple[int, int] | None:
    """The lower bound of ``requires-python`` (">=3.8", "~=3.10", ">=3.9,<4", "==3.11.*")."""
    for clause in spec.split(","):
        m = re.match(r"\s*(>=|~=|==|>)\s*3\.(\d+)", clause)
        if m:
            minor = int(m.group(2)) + (1 if m.group(1) == ">" else 0)
            return (3, minor)
    return None


def _codes(value: object, key: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: '{key}' must be a list of rule codes, got {value!r}")
    for v in value:
        if not known_code_prefix(v):
            raise ConfigError(f"{where}: '{key}': unknown rule code or prefix {v!r}")
    return tuple(v.upper() for v in value)


def _patterns(value: object, key: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: '{key}' must be a list of glob patterns, got {value!r}")
    return tuple(value)


def _bool(value: object, key: str, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: '{key}' must be true or false, got {value!r}")
    return value


def _regex(value: object, key: str, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: '{key}' must be a regular expression string, got {value!r}")
    try:
        re.compile(value)
    except re.error as exc:
        raise ConfigError(f"{where}: '{key}' is not a valid regular expression: {exc}") from exc
    return value


KNOWN_KEYS = (
    "select",
    "ignore",
    "extend-select",
    "extend-ignore",
    "per-file-ignores",
    "exclude",
    "extend-exclude",
    "target-version",
    "save-functions",
    "strict",
    "unsafe-fixes",
    "respect-gitignore",
    "force-exclude",
    "output-format",
)


def _unknown_key(key: str, where: str) -> str:
    section = "" if where == COMMAND_LINE else " in [tool.iolint]"
    close = difflib.get_close_matches(key, KNOWN_KEYS, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(KNOWN_KEYS)}"
    return f"{where}: unknown key '{key}'{section}{hint}"


def apply_table(base: Settings, table: dict[str, Any], where: str) -> Settings:
    """Validate ``table`` (the ``[tool.iolint]`` section or overrides) onto ``base``."""
    changes: dict[str, Any] = {}
    for key, value in table.items():
        if key == "select":
            changes["select"] = _codes(value, key, where)
        elif key == "ignore":
            changes["ignore"] = _codes(value, key, where)
        elif key == "extend-select":
            # Appends, so command-line additions keep the file's own.
            changes["extend_select"] = base.extend_select + _codes(value, key, where)
        elif key == "extend-ignore":
            changes["ignore"] = changes.get("ignore", base.ignore) + _codes(value, key, where)
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(
                    f"{where}: 'per-file-ignores' must be a table of pattern = [codes]"
                )
            changes["per_file_ignores"] = tuple(
                (str(p), _codes(c, f"per-file-ignores.{p}", where)) for p, c in value.items()
            )
        elif key == "exclude":
            changes["exclude"] = _patterns(value, key, where)
        elif key == "extend-exclude":
            changes["extend_exclude"] = base.extend_exclude + _patterns(value, key, where)
        elif key == "target-version":
            changes["target_version"] = parse_target_version(value, where)
        elif key == "save-functions":
            changes["save_functions"] = _regex(value, key, where)
        elif key == "strict":
            changes["strict"] = _bool(value, key, where)
        elif key == "unsafe-fixes":
            changes["unsafe_fixes"] = _bool(value, key, where)
        elif key == "respect-gitignore":
            changes["respect_gitignore"] = _bool(value, key, where)
        elif key == "force-exclude":
            changes["force_exclude"] = _bool(value, key, where)
        elif key == "output-format":
            if value not in OUTPUT_FORMATS:
                choices = ", ".join(OUTPUT_FORMATS)
                raise ConfigError(
                    f"{where}: 'output-format' must be one of {choices}, got {value!r}"
                )
            changes["output_format"] = value
        else:
            raise ConfigError(_unknown_key(key, where))
    return replace(base, **changes)


def load_pyproject(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def settings_from_file(path: Path, overrides: dict[str, Any] | None = None) -> Settings:
    """Settings from one ``pyproject.toml`` (or a standalone ``iolint.toml``/``.iolint.toml``
    whose top level is the section itself)."""
    data = load_pyproject(path)
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("iolint", {})
    else:
        table = data
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.iolint] must be a table")
    base = Settings(config_path=path, root=path.parent.resolve())
    requires = (
        data.get("project", {}).get("requires-python") if path.name == "pyproject.toml" else None
    )
    if isinstance(requires, str):
        target = target_from_requires_python(requires)
        if target is not None:
            base = replace(base, target_version=target)
    settings = apply_table(base, table, str(path))
    if overrides:
        settings = apply_table(settings, overrides, COMMAND_LINE)
    return settings


def _has_iolint_section(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    if re.search(r"^\[tool\.iolint[\].]", text, re.MULTILINE):
        return True
    if "iolint" not in text:
        return False
    # Other spellings TOML allows: `[tool]` + `iolint = {...}`, `[ tool . iolint ]`, ...
    try:
        tool = tomllib.loads(text).get("tool")
    except tomllib.TOMLDecodeError:
        return False
    return isinstance(tool, dict) and "iolint" in tool


@dataclass
class ConfigResolver:
    """Finds the settings for each file: the closest ``pyproject.toml`` with a
    ``[tool.iolint]`` section wins; without one, the closest ``pyproject.toml`` supplies
    ``requires-python``. ``--config FILE`` pins one file for everything."""

    cli: dict[str, Any] = field(default_factory=dict)
    config_file: Path | None = None
    _cache: dict[Path, Settings] = field(default_factory=dict)
    _paths: ResolvedPaths = field(default_factory=ResolvedPaths)

    def for_path(self, path: Path) -> Settings:
        if self.config_file is not None:
            return self._load(self.config_file)
        directory = self._paths.resolve(path)
        if not directory.is_dir():
            directory = directory.parent
        return self._for_dir(directory)

    def _for_dir(self, directory: Path) -> Settings:
        if directory in self._cache:
            return self._cache[directory]
        chain: list[Path] = []
        found: Settings | None = None
        fallback: Path | None = None
        d: Path | None = directory
        while d is not None:
            if d in self._cache:
                found = self._cache[d]
                break
            chain.append(d)
            candidate = d / "pyproject.toml"
            if candidate.is_file():
                if _has_iolint_section(candidate):
                    found = self._load(candidate)
                    break
                if fallback is None:
                    fallback = candidate
            d = d.parent if d.parent != d else None
        if found is None:
            found = self._load(fallback) if fallback is not None else self._defaults()
        for c in chain:
            self._cache[c] = found
        return found

    def enabled_codes(self) -> frozenset[str]:
        """The codes enabled by any configuration resolved so far: the run's rule set."""
        codes: set[str] = set()
        for settings in set(self._cache.values()):
            codes |= settings.enabled_codes()
        return frozenset(codes)

    def _defaults(self) -> Settings:
        return apply_table(Settings(), self.cli, COMMAND_LINE) if self.cli else Settings()

    def _load(self, path: Path) -> Settings:
        key = path.resolve()
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        settings = settings_from_file(path)
        if self.cli:
            settings = apply_table(settings, self.cli, COMMAND_LINE)
        self._cache[key] = settings
        return settings


def parse_override(text: str) -> dict[str, Any]:
    """``--config "target-version = 'py38'"`` or ``--config select=["IO1"]``: one TOML line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"--config {text!r}: not a TOML `key = value`: {exc}") from exc
    return data


# Keys whose values add up when given more than once on the command line (ruff's `extend-*`
# overrides do; a table of per-file ignores merges pattern by pattern).
ACCUMULATING_KEYS = ("extend-select", "extend-ignore", "extend-exclude")


def merge_overrides(into: dict[str, Any], new: dict[str, Any]) -> None:
    """Add the overrides of one ``--config KEY=VALUE`` (or one flag) to ``into``: the
    ``extend-*`` lists and ``per-file-ignores`` tables accumulate, any other key takes the
    value given last. Values are validated later, by :func:`apply_table`."""
    for key, value in new.items():
        old = into.get(key)
        if key in ACCUMULATING_KEYS and isinstance(old, list) and isinstance(value, list):
            into[key] = [*old, *value]
        elif key == "per-file-ignores" and isinstance(old, dict) and isinstance(value, dict):
            into[key] = {**old, **value}
        else:
            into[key] = value


def rule_codes() -> list[str]:
    return [r.code for r in all_rules()]
