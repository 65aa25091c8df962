"""What counts as an fsync: the catalog's forms, and same-module helpers that perform one.

``os.fsync``, ``os.fdatasync``, ``fcntl.fcntl(fd, F_FULLFSYNC)``, ``os.sync()``, and calls to a
function or method of the same module whose body performs one of these (directly or through
another such helper), such as ``sync_dir(path)`` or ``self._fsync(f)``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from iolint.model.kinds import call_arg
from iolint.model.module import ModuleModel

DIRECT_FSYNCS = frozenset({"os.fsync", "os.fdatasync", "os.sync"})
_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)


def is_direct_fsync(model: ModuleModel, call: ast.Call) -> bool:
    q = model.call_qualname(call)
    if q in DIRECT_FSYNCS:
        return True
    if q == "fcntl.fcntl":
        cmd = call_arg(call, 1)
        return cmd is not None and model.mentions(cmd, "fcntl.F_FULLFSYNC")
    return False


@dataclass(frozen=True)
class FsyncHelpers:
    """Module-level functions (by name) and methods (by class and name) that fsync."""

    functions: frozenset[str]
    methods: frozenset[tuple[ast.ClassDef, str]]


def _calls_in(func: ast.AST) -> list[ast.Call]:
    return [n for n in ast.walk(func) if isinstance(n, ast.Call)]


def fsync_helpers(model: ModuleModel) -> FsyncHelpers:
    """Computed to a fixed point, so helpers calling helpers count too."""
    top: dict[str, ast.AST] = {}
    methods: dict[tuple[ast.ClassDef, str], ast.AST] = {}
    for stmt in model.tree.body:
        if isinstance(stmt, _FUNCS):
            top[stmt.name] = stmt
        elif isinstance(stmt, ast.ClassDef):
            for item in stmt.body:
                if isinstance(item, _FUNCS):
                    methods[(stmt, item.name)] = item
    fn_set: set[str] = set()
    meth_set: set[tuple[ast.ClassDef, str]] = set()
    changed = True
    while changed:
        changed = False
        helpers = FsyncHelpers(frozenset(fn_set), frozenset(meth_set))
        for name, func in top.items():
            if name not in fn_set and any(_fsyncs(model, c, helpers) for c in _calls_in(func)):
                fn_set.add(name)
                changed = True
        for key, func in methods.items():
            if key not in meth_set and any(_fsyncs(model, c, helpers) for c in _calls_in(func)):
                meth_set.add(key)
                changed = True
    return FsyncHelpers(frozenset(fn_set), frozenset(meth_set))


def _fsyncs(model: ModuleModel, call: ast.Call, helpers: FsyncHelpers) -> bool:
    if is_direct_fsync(model, call):
        return True
    func = call.func
    if isinstance(func, ast.Name) and func.id in helpers.functions:
        bindings = model.bindings_of(func.id, func)
        return bool(bindings) and all(b.kind == "def" for b in bindings or ())
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and helpers.methods:
        cls, self_name = model._enclosing_method_class(call)
        if cls is not None and func.value.id in (self_name, cls.name):
            return (cls, func.attr) in helpers.methods
    return False


def is_fsync_call(model: ModuleModel, call: ast.Call) -> bool:
    """Any fsync form, including same-module helpers."""
    return _fsyncs(model, call, model.fact(fsync_helpers))
