"""Does a rename fall back when the temp file is on another file system?

``os.replace(tmp, target)`` with ``tmp`` in ``$TMPDIR`` raises ``OSError(EXDEV)`` when the
two paths are on different file systems, on every save (IO304). Code that catches that error
and copies instead (``except OSError as e: if e.errno == errno.EXDEV: shutil.copyfile(...)``)
no longer crashes: what is left is ``shutil.move()``'s outcome, a non-atomic copy, which only
hurts a file worth keeping.
"""

from __future__ import annotations

import ast

from iolint.model.module import ModuleModel

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
# Handlers that can catch EXDEV (an ``OSError``).
_OS_ERRORS = frozenset({"builtins.OSError", "builtins.EnvironmentError", "builtins.IOError"})


def _caught(model: ModuleModel, handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(
        model.qualname(t) in _OS_ERRORS or model.qualname(t) == "builtins.Exception" for t in types
    )


def _names_exdev(model: ModuleModel, handler: ast.ExceptHandler) -> bool:
    """The handler compares against ``errno.EXDEV`` (or the number 18, its Linux value)."""
    for node in ast.walk(handler):
        if isinstance(node, ast.Attribute) and model.qualname(node) == "errno.EXDEV":
            return True
        if isinstance(node, ast.Name) and model.qualname(node) == "errno.EXDEV":
            return True
    return False


def exdev_falls_back(model: ModuleModel, publish: ast.Call) -> bool:
    """``publish`` runs in a ``try`` whose handler catches ``OSError`` and tests for
    ``errno.EXDEV``: the cross-device case is handled, not a crash."""
    child: ast.AST = publish
    for anc in model.ancestors(publish):
        if isinstance(anc, _DEFS):
            return False
        if isinstance(anc, ast.Try) and any(child is s for s in anc.body):
            for handler in anc.handlers:
                if _caught(model, handler) and _names_exdev(model, handler):
                    return True
        child = anc
    return False
