"""Descriptor aliases: a local name that holds another object's descriptor.

``fd = self.proc.stdout.fileno()`` followed by ``fcntl.fcntl(fd, F_SETFL, fl | O_NONBLOCK)``
changes the pipe that ``self.proc.stdout`` reads from: the flag lives on the open file, not on
the number. The alias is followed only when it cannot mean anything else: the name is local
to the function, bound exactly once (to ``<object>.fileno()``), and the object is not bound
again between that binding and the use. A name bound twice (``fd`` reassigned in a branch),
a parameter or a global stays what it was: a bare number the model cannot trace.
"""

from __future__ import annotations

import ast

from iolint.model.io_calls import method_name, receiver_of
from iolint.model.module import ModuleModel
from iolint.model.scopes import dotted_name, walk_local

_STD_STREAMS = frozenset({"sys.stdin", "sys.stdout", "sys.stderr"})


def _pos(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


def _fileno_call(value: ast.expr | None) -> bool:
    return (
        isinstance(value, ast.Call)
        and method_name(value) == "fileno"
        and not value.args
        and not value.keywords
        and receiver_of(value) is not None
    )


def aliased_descriptor(model: ModuleModel, expr: ast.expr, at: ast.AST) -> ast.Call | None:
    """The ``<object>.fileno()`` call whose value the local name ``expr`` holds at ``at``,
    or None when ``expr`` is not such an alias."""
    if not isinstance(expr, ast.Name):
        return None
    scope = model.scope_of(expr)
    if not scope.is_function or scope.lookup_scope(expr.id) is not scope:
        return None
    if expr.id in scope.declared_global:
        return None
    bindings = scope.bindings.get(expr.id, [])
    if len(bindings) != 1:
        return None
    binding = bindings[0]
    if binding.kind != "assign" or binding.index is not None or not _fileno_call(binding.value):
        return None
    statement = model.statement_of(binding.node)
    if statement is None or _pos(statement) >= _pos(at) or model.enclosing_loops(statement):
        return None
    call = binding.value
    assert isinstance(call, ast.Call)
    owner = receiver_of(call)
    spelled = dotted_name(owner)
    if spelled is None or _rebound_between(model, scope.node, spelled, statement, at):
        return None
    return call


def aliased_attribute_descriptor(model: ModuleModel, expr: ast.expr) -> ast.Call | None:
    """The ``sys.stdin.fileno()`` call that ``self.<attr>`` holds, when ``expr`` is
    ``self.<attr>`` and the class stores into that attribute exactly once, from the
    descriptor of a standard stream (``self.fd = sys.stdin.fileno()`` in ``__init__``).
    The standard streams are one object for the whole process, so the attribute names
    their open file wherever the class uses it; other owners may be rebound and are not
    followed."""
    if not (
        isinstance(expr, ast.Attribute)
        and isinstance(expr.value, ast.Name)
        and expr.value.id == "self"
    ):
        return None
    cls = next((a for a in model.ancestors(expr) if isinstance(a, ast.ClassDef)), None)
    if cls is None:
        return None
    stores: list[ast.AST] = []
    for node in ast.walk(cls):
        if (
            isinstance(node, ast.Attribute)
            and node.attr == expr.attr
            and isinstance(node.value, ast.Name)
            and node.value.id == "self"
            and isinstance(node.ctx, (ast.Store, ast.Del))
        ):
            stores.append(node)
    if len(stores) != 1:
        return None
    assign = model.parent(stores[0])
    if not (
        isinstance(assign, ast.Assign)
        and len(assign.targets) == 1
        and assign.targets[0] is stores[0]
        and _fileno_call(assign.value)
    ):
        return None
    call = assign.value
    assert isinstance(call, ast.Call)
    owner = receiver_of(call)
    if owner is None or model.qualname(owner) not in _STD_STREAMS:
        return None
    return call


def _rebound_between(
    model: ModuleModel, function: ast.AST, spelled: str, start: ast.stmt, end: ast.AST
) -> bool:
    """Some statement of ``function`` between ``start`` and ``end`` stores into the object
    ``spelled`` (``proc = ...``, ``self.proc = ...``) or into a prefix of it."""
    prefixes = {".".join(spelled.split(".")[: i + 1]) for i in range(spelled.count(".") + 1)}
    low, high = _pos(start), _pos(end)
    for node in walk_local(getattr(function, "body", [])):
        if not isinstance(node, (ast.Name, ast.Attribute)):
            continue
        if not isinstance(node.ctx, (ast.Store, ast.Del)):
            continue
        if low < _pos(node) < high and dotted_name(node) in prefixes:
            return True
    return False
