"""What type a payload expression has, as far as the module shows: ``bytes``-like or ``str``.

The write-all loop a fix inserts wraps its payload in a ``memoryview``; that is only right for
bytes-like payloads. A payload that is visibly text (a ``str`` literal, an f-string, a
``str`` method's result) gets no loop.
"""

from __future__ import annotations

import ast
from typing import Literal

from iolint.model import ModuleModel

PayloadType = Literal["bytes", "str"]

_BYTES_CALLS = frozenset(
    {
        "builtins.bytes",
        "builtins.bytearray",
        "builtins.memoryview",
        "os.read",
        "os.pread",
        "os.fsencode",
        "os.urandom",
        "struct.pack",
        "zlib.compress",
        "zlib.decompress",
        "pickle.dumps",
        "marshal.dumps",
        "base64.b64encode",
        "base64.b64decode",
        "binascii.unhexlify",
    }
)
_STR_CALLS = frozenset(
    {
        "builtins.str",
        "builtins.repr",
        "builtins.format",
        "builtins.chr",
        "builtins.ascii",
        "os.fsdecode",
        "json.dumps",
    }
)
# Methods whose result is bytes whatever the receiver.
_BYTES_METHODS = frozenset({"encode", "tobytes", "to_bytes", "pack", "getbuffer"})
# Methods whose result is str whatever the receiver.
_STR_METHODS = frozenset({"decode", "hex", "format", "format_map"})
# Methods returning the receiver's own type (for ``str`` and ``bytes`` alike).
_SAME_TYPE_METHODS = frozenset(
    {
        "join",
        "strip",
        "lstrip",
        "rstrip",
        "upper",
        "lower",
        "replace",
        "ljust",
        "rjust",
        "center",
        "zfill",
        "expandtabs",
        "capitalize",
        "title",
        "swapcase",
        "removeprefix",
        "removesuffix",
    }
)
_ANNOTATIONS: dict[str, PayloadType] = {
    "bytes": "bytes",
    "bytearray": "bytes",
    "memoryview": "bytes",
    "str": "str",
}


def payload_type(model: ModuleModel, expr: ast.expr, depth: int = 0) -> PayloadType | None:
    """``"bytes"`` or ``"str"`` when the module shows it; None when it does not."""
    if depth > 4:
        return None
    if isinstance(expr, ast.Constant):
        if isinstance(expr.value, bytes):
            return "bytes"
        return "str" if isinstance(expr.value, str) else None
    if isinstance(expr, ast.JoinedStr):
        return "str"
    if isinstance(expr, ast.BinOp):
        left = payload_type(model, expr.left, depth + 1)
        if isinstance(expr.op, ast.Mod):
            return left  # ``"%s" % x`` and ``b"%d" % n`` take the format's type
        if isinstance(expr.op, (ast.Add, ast.Mult)):
            right = payload_type(model, expr.right, depth + 1)
            return "str" if "str" in (left, right) else left or right
        return None
    if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Slice):
        return payload_type(model, expr.value, depth + 1)
    if isinstance(expr, ast.Call):
        return _call_type(model, expr, depth)
    if isinstance(expr, ast.Name):
        return _name_type(model, expr, depth)
    return None


def _call_type(model: ModuleModel, call: ast.Call, depth: int) -> PayloadType | None:
    q = model.call_qualname(call)
    if q in _BYTES_CALLS:
        return "bytes"
    if q in _STR_CALLS:
        return "str"
    if not isinstance(call.func, ast.Attribute) or q is not None:
        return None
    method = call.func.attr
    if method in _BYTES_METHODS:
        return "bytes"
    if method in _STR_METHODS:
        return "str"
    if method in _SAME_TYPE_METHODS:
        return payload_type(model, call.func.value, depth + 1)
    return None


def _name_type(model: ModuleModel, name: ast.Name, depth: int) -> PayloadType | None:
    bindings = model.bindings_of(name.id, name)
    if not bindings:
        return None
    found: set[PayloadType | None] = set()
    for b in bindings:
        declared = _annotation_type(b.annotation)
        if declared is not None or b.kind in ("param", "annotation"):
            found.add(declared)  # a declared type wins over what the value shows
            continue
        # ``x = v``, ``x := v``, ``x += v``: the value shows the type (``+=`` keeps it).
        plain = b.kind in ("assign", "walrus", "augassign") and b.index is None
        if plain and b.value is not None:
            found.add(payload_type(model, b.value, depth + 1))
        else:
            found.add(None)
    if "str" in found:
        return "str"  # any text binding: the loop could see text
    return "bytes" if found == {"bytes"} else None


def _annotation_type(annotation: ast.expr | None) -> PayloadType | None:
    if isinstance(annotation, ast.Name):
        return _ANNOTATIONS.get(annotation.id)
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return _ANNOTATIONS.get(annotation.value)
    return None
