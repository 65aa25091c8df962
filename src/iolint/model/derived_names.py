"""Names a read loop binds afresh on every pass from what it read.

``line = f.readline(); m = HEADER.match(line); if m: break``: ``m`` is bound once per pass,
after the read, by one plain assignment, and nothing else in the loop changes it. Once the
stream is at EOF every pass reads the same empty value, so ``m`` has the same value on every
pass too, the value of its expression evaluated on the empty read. Names bound anywhere else
in the loop, mutated through a method, or visible outside the function are left out.
"""

from __future__ import annotations

import ast

from iolint.model.module import ModuleModel

# Methods that read an object without changing it: calling them does not rebind the name's
# value (string methods, and what a regular expression match offers).
_READING_METHODS = frozenset(
    {
        "strip",
        "rstrip",
        "lstrip",
        "decode",
        "encode",
        "lower",
        "upper",
        "startswith",
        "endswith",
        "find",
        "count",
        "split",
        "group",
        "groups",
        "groupdict",
        "start",
        "end",
        "span",
    }
)


def derived_names(
    model: ModuleModel,
    loop: ast.While,
    read: ast.Call,
    result_name: str | None,
    nodes: list[ast.AST],
) -> dict[str, ast.expr]:
    """name -> the expression bound to it once per pass, after the read's statement."""
    body = loop.body
    read_index = next((i for i, s in enumerate(body) if _contains(s, read)), None)
    if read_index is None:
        return {}
    stores: dict[str, list[ast.Name]] = {}
    mutated: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            stores.setdefault(node.id, []).append(node)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.attr not in _READING_METHODS
        ):
            mutated.add(node.func.value.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            mutated.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            mutated.update(node.names)
    out: dict[str, ast.expr] = {}
    for stmt in body[read_index + 1 :]:
        if not (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
        ):
            continue
        target = stmt.targets[0]
        name = target.id
        if name == result_name or name in mutated or stores.get(name) != [target]:
            continue
        if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(stmt.value)):
            continue  # ``m = m or f(line)``: carries the last pass's value along
        if not _function_local(model, target):
            continue
        out[name] = stmt.value
    return out


def _contains(stmt: ast.AST, node: ast.AST) -> bool:
    return any(n is node for n in ast.walk(stmt))


def _function_local(model: ModuleModel, name: ast.Name) -> bool:
    scope = model.scope_of(name)
    if not scope.is_function or scope.lookup_scope(name.id) is not scope:
        return False
    if name.id in scope.declared_global:
        return False
    return not any(name.id in s.declared_global for s in scope.iter_descendants())


__all__ = ["derived_names"]
