"""Whether a path expression is ``str`` or ``bytes``: generated calls must match it.

Version-control tools pass ``bytes`` paths; ``tempfile.mkstemp(dir=bytes_dir, suffix=".tmp")``
raises ``TypeError``. A fix either knows the type, converts explicitly, or is not offered.
"""

from __future__ import annotations

import ast
from typing import Literal

from iolint.model import ModuleModel

PathType = Literal["str", "bytes"]

_STR_CALLS = frozenset({"builtins.str", "builtins.format", "os.fsdecode", "os.getcwd"})
_BYTES_CALLS = frozenset({"builtins.bytes", "os.fsencode", "os.getcwdb"})
# Calls whose result is a path object: os.path functions accept it and return str.
_PATH_CALLS = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath"})
# Functions that return the type of their (first) path argument.
_SAME_TYPE = frozenset(
    {
        "os.path.join",
        "os.path.abspath",
        "os.path.realpath",
        "os.path.expanduser",
        "os.path.normpath",
    }
)


def path_type(model: ModuleModel, expr: ast.expr | None, depth: int = 0) -> PathType | None:
    """``str`` for a str or path object (``os.path`` turns it into ``str``), ``bytes``
    for bytes, None when the code does not say."""
    if expr is None or depth > 4:
        return None
    if isinstance(expr, ast.Constant):
        if isinstance(expr.value, str):
            return "str"
        if isinstance(expr.value, bytes):
            return "bytes"
        return None
    if isinstance(expr, ast.JoinedStr):
        return "str"
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Mod, ast.Div)):
        return path_type(model, expr.left, depth + 1) or path_type(model, expr.right, depth + 1)
    if isinstance(expr, ast.Call):
        q = model.call_qualname(expr) or ""
        if q in _STR_CALLS or q in _PATH_CALLS:
            return "str"
        if q in _BYTES_CALLS:
            return "bytes"
        if q in _SAME_TYPE and expr.args:
            return path_type(model, expr.args[0], depth + 1)
        if isinstance(expr.func, ast.Attribute) and expr.func.attr in ("with_suffix", "with_name"):
            return "str"
        return None
    if isinstance(expr, ast.Name):
        bindings = model.bindings_of(expr.id, expr) or []
        kinds = {
            path_type(model, b.value, depth + 1) if b.value is not None else None for b in bindings
        }
        if len(kinds) == 1:
            return kinds.pop()
        return None
    return None


def _affixes(model: ModuleModel, call: ast.Call) -> list[ast.expr]:
    """The ``suffix``/``prefix`` arguments of a tempfile call, positional or keyword."""
    positions = (4, 5) if model.call_qualname(call) == "tempfile.NamedTemporaryFile" else (0, 1)
    out = [call.args[i] for i in positions if i < len(call.args)]
    out += [k.value for k in call.keywords if k.arg in ("suffix", "prefix")]
    return out


def temp_dir_argument(model: ModuleModel, call: ast.Call, target: ast.expr) -> str | None:
    """The ``dir=`` value for a tempfile call that must create its file beside ``target``:
    of the type the call's own ``suffix``/``prefix`` give it (``str`` without them), with an
    explicit conversion when the target's type is not known to match; None when the
    affixes' type is unknown."""
    affix_types = {path_type(model, a) for a in _affixes(model, call)}
    if len(affix_types) > 1:
        return None
    want = affix_types.pop() if affix_types else "str"
    if want is None:
        return None
    directory = f"os.path.dirname({model.text_of(target)})"
    if path_type(model, target) == want:
        return directory
    return f"os.fs{'decode' if want == 'str' else 'encode'}({directory})"
