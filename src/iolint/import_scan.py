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

from iolint.stdlib_names import in_stdlib

# ``import a.b as c, d`` / ``from a.b import ...`` as a line's first statement, with the rest
# of the line kept to see a ``;`` that may hide a second statement.
_IMPORT = re.compile(r"[ \t]*(?:from[ \t]+(\S+)[ \t]+import\b|import[ \t]+)(.*)")
# An import after ``;`` or ``:`` (``try: import ujson as json``) is not at a line's start.
_INLINE_IMPORT = re.compile(r"[;:][ \t]*(?:from|import)[ \t]")
_NAME = re.compile(r"[ \t]*([A-Za-z_][\w.]*)(?:[ \t]+as[ \t]+\w+)?[ \t]*$")


def imports_project_module(text: str, module: str | None = None) -> bool:
    """The text may import a module that is not in the standard library. ``module`` is the
    dotted name of the module the text is: its relative imports stay in its own package, so
    they name standard-library modules when that package has a standard-library name (as
    when the standard library itself is linted), and project modules otherwise."""
    in_stdlib_package = module is not None and in_stdlib(module)
    at = text.find("import")
    while at != -1:  # only the lines that hold the word, each once
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        end = len(text) if end == -1 else end
        if _line_may_import_project(text[start:end], in_stdlib_package):
            return True
        at = text.find("import", end)
    return False


def _line_may_import_project(line: str, in_stdlib_package: bool) -> bool:
    match = _IMPORT.match(line)
    if match is None:
        return _INLINE_IMPORT.search(line) is not None  # not read here
    source, rest = match.group(1), match.group(2)
    if ";" in rest or rest.rstrip().endswith("\\"):
        return True  # another statement, or a continuation line: not read here
    if source is not None:
        if source.startswith("."):
            return not in_stdlib_package
        return not in_stdlib(source)
    for part in rest.split("#", 1)[0].split(","):
        found = _NAME.match(part)
        if found is None or not in_stdlib(found.group(1)):
            return True
    return False
