"""Which bits a flags expression sets: ``os.O_WRONLY | os.O_CREAT`` sets ``O_CREAT``, while
``flags ^ os.O_CREAT`` and ``flags & ~os.O_CREAT`` clear it."""

from __future__ import annotations

import ast

from iolint.model.module import ModuleModel


def sets_flag(model: ModuleModel, expr: ast.expr, flag: str) -> bool:
    """``expr`` mentions ``flag`` (a qualname such as ``os.O_CREAT``) somewhere that sets it:
    not only as what an XOR toggles off or an ``& ~`` mask removes."""
    if isinstance(expr, ast.BinOp):
        if isinstance(expr.op, ast.BitXor) and model.mentions(expr.right, flag):
            # ``flags ^ O_CREAT`` is written to drop a bit that ``flags`` had.
            return False
        if isinstance(expr.op, ast.BitAnd):
            right, left = expr.right, expr.left
            if isinstance(right, ast.UnaryOp) and isinstance(right.op, ast.Invert):
                return sets_flag(model, left, flag) and not model.mentions(right, flag)
            if isinstance(left, ast.UnaryOp) and isinstance(left.op, ast.Invert):
                return sets_flag(model, right, flag) and not model.mentions(left, flag)
        return sets_flag(model, expr.left, flag) or sets_flag(model, expr.right, flag)
    return model.mentions(expr, flag)
