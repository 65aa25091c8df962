"""fsync of a buffered file that other code writes: the file is held, not written, here.

A class that wraps a file (``self._file = os.fdopen(fd, "wb")``, written by its callers or
through proxied methods) and a factory that returns a file together with a ``commit()``
closure both write in one place and sync in another: the ``close()``/``commit()`` that
fsyncs sees no write, yet the writes it is meant to persist went through the file object's
user-space buffer. ``os.fsync(self._file.fileno())`` before ``self._file.close()`` syncs
what the kernel has, not the buffered tail, which ``close()`` then hands to the kernel
unsynced (rule IO301; Dulwich's ``_GitFile.close`` had this shape).

Reported only when the file object is buffered and opened for writing, and nothing in the
class (or in the factory and its closures) ever calls ``flush()`` on it: code that flushes
after its writes has thought about the buffer.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from iolint.model.kinds import call_arg, literal_int
from iolint.model.module import ModuleModel

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_OPENERS = frozenset({"open", "builtins.open", "io.open", "os.fdopen"})


@dataclass(frozen=True)
class HeldFile:
    """A file object that the fsync at ``call`` syncs, written elsewhere."""

    call: ast.Call
    view: str  # how the function spells the file object (``self._file``, ``f``)


def _opened_buffered_for_writing(model: ModuleModel, value: ast.expr | None) -> bool:
    if not isinstance(value, ast.Call) or model.call_qualname(value) not in _OPENERS:
        return False
    mode = call_arg(value, 1, "mode")
    if mode is None:
        return False  # read-only by default
    # A mode the caller chooses counts as writing: the fsync says the file is written.
    text = _string(model, mode)
    if text is not None and not any(c in text for c in "wax+"):
        return False
    buffering = call_arg(value, 2, "buffering") or call_arg(value, 2, "bufsize")
    return buffering is None or not _zero(model, buffering)


def _string(model: ModuleModel, expr: ast.expr) -> str | None:
    """A literal mode, or a parameter whose default is one (``mode="wb"``)."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    default = _parameter_default(model, expr)
    if isinstance(default, ast.Constant) and isinstance(default.value, str):
        return default.value
    return None


def _zero(model: ModuleModel, expr: ast.expr) -> bool:
    """A buffering argument that asks for a raw file: a literal 0 or a parameter whose default
    is 0. Any other value (a parameter defaulting to -1, one without default) is buffered as
    far as the model knows: a raw file has to be asked for."""
    value = literal_int(expr)
    if value is None:
        default = _parameter_default(model, expr)
        value = literal_int(default) if default is not None else None
    return value == 0


def _parameter_default(model: ModuleModel, expr: ast.expr) -> ast.expr | None:
    if not isinstance(expr, ast.Name):
        return None
    for b in model.bindings_of(expr.id, expr) or ():
        if b.kind != "param" or not isinstance(b.node, ast.arg):
            continue
        fn = model.enclosing_function(b.node)
        if not isinstance(fn, _DEFS):
            return None
        args = fn.args
        positional = [*args.posonlyargs, *args.args]
        if b.node in positional:
            offset = len(positional) - len(args.defaults)
            index = positional.index(b.node)
            return args.defaults[index - offset] if index >= offset else None
        if b.node in args.kwonlyargs:
            return args.kw_defaults[args.kwonlyargs.index(b.node)]
    return None


def _synced_object(call: ast.Call) -> ast.expr | None:
    """``X`` of ``os.fsync(X.fileno())``, or the name passed as a descriptor."""
    arg = call_arg(call, 0, "fd")
    if (
        isinstance(arg, ast.Call)
        and isinstance(arg.func, ast.Attribute)
        and arg.func.attr == "fileno"
        and not arg.args
    ):
        return arg.func.value
    return arg if isinstance(arg, ast.Name) else None


def _flushes(scope: ast.AST, spelling: str) -> bool:
    return any(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr == "flush"
        and ast.unparse(n.func.value) == spelling
        for n in ast.walk(scope)
    )


