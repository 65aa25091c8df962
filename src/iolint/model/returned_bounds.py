"""Functions that return a payload bounded by construction (``struct.pack`` with a constant
format, a bytes literal, a concatenation of such parts): the bound a caller's
``sock.sendall(build_alert())`` inherits, in this module or, through the project index, in
another one (a protocol's record builders often live in a ``low_level`` module of their own)."""

from __future__ import annotations

import ast

from iolint.model.scopes import FUNCTION_NODES

# Deeper than this the bound would not be small anyway, and a cap keeps the index small.
MAX_RECORDED_BOUND = 4096


def _own_nodes(fn: ast.AST) -> list[ast.AST]:
    """The nodes of ``fn``'s own body, not of functions or classes nested in it."""
    out: list[ast.AST] = []
    pending = list(ast.iter_child_nodes(fn))
    while pending:
        node = pending.pop()
        if isinstance(node, (*FUNCTION_NODES, ast.ClassDef)):
            continue
        out.append(node)
        pending.extend(ast.iter_child_nodes(node))
    return out


def returned_bound(model: object, fn: ast.AST, depth: int = 0) -> int | None:
    """The largest payload ``fn`` can return when every ``return`` gives a bounded one, else
    None (a generator, a bare ``return``, a falling-off end, or an unbounded value)."""
    from iolint.model.consequence import payload_bound
    from iolint.model.module import ModuleModel

    if not isinstance(model, ModuleModel) or not isinstance(fn, ast.FunctionDef):
        return None  # an ``async def`` gives a coroutine, not the payload
    nodes = _own_nodes(fn)
    if any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in nodes):
        return None
    returns = [n for n in nodes if isinstance(n, ast.Return)]
    if not returns or not isinstance(fn.body[-1], (ast.Return, ast.Raise)):
        return None
    best = 0
    for ret in returns:
        if ret.value is None:
            return None
        bound = payload_bound(model, ret.value, depth + 1)
        if bound is None:
            return None
        best = max(best, bound)
    return best if best <= MAX_RECORDED_BOUND else None
