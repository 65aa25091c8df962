"""Replacing functions and methods while tracing, and putting the originals back."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from iolint.trace.sites import SiteFinder


@dataclass
class Patcher:
    """Records every attribute it replaces so that :meth:`restore` undoes exactly that.

    ``os.write`` is a module attribute: code that ran ``from os import write`` before tracing
    started holds the original. :meth:`patch_project_globals` also rebinds such names in the
    project's own modules (never in libraries), so those calls are traced too.
    """

    _saved: list[tuple[Any, str, Any, bool]] = field(default_factory=list)
    # original function -> its wrapper, for rebinding `from os import write` in project modules
    _wrappers: dict[int, tuple[Any, Any]] = field(default_factory=dict)
    _scanned: set[str] = field(default_factory=set)

    def patch(self, owner: Any, name: str, make: Callable[[Any], Any]) -> None:
        had = name in vars(owner)
        original = getattr(owner, name)
        wrapper = make(original)
        self._saved.append((owner, name, vars(owner).get(name), had))
        setattr(owner, name, wrapper)
        self._wrappers[id(original)] = (original, wrapper)

    def patch_project_globals(self, finder: SiteFinder) -> None:
        """Rebind names bound to a patched original in project modules imported so far."""
        for mod_name, module in list(sys.modules.items()):
            if mod_name in self._scanned:
                continue
            self._scanned.add(mod_name)
            filename = getattr(module, "__file__", None)
            if not isinstance(filename, str) or not finder.is_project(filename):
                continue
            namespace = getattr(module, "__dict__", None)
            if not isinstance(namespace, dict):
                continue
            for attr, value in list(namespace.items()):
                pair = self._wrappers.get(id(value))
                if pair is not None and pair[0] is value:
                    self._saved.append((module, attr, value, True))
                    namespace[attr] = pair[1]

    def restore(self) -> None:
        for owner, name, value, had in reversed(self._saved):
            if had:
                setattr(owner, name, value)
            else:
                with contextlib.suppress(AttributeError):
                    delattr(owner, name)
        self._saved.clear()
        self._wrappers.clear()
        self._scanned.clear()
