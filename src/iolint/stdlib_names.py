"""The top-level module names of the standard library, on every supported Python."""

from __future__ import annotations

import os
import sys
import sysconfig
from functools import cache


@cache
def stdlib_modules() -> frozenset[str]:
    """``sys.stdlib_module_names`` (Python 3.10+). On 3.9, which lacks it, the built-in
    modules plus what the standard library directory holds: the names a fix sorts into the
    standard-library import section, and that the project index never takes for project
    modules."""
    names = getattr(sys, "stdlib_module_names", None)
    if names is not None:
        return frozenset(names)
    found = set(sys.builtin_module_names)
    for key in ("stdlib", "platstdlib"):
        directory = sysconfig.get_paths().get(key)
        if not directory:
            continue
        for base in (directory, os.path.join(directory, "lib-dynload")):
            try:
                entries = os.listdir(base)
            except OSError:
                continue
            for entry in entries:
                name = entry.split(".", 1)[0]
                if name.isidentifier() and entry != "site-packages":
                    found.add(name)
    return frozenset(found)


def in_stdlib(dotted: str) -> bool:
    """Whether a dotted name (``os.path``, ``email.parser.Parser``) lies under a top-level
    module of the standard library."""
    return dotted.split(".", 1)[0] in stdlib_modules()
