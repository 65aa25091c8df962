"""The result cache: ``.iolint_cache/`` at the project root, one entry per linted file content.

An entry is found by a key that hashes everything the result depends on: the file's bytes and
its display path, the effective settings (every field of :class:`Settings`, so a setting added
later is covered without touching this module), the rules enabled for that path, the iolint
code itself (version and a fingerprint of its source files, so an editable install never
serves results of older code) and the Python version (``ast`` differs between versions).
Stale results are therefore impossible by construction; old entries are simply never read.

Safe against concurrent runs: an entry is written to a temporary file in the cache directory
and moved into place with ``os.replace``, so readers see a whole entry or none. It is not
fsynced: losing an entry in a crash only costs a re-lint, and a torn or corrupt entry (or one
written by another version) fails validation and counts as a miss, never as an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from iolint import __version__
from iolint.cache_write import write_entry
from iolint.config import Settings
from iolint.diagnostics import Applicability, Diagnostic, Edit, Fix, ParseError, Position

CACHE_DIR_NAME = ".iolint_cache"
_FORMAT = 1
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by iolint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """iolint's version, its source files (name, size, mtime) and the Python running it."""
    h = hashlib.sha256()
    h.update(f"{__version__}\0{sys.version}\0{sys.implementation.name}\0".encode())
    package = Path(__file__).resolve().parent
    for p in sorted(package.rglob("*.py")):
        try:
            st = p.stat()
        except OSError:
            continue
        h.update(f"{p.relative_to(package).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return h.hexdigest()


@dataclass(frozen=True)
class CachedResult:
    diagnostics: tuple[Diagnostic, ...]
    parse_error: ParseError | None
    # What ``--fix`` would do (see runner.planned_fixes) and the line length it was planned
    # for: the project's formatter settings live outside the key.
    planned: tuple[str, ...] | None = None
    line_length: int | None = None
    # The project modules the lint consulted, with the digest of their facts then: the
    # result is valid only while each still has those facts (model/index.py).
    dependencies: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ResultCache:
    """The cache of one project root. Small and picklable: workers receive it with their
    tasks and write their own entries."""

    directory: Path
    code: str

    @classmethod
    def for_root(cls, root: Path) -> ResultCache | None:
        """The cache under ``root``, created on first use; None when it cannot be (a
        read-only checkout): linting then simply runs uncached."""
        directory = root / CACHE_DIR_NAME
        try:
            directory.mkdir(parents=True, exist_ok=True)
            _write_if_missing(directory / "CACHEDIR.TAG", _CACHEDIR_TAG)
            _write_if_missing(directory / ".gitignore", "# Created by iolint.\n*\n")
        except OSError:
            return None
        return cls(directory, code_fingerprint())

    def key(self, data: bytes, display_path: str, settings: Settings, codes: frozenset[str]) -> str:
        h = hashlib.sha256()
        for part in (self.code, display_path, repr(settings), ",".join(sorted(codes))):
            h.update(part.encode("utf-8", "surrogatepass"))
            h.update(b"\0")
        h.update(data)
        return h.hexdigest()

    def _entry(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def get(self, key: str) -> CachedResult | None:
        """The stored result, or None when absent, unreadable or invalid in any way."""
        try:
            raw = self._entry(key).read_bytes()
            entry = json.loads(raw)
            if entry.get("format") != _FORMAT or entry.get("key") != key:
                return None
            diagnostics = tuple(_diagnostic_from(d) for d in entry["diagnostics"])
            pe = entry["parse_error"]
            parse_error = None if pe is None else ParseError(str(pe[0]), int(pe[1]), int(pe[2]))
            planned = entry.get("planned")
            line_length = entry.get("line_length")
            dependencies = tuple((str(n), str(d)) for n, d in entry.get("dependencies", []))
            return CachedResult(
                diagnostics,
                parse_error,
                None if planned is None else tuple(str(c) for c in planned),
                None if line_length is None else int(line_length),
                dependencies,
            )
        except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
            return None

    def put(self, key: str, result: CachedResult) -> None:
        """Store ``result`` atomically; failures (full disk, permissions) are ignored."""
        pe = result.parse_error
        entry = {
            "format": _FORMAT,
            "key": key,
            "diagnostics": [_diagnostic_to(d) for d in result.diagnostics],
            "parse_error": None if pe is None else [pe.message, pe.line, pe.column],
            "planned": None if result.planned is None else list(result.planned),
            "line_length": result.line_length,
            "dependencies": [list(d) for d in result.dependencies],
        }
        payload = json.dumps(entry, separators=(",", ":")).encode("utf-8", "surrogatepass")
        write_entry(self._entry(key), payload)


def _write_if_missing(path: Path, content: str) -> None:
    if path.exists():
        return
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(content)
        # CACHEDIR.TAG and .gitignore are recreated when missing: no fsync needed.
        os.replace(tmp, path)  # noqa: IO302
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _diagnostic_to(d: Diagnostic) -> list[Any]:
    fix = None
    if d.fix is not None:
        fix = [
            d.fix.message,
            d.fix.applicability.value,
            [
                [e.start.line, e.start.column, e.end.line, e.end.column, e.content]
                for e in d.fix.edits
            ],
        ]
    return [
        d.code,
        d.name,
        d.message,
        d.start.line,
        d.start.column,
        d.end.line,
        d.end.column,
        d.severity,
        fix,
    ]


def _diagnostic_from(item: list[Any]) -> Diagnostic:
    code, name, message, sl, sc, el, ec, severity, fix = item
    parsed_fix = None
    if fix is not None:
        fmsg, applicability, edits = fix
        parsed_fix = Fix(
            str(fmsg),
            Applicability(applicability),
            tuple(
                Edit(Position(int(a), int(b)), Position(int(c), int(d)), str(content))
                for a, b, c, d, content in edits
            ),
        )
    return Diagnostic(
        str(code),
        str(name),
        str(message),
        Position(int(sl), int(sc)),
        Position(int(el), int(ec)),
        parsed_fix,
        str(severity),
    )
