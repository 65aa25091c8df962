"""Constructor arguments a class keeps as attributes, and where the class is built.

``class BufferedSocket: def __init__(self, sock): self.socket = sock`` keeps its first
argument as ``self.socket``; whatever the class then does to ``self.socket`` (makes it
non-blocking, for one) it does to the object passed at ``BufferedSocket(conn)``. This module
finds those pairs; the facts that follow an effect across them live with the effect.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from iolint.model.kinds import call_arg
from iolint.model.module import ModuleModel


@dataclass(frozen=True)
class StoredParam:
    """``self.<attr> = <name>`` in ``__init__``, ``name`` being its parameter ``position``
    (counted after ``self``)."""

    attr: str
    name: str
    position: int


def stored_params(cls: ast.ClassDef) -> list[StoredParam]:
    """The constructor parameters that ``__init__`` stores unchanged as attributes."""
    init = next(
        (s for s in cls.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None
    )
    if init is None or not init.args.args:
        return []
    params = [a.arg for a in init.args.args[1:]]
    self_name = init.args.args[0].arg
    out: list[StoredParam] = []
    for stmt in init.body:
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Attribute)
            and isinstance(stmt.targets[0].value, ast.Name)
            and stmt.targets[0].value.id == self_name
            and isinstance(stmt.value, ast.Name)
            and stmt.value.id in params
        ):
            name = stmt.value.id
            out.append(StoredParam(stmt.targets[0].attr, name, params.index(name)))
    return out


def constructions(model: ModuleModel, cls: ast.ClassDef) -> list[ast.Call]:
    """Calls ``Cls(...)`` of a module-level class in its own module."""
    return [
        c
        for c in model.calls
        if isinstance(c.func, ast.Name)
        and c.func.id == cls.name
        and model.scope_of(c).lookup_scope(cls.name) is model.module_scope
    ]


def argument_for(call: ast.Call, param: StoredParam) -> ast.expr | None:
    return call_arg(call, param.position, param.name)
