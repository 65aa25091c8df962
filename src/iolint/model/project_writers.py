"""The atomic writers of a whole project: the per-module facts of
:mod:`iolint.model.atomic_writers` over every module of the linted module's top-level package,
with what crosses modules resolved (a temp file one module makes and another renames).

Only IO306's fix asks for it, and only for a finding whose module has no writer of its own, so
plain linting never pays for it. The per-module facts are cached by content, in memory on the
project index and on disk beside the index's own entries (``<sha256>.writers.json``); a module
whose text mentions no rename and no temp file is not parsed at all.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from iolint.cache_write import write_entry
from iolint.model.atomic_writers import (
    RENAMES,
    TEMP_FILE,
    USE,
    WriterFacts,
    module_writers,
)

if TYPE_CHECKING:
    from iolint.model.index import ProjectIndex

WRITERS_FORMAT = 1
# Text without which a module can hold no atomic writer, no rename wrapper and no temp use: a
# rename or a temp file of the standard library, a one-argument ``.replace(target)`` (pathlib),
# or a rename function imported by name. Most modules (``str.replace`` has two arguments) are
# then not parsed at all.
_WORDS = (b"replace", b"rename", b"move", b"mkstemp", b"NamedTemporaryFile", b"mktemp")
_TRIGGER = re.compile(
    rb"os\.(replace|rename)|shutil\.move|mkstemp|NamedTemporaryFile|mktemp"
    rb"|\.(replace|rename)\([^,()]*\)"
    rb"|^\s*(from|import)\b.*(replace|rename|\bmove)"  # not remove
    rb"|^\s+\w*(replace|rename)\w*,?\s*$|^\s+move\w*,?\s*$",
    re.MULTILINE,
)
# Directories whose code is not the project's own library code: a writer there (a test's, a
# vendored library's) is not one the project would have its code call.
_SKIPPED_DIRS = frozenset(
    {
        "__pycache__",
        "_vendor",
        "vendor",
        "_vendored",
        "vendored",
        "node_modules",
        "site-packages",
        "test",
        "tests",
        "testing",
    }
)
# Bounds the scan of a huge tree (a monorepo's package): the fix then stays an inline copy only
# if no writer is found among these.
_MAX_FILES = 5000


@dataclass(frozen=True)
class ProjectWriter:
    """An atomic writer of the project: where it is defined, and for a ``temp file`` writer
    (which leaves the rename to its caller) a place that renames its file and what renames."""

    qualname: str
    path: Path
    line: int
    shape: str
    used_at: tuple[Path, int] | None = None
    renamer: str = ""

    @property
    def private(self) -> bool:
        return any(part.startswith("_") for part in self.qualname.rsplit(".", 2)[-2:])


def package_dir(path: Path, module: str, is_package: bool) -> Path | None:
    """The directory of the top-level package holding ``path`` (module ``module``); None for a
    module outside any package."""
    parts = module.split(".")
    up = len(parts) - 1 if is_package else len(parts) - 2
    if up < 0 or module == "__main__":
        return None
    parents = path.resolve().parents
    return parents[up] if up < len(parents) else None


def in_skipped_dir(package: Path, file: Path) -> bool:
    """``file`` lies in a directory of ``package`` whose code is not the project's library
    code (``_vendor``, ``tests``)."""
    try:
        parts = file.resolve().relative_to(package.resolve()).parts[:-1]
    except ValueError:
        return False
    return any(p in _SKIPPED_DIRS for p in parts)


def _package_files(package: Path) -> list[Path]:
    files: list[Path] = []
    for directory, dirs, names in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith("."))
        files.extend(Path(directory, n) for n in sorted(names) if n.endswith(".py"))
        if len(files) > _MAX_FILES:
            break
    return files[:_MAX_FILES]


def _module_of(package: Path, file: Path) -> tuple[str, bool]:
    rel = file.relative_to(package.parent).with_suffix("").parts
    if rel[-1] == "__init__":
        return ".".join(rel[:-1]), True
    return ".".join(rel), False


def _facts_of(index: ProjectIndex, package: Path, file: Path) -> WriterFacts | None:
    """The writer facts of one module, from memory, the disk cache or its text."""
    try:
        st = file.stat()
    except OSError:
        return None
    stamp = (st.st_mtime_ns, st.st_size)
    memo = index.writer_facts
    known = memo.get(file)
    if known is not None and known[0] == stamp:
        return known[1]
    try:
        data = file.read_bytes()
    except OSError:
        return None
    name, is_package = _module_of(package, file)
    facts: WriterFacts | None
    if not any(w in data for w in _WORDS) or not _TRIGGER.search(data):
        facts = WriterFacts(name)
    else:
        digest = hashlib.sha256(data).hexdigest()
        facts = _load(index, digest, name)
        if facts is None:
            facts = _derive(data, str(file), name, is_package)
            _store(index, digest, facts)
    memo[file] = (stamp, facts)
    return facts


def _derive(data: bytes, path: str, name: str, is_package: bool) -> WriterFacts:
    from iolint.engine import parse, read_text

    text = read_text(data)
    if not isinstance(text, str):
        return WriterFacts(name)
    tree = parse(text, path)
    if not isinstance(tree, ast.Module):
        return WriterFacts(name)
    try:
        return module_writers(tree, name, is_package, text)
    except RecursionError:
        return WriterFacts(name)


def _entry(index: ProjectIndex, digest: str) -> Path | None:
    cache = index.cache_dir
    return None if cache is None else cache / f"{digest}.writers.json"


def _load(index: ProjectIndex, digest: str, name: str) -> WriterFacts | None:
    entry = _entry(index, digest)
    if entry is None:
        return None
    try:
        data = json.loads(entry.read_bytes())
        if data.get("format") != WRITERS_FORMAT or data["facts"]["module"] != name:
            return None
        return WriterFacts.from_json(data["facts"])
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _store(index: ProjectIndex, digest: str, facts: WriterFacts) -> None:
    entry = _entry(index, digest)
    if entry is not None:
        payload = {"format": WRITERS_FORMAT, "facts": facts.to_json()}
        write_entry(entry, json.dumps(payload).encode("utf-8", "surrogatepass"))


def writers_in(index: ProjectIndex, package: Path) -> tuple[ProjectWriter, ...]:
    """The atomic writers of the modules under ``package``: complete ones first (public before
    private, functions before methods), each temp-file maker only where a caller renames what
    it made."""
    by_file: list[tuple[Path, WriterFacts]] = []
    for file in _package_files(package):
        facts = _facts_of(index, package, file)
        if facts is not None and (facts.writers or facts.renamers):
            by_file.append((file, facts))
    renamers = set(RENAMES) | {f"{f.module}.{r}" for _, f in by_file for r in f.renamers}
    makers = {
        f"{f.module}.{w.name}": (file, w)
        for file, f in by_file
        for w in f.writers
        if w.shape == TEMP_FILE
    }

    def resolves(temp_from: str, renamed_by: str) -> bool:
        return (not temp_from or temp_from in makers) and (not renamed_by or renamed_by in renamers)

    found: dict[str, ProjectWriter] = {}
    for file, facts in by_file:
        for w in facts.writers:
            if w.shape == TEMP_FILE or not resolves(w.temp_from, w.renamed_by):
                continue
            if w.shape == USE:
                maker = makers[w.temp_from]
                qualname = w.temp_from
                if qualname not in found:
                    found[qualname] = ProjectWriter(
                        qualname,
                        maker[0],
                        maker[1].line,
                        TEMP_FILE,
                        (file, w.line),
                        w.renamed_by or "os.replace",
                    )
                continue
            qualname = f"{facts.module}.{w.name}"
            found.setdefault(qualname, ProjectWriter(qualname, file, w.line, w.shape))
    return tuple(
        sorted(
            found.values(),
            key=lambda w: (w.private, w.shape == "method", w.qualname.count("."), w.qualname),
        )
    )


__all__ = ["ProjectWriter", "in_skipped_dir", "package_dir", "writers_in"]
