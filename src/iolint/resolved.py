"""``Path.resolve()`` for the many files of one run, without resolving each one from scratch.

``Path.resolve()`` is ``os.path.realpath``, pure Python that checks every component of the
path: resolving each of a few thousand files (for its configuration and its ``.gitignore``
files) took more time than reading the cached results of a warm run. A file that is not itself
a symbolic link resolves to its resolved directory plus its name, and the files of a run share
few directories, so each directory is resolved once per run.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ResolvedPaths:
    """Resolutions of one run (a CLI invocation, one discovery): short-lived, so a symlink
    changed meanwhile is not a concern."""

    _directories: dict[Path, Path] = field(default_factory=dict)

    def resolve(self, path: Path) -> Path:
        """The same as ``path.resolve()``."""
        name = path.name
        if name in ("", ".", ".."):
            return path.resolve()
        try:
            mode = os.lstat(path).st_mode
        except (OSError, ValueError):
            return path.resolve()  # missing or unreadable: realpath's own rules
        if stat.S_ISLNK(mode):
            return path.resolve()
        return self.directory(path.parent) / name

    def directory(self, directory: Path) -> Path:
        """``directory.resolve()``, remembered."""
        found = self._directories.get(directory)
        if found is None:
            found = self._directories[directory] = directory.resolve()
        return found
