"""A temp file copied onto its target: ``write tmp; shutil.copy(tmp, dst)``.

Staging the data in a temp file first says the author meant to replace ``dst`` whole; but
``shutil.copy``/``copyfile``/``copy2`` open ``dst`` for writing, truncate it and copy into
it, so ``dst`` is rewritten in place and a crash mid-copy leaves it empty or torn, the
window the temp file was meant to close (rule IO306). Only ``os.replace()`` of a temp file
in the target's directory swaps it atomically.

This module says which such copies are not overwrites of a file worth keeping: a copy to a
backup name, to a path that is itself temporary or new on every call, or to a device.
The intent model (:mod:`iolint.model.intent`) judges the rest in the rule.
"""

from __future__ import annotations

import ast
import re

from iolint.model.durability import (
    Copy,
    FunctionFacts,
    fresh_path,
    in_temp_directory,
    is_device_path,
    looks_temporary,
    path_key,
)
from iolint.model.module import ModuleModel

# ``dst + ".bak"``, ``backup_path``, ``config.orig``: a copy kept beside the original.
_BACKUP_LOOKING = re.compile(r"(?i)(\bbak\b|\.bak|_bak\b|backup|\.orig\b|\.old\b)")


def copy_target_expendable(model: ModuleModel, copy: Copy) -> bool:
    """The copy's destination holds nothing to lose when torn: a backup beside the original,
    a temp or fresh name, a file in a fresh temp directory, a device."""
    target = copy.target
    text = path_key(model, target) or ast.unparse(target)
    if _BACKUP_LOOKING.search(text):
        return True
    return (
        looks_temporary(model, target)
        or fresh_path(model, target)
        or is_device_path(model, target)
        or in_temp_directory(model, target) is not None
    )


def fallback_of_rename(model: ModuleModel, fn: FunctionFacts, copy: Copy) -> bool:
    """The function also renames the same temp file onto a target: the copy is the fallback
    when the rename fails (``EXDEV`` across file systems), which IO304 judges."""
    key = path_key(model, copy.source)
    return key is not None and any(path_key(model, p.source) == key for p in fn.publishes)
