"""The rule registry: every Rule subclass with a code in the ``iolint.rules`` package."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from iolint.rules.base import Rule


@lru_cache(maxsize=1)
def all_rules() -> tuple[type[Rule], ...]:
    """Every registered rule class, sorted by code. Imported once and memoized (immutable)."""
    import iolint.rules as pkg

    found: dict[str, type[Rule]] = {}
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name == "base":
            continue
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        for obj in vars(module).values():
            if (
                isinstance(obj, type)
                and issubclass(obj, Rule)
                and obj is not Rule
                and "code" in vars(obj)
            ):
                if obj.code in found and found[obj.code] is not obj:
                    raise RuntimeError(f"rule code {obj.code} registered twice")
                found[obj.code] = obj
    return tuple(found[c] for c in sorted(found))


def rule_by_code(code: str) -> type[Rule] | None:
    for r in all_rules():
        if r.code == code.upper() or r.name == code:
            return r
    return None


def known_code_prefix(prefix: str) -> bool:
    """Whether ``prefix`` selects at least one rule (``ALL``, ``IO``, ``IO1``, ``IO101``)."""
    p = prefix.upper()
    return p == "ALL" or any(r.code.startswith(p) for r in all_rules())


def is_enabled(
    code: str, default_enabled: bool, select: tuple[str, ...], ignore: tuple[str, ...]
) -> bool:
    """ruff's selection semantics: the most specific matching prefix wins, ignore wins a tie.

    An opt-in rule (``default_enabled = False``) is enabled only by its full code.
    """
    best_select = -1
    for p in select:
        p = p.upper()
        if p == "ALL" and default_enabled:
            best_select = max(best_select, 0)
        elif code.startswith(p) and (default_enabled or p == code):
            best_select = max(best_select, len(p))
    best_ignore = -1
    for p in ignore:
        p = p.upper()
        if p == "ALL":
            best_ignore = max(best_ignore, 0)
        elif code.startswith(p):
            best_ignore = max(best_ignore, len(p))
    return best_select >= 0 and best_select > best_ignore
