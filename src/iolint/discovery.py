"""Which files to lint: Python files under the given paths, minus excludes and what
``.gitignore`` files ignore."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from iolint.config import ConfigResolver
from iolint.resolved import ResolvedPaths

PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass
class _GitIgnores:
    """``.gitignore`` files met on the way down (and above the start, up to the repository
    root), each applying to paths below its own directory."""

    specs: dict[Path, pathspec.GitIgnoreSpec | None] = field(default_factory=dict)
    # Per directory: whether it is a repository's root (holds ``.git``), and resolved paths;
    # both asked for every file walked.
    repositories: dict[Path, bool] = field(default_factory=dict)
    paths: ResolvedPaths = field(default_factory=ResolvedPaths)

    def _is_repository(self, directory: Path) -> bool:
        found = self.repositories.get(directory)
        if found is None:
            found = self.repositories[directory] = (directory / ".git").exists()
        return found

    def _spec(self, directory: Path) -> pathspec.GitIgnoreSpec | None:
        if directory not in self.specs:
            gi = directory / ".gitignore"
            spec = None
            if gi.is_file():
                try:
                    lines = gi.read_text(encoding="utf-8", errors="replace").splitlines()
                    spec = pathspec.GitIgnoreSpec.from_lines(lines)
                except (OSError, ValueError):
                    spec = None
            self.specs[directory] = spec
        return self.specs[directory]

    def ignored(self, path: Path, is_dir: bool, *, within: Path | None = None) -> bool:
        """Whether git would ignore ``path``; with ``within``, only the ``.gitignore`` files
        of that directory and below count."""
        path = self.paths.resolve(path)
        for directory in path.parents:
            if within is not None and directory != within and within not in directory.parents:
                break
            spec = self._spec(directory)
            if spec is not None:
                rel = path.relative_to(directory).as_posix() + ("/" if is_dir else "")
                if spec.match_file(rel):
                    return True
            if self._is_repository(directory):
                break
        return False


def discover(
    paths: list[str], resolver: ConfigResolver, *, force_exclude: bool = False
) -> Iterator[Path]:
    """Files to lint, in a stable order. Explicitly named files are always linted unless
    ``force_exclude`` (for pre-commit, which passes every changed file) and they are excluded.
    """
    gitignores = _GitIgnores()
    seen: set[Path] = set()
    for raw in paths:
        root = Path(raw)
        if root.is_file() or not root.exists():
            settings = resolver.for_path(root)
            if (force_exclude or settings.force_exclude) and (
                settings.is_excluded(root, any_component=True)
                or (settings.respect_gitignore and gitignores.ignored(root, False))
            ):
                continue
            if root not in seen:
                seen.add(root)
                yield root
            continue
        settings = resolver.for_path(root)
        if (force_exclude or settings.force_exclude) and (
            settings.is_excluded(root, any_component=True)
            or (settings.respect_gitignore and gitignores.ignored(root, True))
        ):
            # An excluded directory named on the command line, as a file would be.
            continue
        # A directory named on the command line is walked even when an enclosing repository
        # ignores it (a virtualenv or a pyenv install under an ignored path), as ruff does:
        # then only the .gitignore files inside it apply, else nothing would be linted.
        scope = root.resolve() if gitignores.ignored(root, True) else None
        for dirpath, dirnames, filenames in os.walk(root):
            base = Path(dirpath)
            settings = resolver.for_path(base)
            kept = []
            for d in sorted(dirnames):
                sub = base / d
                if settings.is_excluded(sub):
                    continue
                if settings.respect_gitignore and gitignores.ignored(sub, True, within=scope):
                    continue
                kept.append(d)
            dirnames[:] = kept
            for name in sorted(filenames):
                if not name.endswith(PYTHON_SUFFIXES):
                    continue
                path = base / name
                if path.exists() and not path.is_file():
                    # A FIFO, socket or device named *.py would block the read forever.
                    # (A dangling link is kept, to be reported as unreadable; paths named
                    # explicitly are always read, so `iolint check /dev/fd/3` works.)
                    continue
                file_settings = resolver.for_path(path)
                if file_settings.is_excluded(path):
                    continue
                if file_settings.respect_gitignore and gitignores.ignored(
                    path, False, within=scope
                ):
                    continue
                if path not in seen:
                    seen.add(path)
                    yield path
