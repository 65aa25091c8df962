"""Does every caller of a save call it only when the target is absent?

``def dump(self, path): ...; tmp.rename(path)`` looks like a rename onto a file that may exist
(IO305 on Windows). When every call of that function in the module sits where a test has just
found the path absent (``if not os.path.exists(name): obj.dump(name)``, a write-once cache
filled under a lock), the rename creates the target: the same evidence as
:func:`iolint.model.platform.checked_absent`, one call level up.
"""

from __future__ import annotations

import ast

from iolint.model.kinds import call_arg
from iolint.model.module import ModuleModel
from iolint.model.platform import checked_absent

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _parameter_index(fn: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> int | None:
    params = [*fn.args.posonlyargs, *fn.args.args]
    for i, a in enumerate(params):
        if a.arg == name:
            return i
    return None


def _calls(func: ast.expr, name: str, method: bool) -> bool:
    if method:
        return isinstance(func, ast.Attribute) and func.attr == name
    return isinstance(func, ast.Name) and func.id == name


def callers_checked_absent(model: ModuleModel, publish: ast.Call, target: ast.expr) -> bool:
    """``target`` is a parameter of the function around ``publish``, never rebound there, and
    the function has callers in this module, every one of them under a test that found the
    argument it passes for ``target`` absent."""
    if not isinstance(target, ast.Name):
        return False
    fn = model.enclosing_function(publish)
    if not isinstance(fn, _DEFS):
        return False
    bindings = model.bindings_of(target.id, publish)
    if not bindings or any(b.kind != "param" for b in bindings):
        return False
    index = _parameter_index(fn, target.id)
    if index is None:
        return False
    method = isinstance(model.parent(fn), ast.ClassDef)
    if method:
        index -= 1  # called as ``obj.name(...)``: ``self`` is not passed
        if index < 0:
            return False
    # ``pickle.dump(self, f)`` inside a ``dump`` method is the stdlib's, not a caller.
    calls = [
        c
        for c in model.nodes(ast.Call)
        if _calls(c.func, fn.name, method) and model.call_qualname(c) is None
    ]
    if not calls:
        return False
    for call in calls:
        arg = call_arg(call, index, target.id)
        if arg is None or not checked_absent(model, call, arg):
            return False
    return True
