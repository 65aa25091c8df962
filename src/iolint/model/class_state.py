"""A class's own state file: a path attribute (``self.path``) that one method of the class
loads and another rewrites.

A read-modify-write save is usually split across methods: ``_load()`` reads
``self.config_path`` and ``update_defaults()`` merges into what it returned and writes the
same ``self.config_path`` back. The method that writes does not read the file itself and
need not be named like a save; that the class reads back what it writes is what makes the
file its state (see rule IO306).
"""

from __future__ import annotations

import ast

from iolint.model.durability import (
    LOADER_NAMES,
    FunctionFacts,
    WrittenFile,
    path_key,
)
from iolint.model.kinds import call_arg, literal_str
from iolint.model.module import ModuleModel

_SELF_PREFIX = "self."
# The calls that read a path: ``open(p)``, ``p.open()``, ``p.read_text()``, ``X.load(p)``.
_READ_CALLS = ("open", "read_text", "read_bytes", *sorted(LOADER_NAMES))


def _instance_keys(file: WrittenFile) -> set[str]:
    return {k for k in file.path_keys if k.startswith(_SELF_PREFIX)}


def _read_target(model: ModuleModel, call: ast.Call) -> ast.expr | None:
    """The path ``call`` reads, or None (a write, or not a read of a path)."""
    func = call.func
    q = model.call_qualname(call)
    if q in ("builtins.open", "io.open"):
        mode = literal_str(call_arg(call, 1, "mode")) if call_arg(call, 1, "mode") else "r"
        return call.args[0] if call.args and mode and not _writes(mode) else None
    if q is not None:
        # ``X.load(path)``; ``X.load(open(path))`` is the ``open()`` above.
        return call.args[0] if call.args and q.rpartition(".")[2] in LOADER_NAMES else None
    if not isinstance(func, ast.Attribute):
        return None
    if func.attr in ("read_text", "read_bytes"):
        return func.value
    if func.attr == "open" and len(call.args) <= 1:
        mode = literal_str(call_arg(call, 0, "mode")) if call_arg(call, 0, "mode") else "r"
        return func.value if mode and not _writes(mode) else None
    return None


def _writes(mode: str) -> bool:
    return any(ch in mode for ch in "wax+")


def _class_reads(model: ModuleModel, cls: ast.ClassDef, skip: ast.AST) -> set[str]:
    """Path spellings read by the methods of ``cls`` other than ``skip``."""
    out: set[str] = set()
    for call in model.calls_named(*_READ_CALLS):
        method = model.enclosing_function(call)
        if method is None or method is skip or model.parent(method) is not cls:
            continue
        target = _read_target(model, call)
        key = path_key(model, target) if target is not None else None
        if key is not None:
            out.add(key)
    return out


def rewrites_class_state(model: ModuleModel, fn: FunctionFacts, file: WrittenFile) -> bool:
    """``file`` is a path attribute of the instance that another method of ``fn``'s class
    reads (opens for reading, ``read_text()``, ``X.load()``): the class keeps its state
    there. Only written files count: truncating without writing empties it on purpose."""
    if not file.written or file.temp is not None:
        return False
    keys = _instance_keys(file)  # the cheap test first: most writes are not to self.<attr>
    if not keys:
        return False
    cls = model.parent(fn.node)
    if not isinstance(cls, ast.ClassDef) or cls.name.startswith("Test"):
        return False
    return bool(keys & _class_reads(model, cls, fn.node))
