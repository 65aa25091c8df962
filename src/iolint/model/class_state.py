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


def _class_readers(
    model: ModuleModel, cls: ast.ClassDef, skip: ast.AST, keys: set[str]
) -> list[ast.AST]:
    """The methods of ``cls`` other than ``skip`` that read one of the path spellings
    ``keys`` themselves."""
    out: list[ast.AST] = []
    for call in model.calls_named(*_READ_CALLS):
        method = model.enclosing_function(call)
        if method is None or method is skip or method in out or model.parent(method) is not cls:
            continue
        target = _read_target(model, call)
        if target is not None and path_key(model, target) in keys:
            out.append(method)
    return out


def _self_members(node: ast.AST, ctx: type[ast.expr_context] = ast.Load) -> set[str]:
    """Names of ``self.x`` read anywhere in ``node`` (attributes, methods, properties), or
    with ``ctx=ast.Store`` the attributes it stores on the instance (``self.data = ...``)."""
    return {
        n.attr
        for n in ast.walk(node)
        if isinstance(n, ast.Attribute)
        and isinstance(n.value, ast.Name)
        and n.value.id == "self"
        and isinstance(n.ctx, ctx)
    }


def _payload_members(model: ModuleModel, file: WrittenFile) -> set[str]:
    """``self.x`` names the data written to ``file`` comes from: the arguments of its
    writes, followed through local assignments (two steps)."""
    exprs: list[ast.expr] = []
    for event in file.events:
        if event.kind in ("write", "use") and isinstance(event.node, ast.Call):
            exprs.extend(event.node.args)
    out: set[str] = set()
    seen: set[str] = set()
    for _ in range(3):
        names: list[ast.Name] = []
        for expr in exprs:
            out |= _self_members(expr)
            names.extend(n for n in ast.walk(expr) if isinstance(n, ast.Name))
        exprs = []
        for name in names:
            if name.id in seen or name.id == "self":
                continue
            seen.add(name.id)
            for b in model.bindings_of(name.id, name) or ():
                # ``x = value``, also an unpacking ``a, (b, c) = value``: the whole value.
                if isinstance(b.node, (ast.Assign, ast.AnnAssign)) and b.node.value is not None:
                    exprs.append(b.node.value)
    return out


def rewrites_class_state(model: ModuleModel, fn: FunctionFacts, file: WrittenFile) -> bool:
    """``file`` is a path attribute of the instance that another method of ``fn``'s class
    reads (opens for reading, ``read_text()``, ``X.load()``), and what ``fn`` writes there
    comes from that read: ``fn`` calls the reading method (or a method that calls it), or
    writes back an attribute one of those methods stored. The class keeps its state in the
    file and ``fn`` saves it. A file written with fresh content (a generated file the class
    can also parse, a marker created before a session) is not a read-modify-write. Only
    written files count: truncating without writing empties it on purpose."""
    if not file.written or file.temp is not None:
        return False
    keys = _instance_keys(file)  # the cheap test first: most writes are not to self.<attr>
    if not keys:
        return False
    cls = model.parent(fn.node)
    if not isinstance(cls, ast.ClassDef) or cls.name.startswith("Test"):
        return False
    readers = _class_readers(model, cls, fn.node, keys)
    if not readers:
        return False
    # One level of callers: ``load_config()`` calling ``_read_file()``.
    names = {getattr(m, "name", "") for m in readers}
    for item in cls.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item is not fn.node:
            if item not in readers and _self_members(item) & names:
                readers.append(item)
    names = {getattr(m, "name", "") for m in readers}
    if _self_members(fn.node) & names:
        return True  # ``data = self._load(); ...; write(data)``
    stored: set[str] = set()
    for m in readers:
        stored |= _self_members(m, ast.Store)
    return bool(_payload_members(model, file) & stored)
