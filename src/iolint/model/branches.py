"""Mutually exclusive branches: one root cause, one finding.

A save function that rewrites its file in an ``if`` branch and again in the ``else`` (one
branch per format, say) has one defect, not two: at most one of them runs per call.
"""

from __future__ import annotations

import ast

from iolint.model.module import ModuleModel

# ``match`` statements exist from Python 3.10 on; on 3.9 nothing is one.
_MATCH: tuple[type, ...] = (ast.Match,) if hasattr(ast, "Match") else ()


def _side(anc: ast.AST, node: ast.AST, model: ModuleModel) -> str | None:
    """Which branch of ``anc`` (an ``if`` or a ``match``) contains ``node``, if any."""
    chain = {id(a) for a in model.ancestors(node)} | {id(node)}
    if isinstance(anc, ast.If):
        if any(id(s) in chain for s in anc.body):
            return "body"
        if any(id(s) in chain for s in anc.orelse):
            return "orelse"
        return None
    if isinstance(anc, _MATCH):
        for i, case in enumerate(anc.cases):  # type: ignore[attr-defined]
            if id(case) in chain:
                return f"case{i}"
    return None


def mutually_exclusive(model: ModuleModel, a: ast.AST, b: ast.AST) -> bool:
    """``a`` and ``b`` are in different branches of one ``if``/``elif``/``else`` or ``match``
    of the same function: no single run reaches both."""
    for anc in model.ancestors(a):
        if isinstance(anc, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            return False
        if isinstance(anc, (ast.If, *_MATCH)):
            side_a = _side(anc, a, model)
            side_b = _side(anc, b, model)
            if side_a is not None and side_b is not None and side_a != side_b:
                return True
    return False


class OnePerTarget:
    """Remembers the findings already made in a module, so that a finding on the same target
    in a mutually exclusive branch of the same function is not made again."""

    def __init__(self, model: ModuleModel) -> None:
        self.model = model
        self.seen: dict[str, list[ast.AST]] = {}

    def first(self, target: ast.expr | None, node: ast.AST) -> bool:
        """True the first time; False when a finding on ``target`` was already made in a
        branch exclusive with ``node``'s."""
        if target is None:
            return True
        key = ast.unparse(target)
        earlier = self.seen.setdefault(key, [])
        if any(mutually_exclusive(self.model, prev, node) for prev in earlier):
            return False
        earlier.append(node)
        return True
