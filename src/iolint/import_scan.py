"""Whether a module's text imports anything the project index could know, without parsing it.

The project index holds facts of the project's own modules and never of the standard
library (see :class:`iolint.model.index.ProjectFacts`), and the model reaches another
module's facts only through the names this module imports. A module whose imports are all
standard-library modules therefore reads nothing from the index, and the trigger scan may
treat it as a module linted with its own facts only (``Rule.own_facts_triggers``).

The scan errs on the side of "it may": any import line it cannot read, a relative import, a
continuation line or an import of a name outside the standard library answers True. Text in
strings that looks like an import only makes it answer True more often.
"""

from __future__ import annotations

import re

from iolint.stdlib_names import stdlib_modules

_STDLIB = stdlib_modules()

# ``import a.b as c, d`` and ``from a.b import ...`` at the start of a (possibly indented)
# line, or after a ``;``.
_IMPORT = re.compile(r"(?:^|;)[ \t]*(?:from[ \t]+(\S+)[ \t]+import\b|import[ \t]+([^#;\n]*))", re.M)
_NAME = re.compile(r"[ \t]*([A-Za-z_][\w.]*)(?:[ \t]+as[ \t]+\w+)?[ \t]*$")


def imports_project_module(text: str) -> bool:
    """The text may import a module that is not in the standard library."""
    if "import" not in text:
        return False
    for match in _IMPORT.finditer(text):
        source, names = match.group(1), match.group(2)
        if source is not None:
            if source.startswith(".") or source.split(".", 1)[0] not in _STDLIB:
                return True
            continue
        if names.rstrip().endswith("\\"):
            return True  # continued on the next line: not read here
        for part in names.split(","):
            found = _NAME.match(part)
            if found is None or found.group(1).split(".", 1)[0] not in _STDLIB:
                return True
    return False
