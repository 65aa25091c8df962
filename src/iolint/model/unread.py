"""Is a bound count read on the paths that leave its binding?

``sent = sock.send(data)`` followed by ``return 1`` drops the count even when another branch
of the function reads ``sent`` (bound there by another call): the name is read, this value is
not. The question is answered on the statements that can run after the binding, walked
forward through the enclosing blocks up to the function's exit, with the ``except`` and
``finally`` bodies of the ``try`` statements around it.

The answer is deliberately one-sided. A path that binds the name again before reading it
(``n = write(a); n = write(b); return n``) is not called a drop: the author keeps one name
for a series of counts, and which of them matters is theirs to say. A path back to the top
of a loop, a nested function that reads the name, or ``locals()`` make the value readable
later, so the binding counts as read as well.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, cast

from iolint.model.scopes import FUNCTION_NODES

if TYPE_CHECKING:
    from iolint.model.module import ModuleModel

_TRY_NODES: tuple[type, ...] = (ast.Try, *((ast.TryStar,) if hasattr(ast, "TryStar") else ()))
_LOOPS = (ast.For, ast.AsyncFor, ast.While)


def _as_try(node: ast.AST) -> ast.Try | None:
    """``node`` as a ``try`` statement (``try``/``except*`` have the same fields), or None."""
    return cast(ast.Try, node) if isinstance(node, _TRY_NODES) else None


class _Read(Exception):
    """The value may be read: stop walking."""


def unread_after(
    model: ModuleModel, name: str, binding: ast.stmt, ignored: Callable[[ast.Name], bool]
) -> bool:
    """True when no statement that can run after ``binding`` reads ``name`` (other than reads
    that ``ignored`` accepts, such as an argument of a logging call) before the function
    exits, and none binds it again first."""
    if model.enclosing_loops(binding):
        return False
    try:
        for stmt in _after(model, binding):
            _check(stmt, name, ignored)
        for body in _exception_paths(model, binding):
            for stmt in body:
                _check(stmt, name, ignored, rebinding_ends=False)
    except _Read:
        return False
    return True


def _check(
    stmt: ast.stmt, name: str, ignored: Callable[[ast.Name], bool], rebinding_ends: bool = True
) -> None:
    for node in _walk_same_scope(stmt):
        if not (isinstance(node, ast.Name) and node.id == name):
            continue
        if isinstance(node.ctx, ast.Load):
            if not ignored(node):
                raise _Read
        elif rebinding_ends:
            raise _Read  # bound again on the way: see the module docstring


def _walk_same_scope(node: ast.AST) -> Iterator[ast.AST]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        for child in ast.iter_child_nodes(current):
            if isinstance(child, (*FUNCTION_NODES, ast.ClassDef)):
                continue
            stack.append(child)


def _after(model: ModuleModel, binding: ast.stmt) -> Iterator[ast.stmt]:
    """The statements that may run after ``binding`` on a normal path, up to the first
    unconditional ``return``/``raise`` of a block that is sure to run, or the function's end.
    A loop on the way raises ``_Read`` (its next round may read the value)."""
    node: ast.AST = binding
    while True:
        parent = model.parent(node)
        if parent is None or isinstance(parent, (ast.ClassDef, ast.Module)):
            return
        if isinstance(parent, _LOOPS):
            raise _Read
        block, following = _rest_of_block(parent, node)
        for stmt in block:
            yield stmt
            if isinstance(stmt, (ast.Return, ast.Raise)):
                # The function leaves here; only ``finally`` bodies still run.
                yield from _finally_bodies(model, stmt)
                return
        if isinstance(parent, FUNCTION_NODES):
            return  # the end of the function
        yield from following
        node = parent


def _rest_of_block(parent: ast.AST, node: ast.AST) -> tuple[list[ast.stmt], list[ast.stmt]]:
    """The statements after ``node`` in its block, then those of ``parent`` that run next
    before control leaves ``parent`` (a ``try``'s ``else`` and ``finally``)."""
    for field in ("body", "orelse", "handlers", "finalbody"):
        block = getattr(parent, field, None)
        if not isinstance(block, list) or node not in block:
            continue
        rest = block[block.index(node) + 1 :]
        if isinstance(node, ast.ExceptHandler):
            rest = []  # the next handler does not run after this one
        as_try = _as_try(parent)
        if as_try is not None:
            if field == "body":
                return rest, [*as_try.orelse, *as_try.finalbody]
            if field in ("orelse", "handlers"):
                return rest, list(as_try.finalbody)
        return rest, []
    return [], []


def _finally_bodies(model: ModuleModel, stmt: ast.stmt) -> Iterator[ast.stmt]:
    child: ast.AST = stmt
    for anc in model.ancestors(stmt):
        if isinstance(anc, (*FUNCTION_NODES, ast.ClassDef)):
            return
        as_try = _as_try(anc)
        if as_try is not None and not any(child is s for s in as_try.finalbody):
            yield from as_try.finalbody
        child = anc


def _exception_paths(model: ModuleModel, binding: ast.stmt) -> Iterator[list[ast.stmt]]:
    """The handlers and ``finally`` bodies that run when something after ``binding`` raises,
    and what runs after a ``try`` whose handler lets the function go on."""
    child: ast.AST = binding
    for anc in model.ancestors(binding):
        if isinstance(anc, (*FUNCTION_NODES, ast.ClassDef)):
            return
        as_try = _as_try(anc)
        if as_try is not None:
            if any(child is s for s in as_try.body) and as_try.handlers:
                for handler in as_try.handlers:
                    yield handler.body
                yield list(_after(model, as_try))
            if not any(child is s for s in as_try.finalbody):
                yield as_try.finalbody
        child = anc
