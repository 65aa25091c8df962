"""A write-all loop whose offset is replaced by the last call's count.

``written = f.write(data[written:])`` inside a loop: ``write`` returns how many bytes *this*
call wrote, not how many have been written so far. After a short write the offset falls back
to that count, so the next round writes from the wrong place: bytes already written are
written again (the output is corrupted) or, when the counts repeat, the loop never ends. The
correct loops add the count to the offset (``written += ...``) or cut the data by it
(``data = data[n:]``); both leave the count unassigned to the slice's own bound.
"""

from __future__ import annotations

import ast

from iolint.model.module import ModuleModel

_LOOPS = (ast.While, ast.For, ast.AsyncFor)


def replaced_offset(model: ModuleModel, call: ast.Call, payload: ast.expr | None) -> str | None:
    """The offset's name when ``call``'s count is assigned to the very name that bounds the
    slice it writes (``n = os.write(fd, buf[n:])``) inside a loop; None otherwise."""
    # Cheapest test first: the payload must be a slice from a name.
    if not isinstance(payload, ast.Subscript) or not isinstance(payload.slice, ast.Slice):
        return None
    lower = payload.slice.lower
    if not isinstance(lower, ast.Name):
        return None
    stmt = model.parent(call)
    if isinstance(stmt, ast.Assign):
        if len(stmt.targets) != 1:
            return None
        target = stmt.targets[0]
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is call:
        target = stmt.target
    else:
        return None  # ``written += ...`` (AugAssign) is the correct loop
    if not isinstance(target, ast.Name) or target.id != lower.id:
        return None
    for anc in model.ancestors(stmt):
        if isinstance(anc, _LOOPS):
            return lower.id
        if isinstance(anc, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            return None
    return None
