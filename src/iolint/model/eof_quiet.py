"""Does anything in a ``try`` body raise when a socket read returns EOF?

At a clean end of stream ``sock.recv(n)`` returns ``b''`` and raises nothing. A broad handler
around it (a bare ``except:``, ``except Exception``) therefore runs at EOF only if some other
statement of the ``try`` body raises on the empty chunk (``chunk[0]``, ``struct.unpack``, a
``raise`` the author wrote for EOF). When the body does nothing but bookkeeping that cannot
fail on ``b''`` (comparisons, ``n += len(chunk)``, ``parts.append(chunk)``), the handler is
not a way out at EOF: it only catches the connection errors a closed peer never sends.
"""

from __future__ import annotations

import ast

# Handlers that catch everything a ``try`` body may raise.
BROAD_EXCEPTIONS = frozenset({"Exception", "BaseException"})

# Builtins that cannot fail on the ints and bytes a read loop keeps.
_QUIET_BUILTINS = frozenset({"len", "min", "max"})
# Methods of a local list/bytearray that accept any chunk, the empty one included.
_QUIET_METHODS = frozenset({"append", "extend"})

_QUIET_STATEMENTS = (
    ast.Assign,
    ast.AugAssign,
    ast.AnnAssign,
    ast.Expr,
    ast.If,
    ast.Break,
    ast.Continue,
    ast.Pass,
)
_QUIET_EXPRESSIONS = (
    ast.Name,
    ast.Constant,
    ast.Compare,
    ast.BoolOp,
    ast.Tuple,
    ast.expr_context,
    ast.boolop,
    ast.cmpop,
)


def _quiet_call(call: ast.Call) -> bool:
    if call.keywords:
        return False
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in _QUIET_BUILTINS
    return (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.attr in _QUIET_METHODS
        and len(call.args) == 1
    )


def quiet_at_eof(try_node: ast.Try, read: ast.Call) -> bool:
    """True when nothing in ``try_node``'s body but ``read`` can raise, so that a broad
    handler of it does not run when ``read`` returns ``b''``. The read's own arguments are
    evaluated on every pass alike and are not judged."""
    skip: set[int] = {id(n) for n in ast.walk(read)}
    for stmt in try_node.body:
        for node in ast.walk(stmt):
            if id(node) in skip:
                continue
            if isinstance(node, ast.stmt):
                if not isinstance(node, _QUIET_STATEMENTS):
                    return False  # a raise, an assert, a nested try or loop: may leave
                continue
            if isinstance(node, ast.Call):
                if not _quiet_call(node):
                    return False
                skip.add(id(node.func))
                if isinstance(node.func, ast.Attribute):
                    skip.add(id(node.func.value))
                continue
            if isinstance(node, ast.UnaryOp):
                if not isinstance(node.op, ast.Not):
                    return False
                continue
            if isinstance(node, ast.BinOp):
                if not isinstance(node.op, (ast.Add, ast.Sub)):
                    return False
                continue
            if isinstance(node, (ast.operator, ast.unaryop)):
                continue
            if not isinstance(node, _QUIET_EXPRESSIONS):
                return False  # a subscript (IndexError), an attribute, a comprehension
    return True
