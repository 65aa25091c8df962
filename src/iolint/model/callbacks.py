"""What an event-loop callback is called with, from where the module registers it.

``loop.add_reader(sock, self._on_readable, sock)`` hands ``sock`` to ``_on_readable`` as its
first parameter. When every reference to the function in its module is such a registration,
and each passes a datagram (or raw) socket in the parameter's place, the parameter is one:
its ``recv`` returns whole datagrams, and an empty result is an empty datagram, not EOF.

Only used to silence stream-socket rules; an unknown reference (a direct call, a reference
from another object, a registration with ``*args``) leaves the parameter unknown.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from iolint.model.kinds import Category

if TYPE_CHECKING:
    from iolint.model.module import ModuleModel

# Registration method -> (position of the callback, position of its first argument).
_REGISTRARS: dict[str, tuple[int, int]] = {
    "add_reader": (1, 2),
    "add_writer": (1, 2),
    "call_soon": (0, 1),
    "call_soon_threadsafe": (0, 1),
    "call_later": (1, 2),
    "call_at": (1, 2),
}


def _references(
    model: ModuleModel, func: ast.FunctionDef | ast.AsyncFunctionDef, method: bool
) -> list[ast.expr] | None:
    """Every expression naming ``func`` in the module: ``self.name`` for a method (None when
    another object's attribute of that name appears: it may be this method), the bare name
    for a module-level function."""
    found: list[ast.expr] = []
    owner = model.parent(func)
    if method:
        for attr in model.nodes(ast.Attribute):
            if attr.attr != func.name:
                continue
            if not (isinstance(attr.value, ast.Name) and attr.value.id == "self"):
                return None
            if any(a is owner for a in model.ancestors(attr)):
                found.append(attr)  # ``self.name`` in another class is that class's method
        return found
    return [name for name in model.nodes(ast.Name) if name.id == func.name]


def _passed_argument(model: ModuleModel, ref: ast.expr, position: int) -> ast.expr | None:
    call = model.parent(ref)
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
        return None
    spec = _REGISTRARS.get(call.func.attr)
    if spec is None:
        return None
    callback_at, first_arg = spec
    args = call.args
    if len(args) <= callback_at or args[callback_at] is not ref:
        return None
    if any(isinstance(a, ast.Starred) for a in args) or call.keywords:
        return None
    index = first_arg + position
    return args[index] if index < len(args) else None


def datagram_callback_parameter(model: ModuleModel, name: ast.Name) -> bool:
    """``name`` is a parameter of a callback that every registration in the module passes a
    datagram or raw socket for."""
    bindings = model.bindings_of(name.id, name)
    if not bindings or len(bindings) != 1 or bindings[0].kind != "param":
        return False
    param = bindings[0].node
    arguments = model.parent(param)
    func = model.parent(arguments) if arguments is not None else None
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) or not isinstance(
        arguments, ast.arguments
    ):
        return False
    positional = [a.arg for a in [*arguments.posonlyargs, *arguments.args]]
    method = isinstance(model.parent(func), ast.ClassDef)
    if method:
        positional = positional[1:]
    if name.id not in positional:
        return False
    position = positional.index(name.id)
    refs = _references(model, func, method)
    if not refs:
        return False
    for ref in refs:
        arg = _passed_argument(model, ref, position)
        kind = model.kind_of(arg) if arg is not None else None
        if kind is None or kind.category is not Category.SOCKET or not kind.datagram:
            return False
    return True
