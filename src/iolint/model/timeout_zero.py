"""Evidence that a socket of unknown state may be non-blocking.

A socket handed in as a parameter has no state the model can prove. But code that asks
``sock.gettimeout() == 0`` or ``not sock.getblocking()``, or that calls ``sock.settimeout(0)``
or ``sock.setblocking(False)`` on some path, says the socket it works with may be non-blocking:
the same binding (the parameter of that function, closures in it included, or ``self.x`` of
that class) is then worth checking for EAGAIN handling. This is weaker than
:meth:`NonblockingFacts.is_nonblocking` (which proves the state at one call) and is meant for
handlers that were themselves written for EAGAIN.
"""

from __future__ import annotations

import ast

from iolint.model.io_calls import method_name, receiver_of
from iolint.model.module import ModuleModel
from iolint.model.nonblocking import Key, key_of

_STATE_METHODS = ("gettimeout", "getblocking", "settimeout", "setblocking")


def binding_key(model: ModuleModel, expr: ast.expr) -> Key | None:
    """:func:`key_of`, extended to a name a nested function reads from the function around it
    (``def _send(): sock.send(data)`` inside ``def send(sock, data)``)."""
    key = key_of(model, expr)
    if key is not None or not isinstance(expr, ast.Name):
        return key
    scope = model.scope_of(expr).lookup_scope(expr.id)
    if scope is None or not scope.is_function:
        return None
    return Key("local", scope.node, expr.id)


def _is_zero(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, (int, float))
        and not isinstance(node.value, bool)
        and node.value == 0
    )


def _is_false(node: ast.expr) -> bool:
    """``False`` or ``0`` (``setblocking(0)``)."""
    return isinstance(node, ast.Constant) and (node.value is False or _is_zero(node))


def _says_nonblocking(model: ModuleModel, call: ast.Call) -> bool:
    """``x.gettimeout() == 0``, ``not x.getblocking()`` / ``x.getblocking() is False``,
    ``x.settimeout(0)``, ``x.setblocking(False)``."""
    name = method_name(call)
    if name in ("settimeout", "setblocking"):
        if len(call.args) != 1 or call.keywords:
            return False
        arg = call.args[0]
        return _is_zero(arg) if name == "settimeout" else _is_false(arg)
    if call.args or call.keywords:
        return False
    parent = model.parent(call)
    if name == "getblocking" and isinstance(parent, ast.UnaryOp):
        return isinstance(parent.op, ast.Not)
    if not (isinstance(parent, ast.Compare) and len(parent.ops) == 1):
        return False
    if not isinstance(parent.ops[0], (ast.Eq, ast.Is)):
        return False
    other = parent.comparators[0] if parent.left is call else parent.left
    return _is_zero(other) if name == "gettimeout" else _is_false(other)


def may_be_nonblocking(model: ModuleModel, expr: ast.expr) -> bool:
    """The binding of ``expr`` is tested for, or set to, the non-blocking state somewhere in
    its function (or, for ``self.x``, its class)."""
    key = binding_key(model, expr)
    if key is None:
        return False
    for call in model.calls_named(*_STATE_METHODS):
        receiver = receiver_of(call)
        if receiver is None or not _says_nonblocking(model, call):
            continue
        if binding_key(model, receiver) == key:
            return True
    return False


__all__ = ["binding_key", "may_be_nonblocking"]
