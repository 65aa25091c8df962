"""Does a save write a collection its caller handed over?

A reader that falls back to an empty value when the file is unreadable makes a file look like
a cache (:mod:`iolint.model.intent`): losing it costs a rebuild. That holds for data derived
from elsewhere, not for a collection the caller passes in to be kept
(``save_ignored(ignored: set[str])``, ``save_pinned(ids: list[int])``): the user entered it,
and the fallback to empty silently loses it. The annotation says what the parameter is; an
unannotated parameter, or a mapping of any state (``data: dict[str, Any]``), says nothing.
"""

from __future__ import annotations

import ast

# Collections of plain values (names, ids, paths): what a user picks one by one. Not mappings
# (``data: dict[str, Any]`` is any serialized state) and not bare ``list`` (says nothing).
_COLLECTIONS = frozenset(
    {
        "set",
        "frozenset",
        "list",
        "tuple",
        "Set",
        "FrozenSet",
        "List",
        "Tuple",
        "Sequence",
        "MutableSequence",
        "AbstractSet",
        "MutableSet",
        "Collection",
        "Iterable",
    }
)
_PLAIN_ITEMS = frozenset({"str", "int", "Path", "PurePath"})


def _name(expr: ast.expr) -> str | None:
    if isinstance(expr, ast.Attribute):
        return expr.attr
    if isinstance(expr, ast.Name):
        return expr.id
    return None


def _collection_annotation(annotation: ast.expr | None) -> bool:
    """``set[str]``, ``list[int]``, ``Sequence[Path]``, ``tuple[str, ...]``."""
    if not isinstance(annotation, ast.Subscript) or _name(annotation.value) not in _COLLECTIONS:
        return False
    item = annotation.slice
    items = item.elts if isinstance(item, ast.Tuple) else [item]
    named = [_name(i) for i in items if not (isinstance(i, ast.Constant) and i.value is ...)]
    return bool(named) and all(n in _PLAIN_ITEMS for n in named)


def saves_caller_collection(fn: ast.AST | None) -> bool:
    """``fn`` takes a parameter annotated as a collection of plain values (``set[str]``,
    ``list[int]``) and reads it: the data it saves comes from its caller."""
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    params = [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
    wanted = {a.arg for a in params if _collection_annotation(a.annotation)}
    if not wanted:
        return False
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in wanted:
            return True
    return False
