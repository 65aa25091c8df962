"""Does a rename fall back when the temp file is on another file system?

``os.replace(tmp, target)`` with ``tmp`` in ``$TMPDIR`` raises ``OSError(EXDEV)`` when the
two paths are on different file systems, on every save (IO304). Code that catches that error
and copies instead (``except OSError as e: if e.errno == errno.EXDEV: shutil.copyfile(...)``)
no longer crashes: what is left is ``shutil.move()``'s outcome, a non-atomic copy, which only
hurts a file worth keeping.
"""

from __future__ import annotations

import ast

from iolint.model.handlers import covering_handlers
from iolint.model.module import ModuleModel


def _names_exdev(model: ModuleModel, handler: ast.ExceptHandler) -> bool:
    """The handler names ``errno.EXDEV`` (``e.errno == errno.EXDEV``, ``from errno import
    EXDEV``)."""
    return any(
        isinstance(node, (ast.Attribute, ast.Name)) and model.qualname(node) == "errno.EXDEV"
        for node in ast.walk(handler)
    )


def exdev_falls_back(model: ModuleModel, publish: ast.Call) -> bool:
    """``publish`` runs in a ``try`` whose handler catches ``OSError`` and tests for
    ``errno.EXDEV``: the cross-device case is handled, not a crash."""
    return any(
        info.catches("OSError") and _names_exdev(model, info.handler)
        for info in covering_handlers(model, publish)
    )
