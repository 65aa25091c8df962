"""Receivers of ``readline()`` that are files or pipes: ``''`` (or ``b''``) forever at EOF.

``readline()`` on a file object never raises at the end and never blocks there: it returns an
empty line, again on every call. A loop that reads lines is only safe at EOF if some way out
holds for the empty line. Whether a receiver is such a stream is known for:

* ``sys.stdin`` (text) and ``sys.stdin.buffer`` (bytes);
* an asyncio ``StreamReader`` (bytes; the model knows it from ``asyncio.open_connection`` or
  an annotation);
* a file the model knows (``open(...)``, ``io.open``, ``os.fdopen``, ``with open(p) as f``),
  text unless its literal mode has ``b``;
* ``proc.stdout``/``proc.stderr`` of a ``subprocess.Popen(...)`` bound to a local name, bytes
  unless ``text=``/``universal_newlines=``/``encoding=``/``errors=`` is given;
* a parameter annotated as a file object (``IO[bytes]``, ``TextIO``, ``io.BufferedReader``);
* a parameter of a module-level function or a nested function, when every call of it in
  the module passes such a stream at that position (``read_log(sys.stdin)``,
  ``with open(path) as f: read_log(f)``), the function is not used any other way (passed as a
  callback, exported in ``__all__`` under another use), and there is at least one call.

Anything else (a socket's ``makefile()`` whose owner decides EOF elsewhere, a parameter of
a method, an object of unknown type) is unknown: IO104 stays silent on it by default.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from iolint.model.kinds import Category, call_arg, is_empty_literal, is_len_of, is_name
from iolint.model.module import ModuleModel
from iolint.model.scopes import walk_local

_TEXT_KEYWORDS = ("text", "universal_newlines", "encoding", "errors")
_GENERIC_IO = frozenset({"typing.IO", "typing_extensions.IO"})
# Annotations naming a file object, with its line type (None: either).
_TYPED_STREAMS: dict[str, bool | None] = {
    "typing.IO": None,
    "typing.BinaryIO": False,
    "typing.TextIO": True,
    "io.BufferedReader": False,
    "io.BufferedRandom": False,
    "io.BytesIO": False,
    "io.FileIO": False,
    "io.TextIOWrapper": True,
    "io.StringIO": True,
}
_DEPTH = 3


@dataclass(frozen=True)
class LineStream:
    """A stream whose ``readline()`` returns an empty line at EOF. ``text`` is True for
    ``str`` lines, False for ``bytes``, None when the call sites disagree or it is unknown."""

    label: str
    text: bool | None


def line_stream(model: ModuleModel, receiver: ast.expr, depth: int = 0) -> LineStream | None:
    q = model.qualname(receiver)
    if q == "sys.stdin":
        return LineStream("sys.stdin", True)
    if q in ("sys.stdin.buffer", "sys.__stdin__.buffer"):
        return LineStream("sys.stdin.buffer", False)
    if q is not None:
        return None
    kind = model.kind_of(receiver)
    if kind is not None:
        if kind.category is Category.STREAM_READER:
            # asyncio: ``await reader.readline()`` returns b"" at EOF, on every call.
            return LineStream("an asyncio StreamReader", False)
        if kind.category is not Category.FILE:
            return None
        text = None if kind.mode is None else "b" not in kind.mode
        return LineStream("a file", text)
    if isinstance(receiver, ast.Attribute) and receiver.attr in ("stdout", "stderr"):
        return _popen_pipe(model, receiver)
    if isinstance(receiver, ast.Name) and depth < _DEPTH:
        return _parameter_stream(model, receiver, depth)
    return None


def _popen_pipe(model: ModuleModel, pipe: ast.Attribute) -> LineStream | None:
    owner = pipe.value
    if not isinstance(owner, ast.Name):
        return None
    bindings = model.bindings_of(owner.id, owner) or []
    texts: set[bool | None] = set()
    for b in bindings:
        value = b.value
        if (
            b.kind not in ("assign", "with")
            or b.index is not None
            or not isinstance(value, ast.Call)
            or model.call_qualname(value) != "subprocess.Popen"
        ):
            return None
        texts.add(_popen_text(value))
    if not texts:
        return None
    return LineStream(f"{owner.id}.{pipe.attr}", texts.pop() if len(texts) == 1 else None)


def _popen_text(call: ast.Call) -> bool | None:
    if any(k.arg is None for k in call.keywords):
        return None  # ``**kwargs`` may choose text mode
    for k in call.keywords:
        if k.arg in _TEXT_KEYWORDS:
            if isinstance(k.value, ast.Constant):
                if k.arg in ("text", "universal_newlines"):
                    return bool(k.value.value)
                return k.value.value is not None
            return None
    return False


def _annotated_stream(model: ModuleModel, annotation: ast.expr | None) -> LineStream | None:
    """``f: IO[bytes]``, ``f: TextIO``, ``f: io.BufferedReader``: a file object by
    declaration, whatever the callers pass."""
    if annotation is None:
        return None
    if isinstance(annotation, ast.Subscript) and model.qualname(annotation.value) in _GENERIC_IO:
        item = model.qualname(annotation.slice)
        text = True if item == "builtins.str" else False if item == "builtins.bytes" else None
        return LineStream("a file", text)
    q = model.qualname(annotation)
    if q in _TYPED_STREAMS:
        return LineStream("a file", _TYPED_STREAMS[q])
    return None


def _parameter_stream(model: ModuleModel, name: ast.Name, depth: int) -> LineStream | None:
    bindings = model.bindings_of(name.id, name) or []
    if len(bindings) != 1 or bindings[0].kind != "param":
        return None
    annotated = _annotated_stream(model, bindings[0].annotation)
    if annotated is not None:
        return annotated
    param = bindings[0].node
    func = model.enclosing_function(param)
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) or not isinstance(
        param, ast.arg
    ):
        return None
    if isinstance(model.parent(func), ast.ClassDef):
        return None  # a method: its callers are reached through objects, not followed here
    positional = [*func.args.posonlyargs, *func.args.args]
    position = next((i for i, a in enumerate(positional) if a is param), None)
    keyword = None if any(a is param for a in func.args.posonlyargs) else param.arg
    calls = _only_calls(model, func)
    if not calls:
        return None
    found: list[LineStream] = []
    for call in calls:
        if position is not None:
            arg = call_arg(call, position, keyword)
        else:
            arg = next((k.value for k in call.keywords if k.arg == param.arg), None)
        if arg is None or any(k.arg is None for k in call.keywords):
            return None
        stream = line_stream(model, arg, depth + 1)
        if stream is None:
            return None
        found.append(stream)
    texts = {s.text for s in found}
    labels = {s.label for s in found}
    return LineStream(
        " or ".join(sorted(labels)),
        texts.pop() if len(texts) == 1 else None,
    )


def _only_calls(model: ModuleModel, func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.Call]:
    """Every call of ``func`` by its name in the module, when the name is used only to call
    it (a function also passed around may be called with anything)."""
    calls: list[ast.Call] = []
    for use in model.nodes(ast.Name):
        if (
            not isinstance(use, ast.Name)
            or use.id != func.name
            or not isinstance(use.ctx, ast.Load)
        ):
            continue
        parent = model.parent(use)
        if not (isinstance(parent, ast.Call) and parent.func is use):
            return []
        if model.local_callee(use) is not func:
            return []
        calls.append(parent)
    return calls


def literal_line_type(model: ModuleModel, call: ast.Call) -> bool | None:
    """The line type the loop around ``call`` is written for, from the literals it uses:
    True when it has ``str`` literals and no ``bytes`` ones, False for the reverse, None
    when it has both or neither (a receiver of unknown kind gives no type of its own)."""
    loops = model.enclosing_loops(call)
    if not loops or not isinstance(loops[0], ast.While):
        return None
    loop = loops[0]
    kinds = {
        type(n.value)
        for n in walk_local([loop.test, *loop.body])
        if isinstance(n, ast.Constant) and isinstance(n.value, (str, bytes))
    }
    if kinds == {str}:
        return True
    if kinds == {bytes}:
        return False
    return None


def tests_empty_line(loop: ast.While, name: str | None) -> bool:
    """The loop tests the line it read for emptiness somewhere (``if not line:``, ``if
    line:``, ``line == ""``, ``len(line) == 0``) without leaving on it: a loop that follows a
    growing file (``if not line: time.sleep(0.5); continue``), for which EOF is a wait, not
    an end. The author has decided what the empty line means."""
    if name is None:
        return False
    for node in walk_local(loop.body):
        if isinstance(node, (ast.If, ast.IfExp, ast.While)) and _empty_test(node.test, name):
            return True
    return False


def _empty_test(test: ast.expr, name: str) -> bool:
    if isinstance(test, ast.BoolOp):
        return any(_empty_test(v, name) for v in test.values)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _empty_test(test.operand, name)
    if is_name(test, name) or is_len_of(test, name):
        return True
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, right = test.left, test.comparators[0]
        for subject, other in ((left, right), (right, left)):
            if is_name(subject, name) and is_empty_literal(other):
                return True
            if is_len_of(subject, name) and isinstance(other, ast.Constant):
                return other.value == 0
    return False


__all__ = ["LineStream", "line_stream", "literal_line_type", "tests_empty_line"]
