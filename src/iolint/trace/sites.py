"""Where an operation happened: the first frame of the project's own code on the stack.

Faults are injected into, and findings attributed to, the innermost frame that belongs to the
project: not the standard library, not site-packages, not pytest and not iolint itself. A call
whose innermost project frame is a test module is the test talking to the code under test (a
client sending a request), not the code under test, so it is neither faulted nor reported.
"""

from __future__ import annotations

import os
import sys
import sysconfig
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

_IOLINT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass(frozen=True)
class Site:
    """A call site in the project: file, 1-based line, function name."""

    path: str
    line: int
    function: str
    # The next project function outwards, "save_info at queue.py:268": a helper such as
    # atomic_rename() is the call site, its caller is usually where the fix goes.
    via: str = ""

    def short(self) -> str:
        return f"{os.path.basename(self.path)}:{self.line}"


def _library_dirs() -> tuple[str, ...]:
    dirs = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            dirs.add(os.path.realpath(path))
    for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix):
        dirs.add(os.path.realpath(os.path.join(prefix, "lib")))
    for entry in sys.path:
        if entry.endswith(("site-packages", "dist-packages")):
            dirs.add(os.path.realpath(entry))
    return tuple(sorted(dirs))


def is_test_file(path: str) -> bool:
    """A test module or conftest, by pytest's naming conventions."""
    name = os.path.basename(path)
    if name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py"):
        return True
    # Helpers beside the tests (tests/helpers.py), but not a package that happens to live
    # below some directory called tests.
    return os.path.basename(os.path.dirname(path)) in ("tests", "test", "testing")


class SiteFinder:
    """Classifies code files (cached per file name) and finds the project frame of a call."""

    def __init__(self) -> None:
        self._libs = _library_dirs()
        # filename -> 0 library/tooling, 1 project code, 2 project test code
        self._kind: dict[str, int] = {}
        # The site a pool thread's current work item was submitted from (see threads.py).
        self._inherited = threading.local()

    def kind(self, filename: str) -> int:
        k = self._kind.get(filename)
        if k is None:
            k = self._classify(filename)
            self._kind[filename] = k
        return k

    def _classify(self, filename: str) -> int:
        if not filename or filename.startswith("<"):
            return 0
        real = os.path.realpath(filename)
        if real.startswith(_IOLINT_DIR + os.sep):
            return 0
        for lib in self._libs:
            if real.startswith(lib + os.sep):
                return 0
        return 2 if is_test_file(real) else 1

    def is_project(self, filename: str) -> bool:
        return self.kind(filename) != 0

    def find(self, frame: FrameType | None) -> tuple[Site | None, bool]:
        """The innermost project frame from ``frame`` outwards, and whether it is test code."""
        while frame is not None:
            code = frame.f_code
            k = self.kind(code.co_filename)
            if k:
                via = self._caller(frame.f_back) if k == 1 else ""
                return Site(code.co_filename, frame.f_lineno, code.co_name, via), k == 2
            frame = frame.f_back
        inherited: tuple[Site, bool] | None = getattr(self._inherited, "site", None)
        return inherited if inherited is not None else (None, False)

    def _caller(self, frame: FrameType | None) -> str:
        while frame is not None:
            code = frame.f_code
            k = self.kind(code.co_filename)
            if k == 1:
                return f"{code.co_name} at {os.path.basename(code.co_filename)}:{frame.f_lineno}"
            if k == 2:
                return ""
            frame = frame.f_back
        return ""

    @contextmanager
    def inheriting(self, site: Site, in_test: bool) -> Iterator[None]:
        """Attribute what this thread does meanwhile to ``site`` when no frame is the
        project's."""
        previous = getattr(self._inherited, "site", None)
        self._inherited.site = (site, in_test)
        try:
            yield
        finally:
            self._inherited.site = previous

    def caller_is_tooling(self, frame: FrameType | None) -> bool:
        """Whether the direct caller is pytest, pluggy or iolint: their I/O is never faulted."""
        if frame is None:
            return True
        name = frame.f_globals.get("__name__", "")
        return isinstance(name, str) and name.split(".")[0] in _TOOLING


_TOOLING = frozenset({"_pytest", "pytest", "pluggy", "iolint", "execnet", "xdist", "coverage"})
