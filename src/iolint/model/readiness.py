"""Readiness results that stay true at EOF.

POSIX ``select()`` reports a descriptor readable when a read would not block, and a read at
end of file returns 0 at once: once the peer has closed, ``select([sock], [], [], 0)`` puts
``sock`` in the readable list on every call. A loop whose way out is "nothing ready any more"
(``while ready:`` after ``ready, _, _ = select.select([sock], [], [], 0)``, a drain of stale
input) never sees that once the socket it reads is at EOF: the read returns ``b''``, the next
``select`` says readable again, and the loop spins.
"""

from __future__ import annotations

import ast

from iolint.model.io_calls import ReadCall
from iolint.model.module import ModuleModel
from iolint.model.scopes import walk_local


def _same(a: ast.AST, b: ast.AST) -> bool:
    return ast.dump(a) == ast.dump(b)


def _readable_list_of(model: ModuleModel, value: ast.expr, receiver: ast.expr) -> bool:
    """``select.select([.., receiver, ..], ...)`` (or ``receiver.fileno()`` in the list)."""
    if not (isinstance(value, ast.Call) and model.call_qualname(value) == "select.select"):
        return False
    if not value.args or not isinstance(value.args[0], (ast.List, ast.Tuple)):
        return False
    for item in value.args[0].elts:
        if _same(item, receiver):
            return True
        if (
            isinstance(item, ast.Call)
            and isinstance(item.func, ast.Attribute)
            and item.func.attr == "fileno"
            and not item.args
            and _same(item.func.value, receiver)
        ):
            return True
    return False


def readable_list(model: ModuleModel, expr: ast.AST, stream: ast.expr | None) -> bool:
    """``select.select([.., stream, ..], ...)[0]``: the readable list, inline."""
    return (
        stream is not None
        and isinstance(expr, ast.Subscript)
        and isinstance(expr.slice, ast.Constant)
        and expr.slice.value == 0
        and _readable_list_of(model, expr.value, stream)
    )


def _readable_name(model: ModuleModel, stmt: ast.Assign, receiver: ast.expr) -> str | None:
    """The name ``stmt`` binds to the readable list of a ``select`` over ``receiver``:
    ``r, _, _ = select.select(...)`` or ``r = select.select(...)[0]``."""
    if len(stmt.targets) != 1:
        return None
    target, value = stmt.targets[0], stmt.value
    if (
        isinstance(target, (ast.Tuple, ast.List))
        and target.elts
        and isinstance(target.elts[0], ast.Name)
        and _readable_list_of(model, value, receiver)
    ):
        return target.elts[0].id
    if isinstance(target, ast.Name) and readable_list(model, value, receiver):
        return target.id
    return None


def read_stream(read: ReadCall) -> ast.expr | None:
    """What the read reads from: ``fd`` of ``os.read(fd, n)``, else the receiver."""
    if read.label.startswith("os.") and read.call.args:
        return read.call.args[0]
    return read.receiver


def ready_at_eof(model: ModuleModel, loop: ast.While, receiver: ast.expr | None) -> set[str]:
    """Names that the loop binds, every time, to a ``select`` readable list that includes
    the read's own ``receiver``: at EOF each of them is a non-empty list."""
    if receiver is None:
        return set()
    ready: set[str] = set()
    other: set[str] = set()
    nodes = list(walk_local([loop.test, *loop.body]))
    readiness_targets: set[int] = set()
    for node in nodes:
        if isinstance(node, ast.Assign):
            name = _readable_name(model, node, receiver)
            if name is not None:
                ready.add(name)
                target = node.targets[0]
                first = target.elts[0] if isinstance(target, (ast.Tuple, ast.List)) else target
                readiness_targets.add(id(first))
    for node in nodes:
        if (
            isinstance(node, ast.Name)
            and isinstance(node.ctx, (ast.Store, ast.Del))
            and id(node) not in readiness_targets
        ):
            other.add(node.id)
        elif isinstance(node, (ast.Nonlocal, ast.Global)):
            other.update(node.names)
    return ready - other


def drains_until_idle(model: ModuleModel, read: ReadCall) -> bool:
    """A read whose bytes are thrown away in a loop that ends when ``select`` finds its
    stream idle (``while ready: ready, _, _ = select.select([sock], [], [], 0);
    sock.recv(4096)``): a drain of stale input whose end, unlike a drain driven by
    something else, is decided by the stream's readiness, which at EOF never goes away."""
    loops = model.enclosing_loops(read.call)
    if not loops or not isinstance(loops[0], ast.While):
        return False
    loop = loops[0]
    stream = read_stream(read)
    names = ready_at_eof(model, loop, stream)
    tests = [loop.test] + [
        n.test for n in walk_local(loop.body) if isinstance(n, (ast.If, ast.While))
    ]
    return any(
        (isinstance(n, ast.Name) and n.id in names) or readable_list(model, n, stream)
        for t in tests
        for n in ast.walk(t)
    )
