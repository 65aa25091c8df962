"""The project's line length, read where its formatter and linters read it.

``line-length`` of ``[tool.ruff]`` (or ``ruff.toml``) and ``[tool.black]`` in
``pyproject.toml``, ``max-line-length`` of ``[flake8]`` in ``setup.cfg``, ``tox.ini`` or
``.flake8``. The closest directory that sets one wins; without any, 88 (black's and ruff's
default). Fixes whose lines would be longer are not offered.
"""

from __future__ import annotations

import configparser
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10
    import tomli as tomllib

DEFAULT_LINE_LENGTH = 88


def line_length_for(path: Path | None) -> int:
    """The line length that applies to the file ``path`` (None: the current directory)."""
    start = (path if path is not None else Path.cwd()).resolve()
    return _for_directory(start if start.is_dir() else start.parent)


_CONFIG_FILES = ("ruff.toml", ".ruff.toml", "pyproject.toml", "setup.cfg", "tox.ini", ".flake8")


def _for_directory(directory: Path) -> int:
    while True:
        found = _configured_in(directory, _stamp(directory))
        if found is not None:
            return found
        if directory.parent == directory:
            return DEFAULT_LINE_LENGTH
        directory = directory.parent


def _stamp(directory: Path) -> tuple[tuple[str, int, int], ...]:
    """The configuration files of ``directory`` as they are now: a long-running process (the
    language server) sees an edited setting, while each file is parsed only once."""
    out = []
    for name in _CONFIG_FILES:
        try:
            st = (directory / name).stat()
        except OSError:
            continue
        out.append((name, st.st_mtime_ns, st.st_size))
    return tuple(out)


@lru_cache(maxsize=256)
def _configured_in(directory: Path, stamp: tuple[tuple[str, int, int], ...]) -> int | None:
    present = {name for name, _, _ in stamp}
    for name in ("ruff.toml", ".ruff.toml"):
        if name in present:
            value = _positive(_toml(directory / name).get("line-length"))
            if value is not None:
                return value
    pyproject = _toml(directory / "pyproject.toml") if "pyproject.toml" in present else {}
    tool = pyproject.get("tool", {})
    if isinstance(tool, dict):
        for section in ("ruff", "black"):
            table = tool.get(section)
            if isinstance(table, dict):
                value = _positive(table.get("line-length"))
                if value is not None:
                    return value
    for name in ("setup.cfg", "tox.ini", ".flake8"):
        value = _flake8(directory / name) if name in present else None
        if value is not None:
            return value
    return None


def _toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError):
        return {}  # a broken file is the concern of the tool that owns it


def _flake8(path: Path) -> int | None:
    if not path.is_file():
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (OSError, configparser.Error, UnicodeDecodeError):
        return None
    if not parser.has_section("flake8"):
        return None
    for key in ("max-line-length", "max_line_length"):
        if parser.has_option("flake8", key):
            return _positive(parser.get("flake8", key).split("#")[0].strip())
    return None


def _positive(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return value if isinstance(value, int) and value > 0 else None


# ----------------------------------------------------------------- black's layout

_STRING = re.compile(r"'[^'\\]*(?:\\.[^'\\]*)*'|\"[^\"\\]*(?:\\.[^\"\\]*)*\"")
_CLOSERS = {"(": ")", "[": "]", "{": "}"}
_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")


def _depth(code: str) -> int | None:
    """Bracket balance of a line with its string literals removed; None when the line has a
    comment or a string the simple scan cannot see through (a triple quote)."""
    if '"""' in code or "'''" in code:
        return None
    bare = _STRING.sub("", code)
    if "#" in bare or "'" in bare or '"' in bare:
        return None
    return sum(bare.count(o) for o in "([{") - sum(bare.count(c) for c in ")]}")


def join_fitting_brackets(content: str, prefix: int, suffix: int, limit: int) -> str:
    """Generated code in black's layout: a bracket split over three lines (opener, one line
    of contents without a magic trailing comma, closer) is joined when the joined line fits
    in ``limit``, as black and ruff format would do. ``prefix`` and ``suffix`` are the
    lengths of the existing text before the content's first line and after its last."""
    parts = _LINE_BREAK.split(content)
    lines, breaks = parts[0::2], parts[1::2]
    i = 0
    while i + 2 < len(lines):
        a, b, c = lines[i], lines[i + 1], lines[i + 2]
        opener = a.rstrip()[-1:]
        inner = b.strip()
        closer = c.strip()
        fits = False
        if (
            opener in _CLOSERS
            and closer.startswith(_CLOSERS[opener])
            and inner
            and not inner.endswith(",")
            and _depth(inner) == 0
            and _depth(a) is not None
            and _depth(closer) is not None
            and len(b) - len(b.lstrip()) > len(a) - len(a.lstrip())
        ):
            joined = a.rstrip() + inner + closer
            extra = (prefix if i == 0 else 0) + (suffix if i + 2 == len(lines) - 1 else 0)
            fits = len(joined.expandtabs()) + extra <= limit
        if fits:
            lines[i : i + 3] = [a.rstrip() + inner + closer]
            del breaks[i : i + 2]
            continue
        i += 1
    out = lines[0]
    for brk, line in zip(breaks, lines[1:]):
        out += brk + line
    return out
