"""What a regular expression with a constant pattern gives on a known string.

A read loop that leaves only when a line matches a header pattern (``if re.match(HEADER,
line): break``) never leaves at EOF when the pattern cannot match the empty line. With the
pattern a literal (or a module constant bound once to one, or ``re.compile`` of one), the
answer is computed by matching it on ``''`` itself: no guess about what the pattern means.
"""

from __future__ import annotations

import ast
import re

from iolint.model.module import ModuleModel

_MATCH_FUNCTIONS = frozenset({"re.match", "re.search", "re.fullmatch"})
_MATCH_METHODS = frozenset({"match", "search", "fullmatch"})
_FLAGS = frozenset(
    {
        "re.VERBOSE",
        "re.X",
        "re.IGNORECASE",
        "re.I",
        "re.MULTILINE",
        "re.M",
        "re.DOTALL",
        "re.S",
        "re.ASCII",
        "re.A",
        "re.UNICODE",
        "re.U",
    }
)


def _constant(model: ModuleModel, expr: ast.expr, depth: int = 0) -> object | None:
    """A str/bytes literal, implicit or ``+`` concatenation of literals, or a module-level
    name bound exactly once (at module level, nowhere declared ``global``) to one."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, (str, bytes)):
        return expr.value
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add) and depth < 5:
        left, right = (
            _constant(model, expr.left, depth + 1),
            _constant(model, expr.right, depth + 1),
        )
        if isinstance(left, str) and isinstance(right, str):
            return left + right
        if isinstance(left, bytes) and isinstance(right, bytes):
            return left + right
        return None
    if isinstance(expr, ast.Name) and depth < 5:
        value = _module_constant_value(model, expr)
        return _constant(model, value, depth + 1) if value is not None else None
    return None


def _module_constant_value(model: ModuleModel, name: ast.Name) -> ast.expr | None:
    bindings = model.bindings_of(name.id, name)
    if not bindings or len(bindings) != 1:
        return None
    b = bindings[0]
    if b.kind != "assign" or b.index is not None or b.value is None:
        return None
    if model.enclosing_function(b.node) is not None:
        return None  # a local: its one binding may still run once per call with other values
    if any(name.id in s.declared_global for s in model.module_scope.iter_descendants()):
        return None
    return b.value


def _flags(model: ModuleModel, expr: ast.expr | None) -> int | None:
    if expr is None:
        return 0
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
        left, right = _flags(model, expr.left), _flags(model, expr.right)
        return left | right if left is not None and right is not None else None
    q = model.qualname(expr)
    if q in _FLAGS:
        return int(getattr(re, q.split(".", 1)[1]))
    if isinstance(expr, ast.Constant) and expr.value == 0:
        return 0
    return None


def _compiled(
    model: ModuleModel, pattern: ast.expr, flags: ast.expr | None
) -> re.Pattern[str] | re.Pattern[bytes] | None:
    text = _constant(model, pattern)
    bits = _flags(model, flags)
    if not isinstance(text, (str, bytes)) or bits is None:
        return None
    try:
        return re.compile(text, bits)
    except (re.error, TypeError, ValueError):
        return None


def _argument(call: ast.Call, position: int, keyword: str) -> tuple[bool, ast.expr | None]:
    """(understood, the argument): a starred argument or an unknown keyword is not."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        return False, None
    for k in call.keywords:
        if k.arg == keyword:
            return True, k.value
    return True, call.args[position] if position < len(call.args) else None


def regex_match_call(
    model: ModuleModel, call: ast.Call
) -> tuple[re.Pattern[str] | re.Pattern[bytes], ast.expr] | None:
    """(the compiled pattern, the subject expression) of ``re.match(P, s[, flags])``-like
    calls and of ``R.match(s)`` where ``R = re.compile(P[, flags])`` at module level, with a
    constant pattern; else None."""
    q = model.call_qualname(call)
    if q in _MATCH_FUNCTIONS:
        if {k.arg for k in call.keywords} - {"pattern", "string", "flags"}:
            return None
        ok_p, pattern = _argument(call, 0, "pattern")
        ok_s, subject = _argument(call, 1, "string")
        ok_f, flags = _argument(call, 2, "flags")
        if not (ok_p and ok_s and ok_f) or pattern is None or subject is None:
            return None
        compiled = _compiled(model, pattern, flags)
        return (compiled, subject) if compiled is not None else None
    func = call.func
    if (
        q is None
        and isinstance(func, ast.Attribute)
        and func.attr in _MATCH_METHODS
        and isinstance(func.value, ast.Name)
        and len(call.args) == 1
        and not call.keywords
        and not isinstance(call.args[0], ast.Starred)
    ):
        value = _module_constant_value(model, func.value)
        if (
            isinstance(value, ast.Call)
            and model.call_qualname(value) == "re.compile"
            and not value.keywords
            and 1 <= len(value.args) <= 2
        ):
            flags = value.args[1] if len(value.args) == 2 else None
            compiled = _compiled(model, value.args[0], flags)
            return (compiled, call.args[0]) if compiled is not None else None
    return None


def match_on(
    pattern: re.Pattern[str] | re.Pattern[bytes], how: str, subject: object
) -> tuple[bool, object]:
    """(computed, result) of ``pattern.<how>(subject)``: a match object or None; not computed
    when the subject's type does not fit the pattern's (that call raises TypeError)."""
    try:
        return True, getattr(pattern, how)(subject)
    except TypeError:
        return False, None


def match_method(model: ModuleModel, call: ast.Call) -> str:
    q = model.call_qualname(call)
    if q in _MATCH_FUNCTIONS:
        return q.split(".", 1)[1]
    return call.func.attr if isinstance(call.func, ast.Attribute) else "match"


__all__ = ["match_method", "match_on", "regex_match_call"]
