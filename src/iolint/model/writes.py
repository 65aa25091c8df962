"""Which files and descriptors a function writes to, and how they were opened.

"The same object" is the same expression (``f``, ``self.out``, ``fd``) in the same function,
compared structurally; rebinding a name to an object of another kind makes the model's kind
for it unknown, and rules stay silent then.
"""

from __future__ import annotations

import ast

from iolint.model.kinds import Category, ObjKind, call_arg, literal_str
from iolint.model.module import ModuleModel
from iolint.model.scopes import walk_local

FILE_WRITE_METHODS = frozenset({"write", "writelines"})
FD_WRITES = frozenset({"os.write", "os.writev", "os.pwrite", "os.pwritev", "os.ftruncate"})
# Functions that only serialize into a stream passed to them and never close it.
STREAM_SINKS: dict[str, tuple[int, str]] = {
    # qualname: (position, keyword) of the stream argument
    "json.dump": (1, "fp"),
    "pickle.dump": (1, "file"),
    "marshal.dump": (1, "file"),
    "plistlib.dump": (1, "fp"),
    "shutil.copyfileobj": (1, "fdst"),
    "yaml.dump": (1, "stream"),
    "yaml.safe_dump": (1, "stream"),
    "toml.dump": (1, "f"),
    "tomli_w.dump": (1, "fp"),
    "csv.writer": (0, "csvfile"),
    "csv.DictWriter": (0, "f"),
}


_INSPECTING_MODULES = frozenset({"builtins", "os", "logging", "warnings", "stat"})


def writable_mode(mode: str | None) -> bool:
    return mode is not None and any(c in mode for c in "wax+")


def pure_writer_mode(mode: str | None) -> bool:
    """Opened for writing only: whatever the file is handed to can only write to it."""
    return writable_mode(mode) and "r" not in (mode or "") and "+" not in (mode or "")


def object_key(expr: ast.AST) -> str:
    """Structural identity of an expression, independent of its position."""
    return ast.dump(expr)


def scope_body(model: ModuleModel, node: ast.AST) -> list[ast.stmt]:
    """The statements of the function around ``node`` (the module's at top level)."""
    func = model.enclosing_function(node)
    if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return list(func.body)
    if isinstance(func, ast.Lambda):
        return []
    return list(model.tree.body)


def _call_args(call: ast.Call) -> list[ast.expr]:
    return [*call.args, *(k.value for k in call.keywords)]


def writes_to_file(model: ModuleModel, call: ast.Call, key: str, kind: ObjKind) -> bool:
    """``call`` writes to the file object whose expression has structure ``key``."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in FILE_WRITE_METHODS:
        return object_key(func.value) == key
    if model.call_qualname(call) == "builtins.print":
        target = next((k.value for k in call.keywords if k.arg == "file"), None)
        return target is not None and object_key(target) == key
    if pure_writer_mode(kind.mode):
        # A write-only file handed to a function (json.dump(obj, f), writer(f)) is written,
        # unless the function only looks at it (repr(f), isinstance(f, ...), os.fstat(f)).
        q = model.call_qualname(call)
        if q is not None and q.split(".", 1)[0] in _INSPECTING_MODULES:
            return False
        return any(object_key(a) == key for a in _call_args(call))
    return False


def file_writes_in_function(model: ModuleModel, expr: ast.expr, kind: ObjKind) -> list[ast.Call]:
    """The calls writing to the file object ``expr`` in the function where it appears."""
    key = object_key(expr)
    return [
        n
        for n in walk_local(scope_body(model, expr))
        if isinstance(n, ast.Call) and writes_to_file(model, n, key, kind)
    ]


def file_written_in_function(model: ModuleModel, expr: ast.expr, kind: ObjKind) -> bool:
    return bool(file_writes_in_function(model, expr, kind))


def fd_writes_in_function(model: ModuleModel, fd: ast.expr) -> list[ast.Call]:
    """``os.write(fd, ...)`` and the other fd writes in ``fd``'s function."""
    key = object_key(fd)
    out: list[ast.Call] = []
    for n in walk_local(scope_body(model, fd)):
        if isinstance(n, ast.Call) and model.call_qualname(n) in FD_WRITES:
            target = call_arg(n, 0, "fd")
            if target is not None and object_key(target) == key:
                out.append(n)
    return out


def fd_written_in_function(model: ModuleModel, fd: ast.expr) -> bool:
    return bool(fd_writes_in_function(model, fd))


def known_file(model: ModuleModel, expr: ast.expr) -> ObjKind | None:
    kind = model.kind_of(expr)
    if kind is not None and kind.category is Category.FILE:
        return kind
    return None


def open_mode_literal(call: ast.Call, mode_pos: int) -> str | None:
    """The literal mode of an ``open``-like call ("r" when omitted), else None."""
    node = call_arg(call, mode_pos, "mode")
    if node is None:
        return (
            "r"
            if not any(isinstance(a, ast.Starred) for a in call.args)
            and not any(k.arg is None for k in call.keywords)
            else None
        )
    return literal_str(node)
