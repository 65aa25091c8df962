"""A rename whose source the function just filled with ``shutil.copy``: the atomic copy.

``shutil.copy(src, staging); os.rename(staging, dst)`` is the usual way to copy a file into
place whole: the staging name gets the bytes, the rename swaps them in. The rename publishes
data the program produced, onto a destination that the idiom expects to exist (otherwise
copying straight to it would do), exactly like a save: IO305's Windows ``FileExistsError``
applies to it as it does to a written temp file.
"""

from __future__ import annotations

import ast

from iolint.model.durability import COPY_FUNCS, path_key
from iolint.model.kinds import call_arg
from iolint.model.module import ModuleModel
from iolint.model.scopes import walk_local

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


def copied_into(model: ModuleModel, publish: ast.Call, source: ast.expr) -> bool:
    """``source`` is the destination of a ``shutil.copy``/``copyfile``/``copy2`` made
    earlier in the function of ``publish``."""
    fn = next((a for a in model.ancestors(publish) if isinstance(a, _DEFS)), None)
    wanted = path_key(model, source)
    if fn is None or wanted is None:
        return False
    here = (publish.lineno, publish.col_offset)
    for node in walk_local(fn.body):
        if not isinstance(node, ast.Call) or (node.lineno, node.col_offset) >= here:
            continue
        if model.call_qualname(node) not in COPY_FUNCS:
            continue
        dst = call_arg(node, 1, "dst")
        if dst is not None and path_key(model, dst) == wanted:
            return True
    return False
