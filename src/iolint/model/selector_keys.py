"""What ``key.fileobj`` is, for a key that a ``selectors`` selector handed out.

``for key, events in sel.select(): data = key.fileobj.read(n)`` reads from one of the objects
the code passed to ``sel.register(obj, ...)``: the selector returns the very object it was
given. So the read has whatever state those objects have (a pipe made non-blocking with
``fcntl``, a file object over it). The registrations counted are those on the same selector
binding: a local name in the same function, or ``self.<attr>`` in the same class.
"""

from __future__ import annotations

import ast

from iolint.model.io_calls import method_name, receiver_of
from iolint.model.module import ModuleModel
from iolint.model.nonblocking import Key, key_of

# Methods of a selector that take the file object first and keep it as ``key.fileobj``.
_REGISTERING = frozenset({"register", "modify"})


def selector_fileobjs(model: ModuleModel, expr: ast.expr) -> tuple[ast.expr, ...]:
    """The expressions passed to ``register`` of the selector whose ``select()`` gave the key
    that ``expr`` (``key.fileobj``) reads; empty when ``expr`` is not such an attribute, or
    when the key's origin or the registrations cannot be followed."""
    if not (
        isinstance(expr, ast.Attribute)
        and expr.attr == "fileobj"
        and isinstance(expr.value, ast.Name)
    ):
        return ()
    selector = _key_selector(model, expr.value)
    if selector is None:
        return ()
    registered: list[ast.expr] = []
    for call in model.calls_named(*_REGISTERING):
        receiver = receiver_of(call)
        if receiver is None or not call.args or isinstance(call.args[0], ast.Starred):
            continue
        if key_of(model, receiver) == selector:
            registered.append(call.args[0])
    return tuple(registered)


def _key_selector(model: ModuleModel, key: ast.Name) -> Key | None:
    """The selector binding whose ``select()`` the name ``key`` iterates over, when every
    binding of ``key`` is the first item of a ``for`` target over such a call (directly, or
    through a local name bound once to it)."""
    bindings = model.bindings_of(key.id, key)
    if not bindings:
        return None
    found: set[Key] = set()
    for b in bindings:
        loop = b.node
        # ``for key, mask in ...``: the binding is the loop, with the target's item index.
        if not (
            isinstance(loop, ast.For)
            and b.index == 0
            and isinstance(loop.target, ast.Tuple)
            and len(loop.target.elts) == 2
            and isinstance(loop.target.elts[0], ast.Name)
            and loop.target.elts[0].id == key.id
        ):
            return None
        call = _select_call(model, loop.iter)
        receiver = receiver_of(call) if call is not None else None
        selector = key_of(model, receiver) if receiver is not None else None
        if selector is None:
            return None
        found.add(selector)
    return found.pop() if len(found) == 1 else None


def _select_call(model: ModuleModel, expr: ast.expr) -> ast.Call | None:
    """``sel.select(...)``, or a local name every binding of which is one."""
    if isinstance(expr, ast.Call):
        return expr if method_name(expr) == "select" and model.call_qualname(expr) is None else None
    if not isinstance(expr, ast.Name):
        return None
    bindings = model.bindings_of(expr.id, expr) or []
    calls = [
        _select_call(model, b.value)
        if b.kind == "assign" and b.index is None and b.value is not None
        else None
        for b in bindings
    ]
    if not calls or any(c is None for c in calls):
        return None
    receivers = {ast.dump(receiver_of(c)) for c in calls if c is not None}  # type: ignore[arg-type]
    return calls[0] if len(receivers) == 1 else None


__all__ = ["selector_fileobjs"]
