"""Does a save write a collection its caller handed over?

A reader that falls back to an empty value when the file is unreadable makes a file look like
a cache (:mod:`iolint.model.intent`): losing it costs a rebuild. That holds for data derived
from elsewhere, not for a collection the caller passes in to be kept
(``save_ignored(ignored: set[str])``, ``save_bookmarks(items: list[Bookmark])``): the user
entered it, and the fallback to empty silently loses it. The annotation says what the
parameter is; an unannotated parameter says nothing.
"""

from __future__ import annotations

import ast

_COLLECTIONS = frozenset(
    {
        "set",
        "frozenset",
        "list",
        "dict",
        "tuple",
        "Set",
        "FrozenSet",
        "List",
        "Dict",
        "Tuple",
        "Sequence",
        "MutableSequence",
        "Mapping",
        "MutableMapping",
        "AbstractSet",
        "MutableSet",
        "Collection",
        "Iterable",
    }
)


def _collection_annotation(annotation: ast.expr | None) -> bool:
    if annotation is None:
        return False
    base = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    if isinstance(base, ast.Attribute):
        return base.attr in _COLLECTIONS
    return isinstance(base, ast.Name) and base.id in _COLLECTIONS


def saves_caller_collection(fn: ast.AST | None) -> bool:
    """``fn`` takes a parameter annotated as a collection (``set[str]``, ``list[Item]``,
    ``Mapping[str, int]``) and reads it: the data it saves comes from its caller."""
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