def _self_attribute(expr: ast.expr) -> str | None:
    if (
        isinstance(expr, ast.Attribute)
        and isinstance(expr.value, ast.Name)
        and expr.value.id == "self"
    ):
        return expr.attr
    return None


def held_file(model: ModuleModel, call: ast.Call) -> HeldFile | None:
    """The buffered file object that the fsync ``call`` syncs, when the function that syncs
    it neither wrote nor flushed it: the file of the class (``self.X``) or of the enclosing
    factory (a closure's free variable) that code elsewhere writes."""
    target = _synced_object(call)
    fn = model.enclosing_function(call)
    if target is None or not isinstance(fn, _DEFS):
        return None
    attr = _self_attribute(target)
    if attr is not None:
        return _held_by_class(model, call, fn, attr)
    if isinstance(target, ast.Name):
        return _held_by_factory(model, call, fn, target)
    return None


def _held_by_class(model: ModuleModel, call: ast.Call, fn: ast.AST, attr: str) -> HeldFile | None:
    cls = next((a for a in model.ancestors(fn) if isinstance(a, ast.ClassDef)), None)
    if cls is None or model.enclosing_function(cls) is not None:
        return None
    bindings = model.class_attributes(cls).get(attr, [])
    if not bindings or not all(
        b.value is None or _opened_buffered_for_writing(model, b.value) for b in bindings
    ):
        return None  # some binding is another kind of object
    if not any(b.value is not None for b in bindings):
        return None
    spelling = f"self.{attr}"
    if _flushes(cls, spelling) or _written_in(fn, spelling):
        return None  # flushed somewhere, or written here (the function-local rule's case)
    return HeldFile(call, spelling)


def _held_by_factory(
    model: ModuleModel, call: ast.Call, fn: ast.AST, name: ast.Name
) -> HeldFile | None:
    """``fd, path = mkstemp(); f = os.fdopen(fd, "wb"); def commit(): os.fsync(fd); ...;
    return f, commit``: the caller writes ``f``, ``commit`` syncs it."""
    bindings = model.bindings_of(name.id, name) or []
    if not bindings or any(model.enclosing_function(b.node) is fn for b in bindings):
        return None  # bound in the syncing function itself: not a held file
    factory = model.enclosing_function(bindings[0].node)
    if not isinstance(factory, _DEFS) or factory is fn:
        return None
    file_name = _file_over(model, factory, name.id)
    if file_name is None:
        return None
    if not _returned(factory, file_name) or _flushes(factory, file_name):
        return None
    if _written_in(factory, file_name):
        return None  # the factory writes it too: not only the caller's file
    return HeldFile(call, file_name)


def _file_over(model: ModuleModel, factory: ast.AST, name: str) -> str | None:
    """The name of the buffered file object ``name`` is (a file) or wraps (``os.fdopen``
    of the descriptor ``name``), bound once in ``factory``."""
    found: list[str] = []
    for node in ast.walk(factory):
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        target = node.targets[0]
        if not isinstance(target, ast.Name) or model.enclosing_function(node) is not factory:
            continue
        if not _opened_buffered_for_writing(model, node.value):
            continue
        assert isinstance(node.value, ast.Call)
        over = call_arg(node.value, 0, "fd")
        if target.id == name or (isinstance(over, ast.Name) and over.id == name):
            found.append(target.id)
    return found[0] if len(set(found)) == 1 else None


def _returned(factory: ast.AST, name: str) -> bool:
    """The factory hands the file object to its caller (alone or in a tuple)."""
    for node in ast.walk(factory):
        if isinstance(node, ast.Return) and node.value is not None:
            values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            if any(isinstance(v, ast.Name) and v.id == name for v in values):
                return True
    return False


def _written_in(scope: ast.AST, spelling: str) -> bool:
    return any(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr in ("write", "writelines")
        and ast.unparse(n.func.value) == spelling
        for n in ast.walk(scope)
    )
