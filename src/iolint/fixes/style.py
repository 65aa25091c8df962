"""The project's line length, read where its formatter and linters read it.

``line-length`` of ``[tool.ruff]`` (or ``ruff.toml``) and ``[tool.black]`` in
``pyproject.toml``, ``max-line-length`` of ``[flake8]`` in ``setup.cfg``, ``tox.ini`` or
``.flake8``. The closest directory that sets one wins; without any, 88 (black's and ruff's
default). Fixes whose lines would be longer are not offered.
"""

from __future__ import annotations

import configparser
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


@lru_cache(maxsize=256)
def _for_directory(directory: Path) -> int:
    found = _configured_in(directory)
    if found is not None:
        return found
    parent = directory.parent
    return DEFAULT_LINE_LENGTH if parent == directory else _for_directory(parent)


def _configured_in(directory: Path) -> int | None:
    for name in ("ruff.toml", ".ruff.toml"):
        value = _positive(_toml(directory / name).get("line-length"))
        if value is not None:
            return value
    tool = _toml(directory / "pyproject.toml").get("tool", {})
    if isinstance(tool, dict):
        for section in ("ruff", "black"):
            table = tool.get(section)
            if isinstance(table, dict):
                value = _positive(table.get("line-length"))
                if value is not None:
                    return value
    for name in ("setup.cfg", "tox.ini", ".flake8"):
        value = _flake8(directory / name)
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
