"""The socket type a ``getaddrinfo`` result carries into ``socket.socket``.

``getaddrinfo(host, port, family, type)`` returns ``(family, type, proto, canonname, sockaddr)``
entries whose ``type`` is the one asked for. Code that builds its socket from an entry,
``socket.socket(*infos[0][:3])`` or ``for af, kind, proto, _, sa in getaddrinfo(...):
socket.socket(af, kind, proto)``, makes a socket of that type. When ``type`` is not given the
entries mix stream and datagram sockets, and the model cannot tell which one is made.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from iolint.model.kinds import call_arg
from iolint.model.scopes import Binding

if TYPE_CHECKING:
    from iolint.model.module import ModuleModel

_GETADDRINFO = "socket.getaddrinfo"
# Entries: (family, type, proto, canonname, sockaddr); ``type`` is the second item.
_TYPE_INDEX = 1


def addrinfo_type(model: ModuleModel, call: ast.Call) -> ast.expr | None:
    """The ``type`` argument of the ``getaddrinfo`` call whose entry ``socket.socket`` is built
    from (``*entry[:3]`` or the entry's unpacked type item), or None when the type does not
    come from ``getaddrinfo`` or was not given."""
    args = call.args
    if len(args) == 1 and isinstance(args[0], ast.Starred) and not call.keywords:
        source = _source(model, args[0].value, 0)
    elif len(args) >= 2 and not any(isinstance(a, ast.Starred) for a in args[:2]):
        source = _type_item_source(model, args[1])
    else:
        return None
    if source is None:
        return None
    return call_arg(source, 3, "type")


def _single_binding(model: ModuleModel, name: ast.Name) -> Binding | None:
    bindings = model.bindings_of(name.id, name)
    if not bindings or len(bindings) != 1:
        return None
    return bindings[0]


def _source(model: ModuleModel, expr: ast.expr, depth: int) -> ast.Call | None:
    """The ``getaddrinfo`` call that ``expr`` (its result, one entry, or a slice of either)
    comes from."""
    if depth > 4:
        return None
    while isinstance(expr, ast.Subscript):
        expr = expr.value
    if isinstance(expr, ast.Call):
        return expr if model.call_qualname(expr) == _GETADDRINFO else None
    if not isinstance(expr, ast.Name):
        return None
    b = _single_binding(model, expr)
    if b is None:
        return None
    if b.kind == "assign" and b.index is None and b.value is not None:
        return _source(model, b.value, depth + 1)
    if isinstance(b.node, (ast.For, ast.AsyncFor)) and isinstance(b.node.target, ast.Name):
        return _source(model, b.node.iter, depth + 1)
    return None


def _type_item_source(model: ModuleModel, expr: ast.expr) -> ast.Call | None:
    """For ``socket.socket(af, kind, proto)``: the ``getaddrinfo`` call whose entries ``kind``
    was unpacked from, as the type item (``af, kind, proto, _, sa = entry`` or a ``for``
    target of that shape)."""
    if not isinstance(expr, ast.Name):
        return None
    b = _single_binding(model, expr)
    if b is None:
        return None
    if isinstance(b.node, (ast.For, ast.AsyncFor)):
        if _type_position(b.node.target, expr.id):
            return _source(model, b.node.iter, 1)
        return None
    if b.kind == "assign" and b.index == _TYPE_INDEX and b.value is not None:
        return _source(model, b.value, 1)
    return None


def _type_position(target: ast.expr, name: str) -> bool:
    if not isinstance(target, ast.Tuple) or len(target.elts) != 5:
        return False
    item = target.elts[_TYPE_INDEX]
    return isinstance(item, ast.Name) and item.id == name
