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


def _calls_by_unit(model: ModuleModel, units: list[ast.AST]) -> dict[int, list[ast.Call]]:
    """The calls inside each of ``units`` (disjoint subtrees), keyed by ``id`` of the unit:
    the model's list of every call, each placed by its ancestors, instead of walking every
    function's tree again."""
    wanted = {id(u) for u in units}
    found: dict[int, list[ast.Call]] = {key: [] for key in wanted}
    parents = model.parents
    for call in model.calls:
        node: ast.AST | None = call
        while node is not None:
            if id(node) in wanted:
                found[id(node)].append(call)
                break
            node = parents.get(node)
    return found


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
    # Each function's calls are classified once: a direct fsync makes it a helper at once;
    # the calls that could reach a helper are kept for the fixed point, which then only
    # re-checks those (re-walking every function per round dominated the IO3xx cost).
    fn_set: set[str] = set()
    meth_set: set[tuple[ast.ClassDef, str]] = set()
    pending_fns: dict[str, list[ast.Call]] = {}
    pending_meths: dict[tuple[ast.ClassDef, str], list[ast.Call]] = {}
    # Top-level functions and the methods of top-level classes never contain one another.
    calls_of = _calls_by_unit(model, [*top.values(), *methods.values()])
    for name, func in top.items():
        calls = calls_of[id(func)]
        if any(is_direct_fsync(model, c) for c in calls):
            fn_set.add(name)
        else:
            pending_fns[name] = [c for c in calls if _may_be_helper_call(c)]
    for key, func in methods.items():
        calls = calls_of[id(func)]
        if any(is_direct_fsync(model, c) for c in calls):
            meth_set.add(key)
        else:
            pending_meths[key] = [c for c in calls if _may_be_helper_call(c)]
    changed = True
    while changed:
        changed = False
        helpers = FsyncHelpers(frozenset(fn_set), frozenset(meth_set))
        for name, calls in pending_fns.items():
            if name not in fn_set and any(_via_helper(model, c, helpers) for c in calls):
                fn_set.add(name)
                changed = True
        for key, calls in pending_meths.items():
            if key not in meth_set and any(_via_helper(model, c, helpers) for c in calls):
                meth_set.add(key)
                changed = True
    return FsyncHelpers(frozenset(fn_set), frozenset(meth_set))


def _may_be_helper_call(call: ast.Call) -> bool:
    func = call.func
    return isinstance(func, ast.Name) or (
        isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
    )


def _via_helper(model: ModuleModel, call: ast.Call, helpers: FsyncHelpers) -> bool:
    """A call to a same-module function or method known to fsync."""
    func = call.func
    if isinstance(func, ast.Name) and func.id in helpers.functions:
        bindings = model.bindings_of(func.id, func)
        return bool(bindings) and all(b.kind == "def" for b in bindings or ())
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and helpers.methods:
        cls, self_name = model._enclosing_method_class(call)
        if cls is not None and func.value.id in (self_name, cls.name):
            return (cls, func.attr) in helpers.methods
    return False


def _fsyncs(model: ModuleModel, call: ast.Call, helpers: FsyncHelpers) -> bool:
    return is_direct_fsync(model, call) or _via_helper(model, call, helpers)


def is_fsync_call(model: ModuleModel, call: ast.Call) -> bool:
    """Any fsync form, including same-module helpers."""
    return _fsyncs(model, call, model.fact(fsync_helpers))
