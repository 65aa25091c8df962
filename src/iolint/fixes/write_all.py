"""IO101's fix: write everything, with the project's own write-all helper when it has one.

The inline loop keeps what the discarded-count write did for bytes-like payloads and adds the
missing tail:

* only bytes-like payloads get it: a loop over ``memoryview(text)`` raises ``TypeError``;
* the view is a ``with`` block, so a ``bytearray`` payload can be resized again afterwards
  (a view left alive would make ``buf.clear()`` raise ``BufferError``), also after an error;
* a payload not shown to be ``bytes`` is viewed as unsigned bytes (``.cast("B")``): the count
  ``write`` returns is in bytes, not in items of an ``array('H')``;
* a raw file object's ``write`` returns ``None`` when a non-blocking descriptor would block:
  the loop raises ``BlockingIOError`` there instead of spinning;
* every generated line is a simple statement that black and ruff format leave as it is.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from iolint.diagnostics import Applicability, Fix
from iolint.edits import fresh_name, indent_unit, lines_block, replace_node, stands_alone
from iolint.fixes.payload import payload_type
from iolint.model import ModuleModel
from iolint.model.io_calls import method_name, receiver_of
from iolint.model.scopes import walk_local

OS_WRITE = "os.write"
RAW_WRITE = "raw write()"


def simple_expr(node: ast.expr | None) -> bool:
    """Cheap to evaluate again and free of side effects: names, attributes, constants and
    ``x.fileno()`` (the loop evaluates the target once per round)."""
    if isinstance(node, (ast.Name, ast.Constant)):
        return True
    if isinstance(node, ast.Attribute):
        return simple_expr(node.value)
    if isinstance(node, ast.Call):
        return (
            method_name(node) == "fileno"
            and not node.args
            and not node.keywords
            and simple_expr(receiver_of(node))
        )
    return False


def write_all_fix(model: ModuleModel, call: ast.Call, label: str) -> Fix | None:
    stmt = model.parent(call)
    if not isinstance(stmt, ast.Expr) or call.keywords:
        return None
    target: ast.expr | None
    if label == OS_WRITE and len(call.args) == 2:
        target, payload = call.args
    elif label == RAW_WRITE and len(call.args) == 1:
        target, payload = receiver_of(call), call.args[0]
    else:
        return None
    if target is None or isinstance(payload, ast.Starred):
        return None
    if model.start(payload).line != model.end(payload).line:
        # Moved into a ``with`` header or a helper call, its continuation lines would keep
        # an indentation that no longer fits: the formatter would redo them.
        return None
    kind = payload_type(model, payload)
    if kind == "str":
        return None  # text: the write raises TypeError today, a loop would not fix anything
    helper = _helper_call(model, call, label, target, payload)
    if helper is not None:
        name, text = helper
        return Fix(
            f"Write everything with the project's helper `{name}`",
            Applicability.UNSAFE,
            (replace_node(model, call, text),),
        )
    if not stands_alone(model, stmt) or not simple_expr(target):
        return None
    return _inline_loop(model, stmt, call, label, target, payload, bytes_shown=kind == "bytes")


def _inline_loop(
    model: ModuleModel,
    stmt: ast.Expr,
    call: ast.Call,
    label: str,
    target: ast.expr,
    payload: ast.expr,
    *,
    bytes_shown: bool,
) -> Fix:
    view = fresh_name(model, "_view")
    sent = fresh_name(model, "_sent")
    indent = model.source.indentation(model.start(stmt).line)
    step = indent_unit(model, stmt)
    func = model.text_of(call.func)
    cast = "" if bytes_shown else '.cast("B")'
    lines = [
        f"with memoryview({model.text_of(payload)}){cast} as {view}:",
        f"{step}{sent} = 0",
        f"{step}while {sent} < len({view}):",
    ]
    if label == OS_WRITE:
        lines.append(f"{step * 2}{sent} += {func}({model.text_of(target)}, {view}[{sent}:])")
    else:
        written = fresh_name(model, "_written")
        lines += [
            f"{step * 2}{written} = {func}({view}[{sent}:])",
            f"{step * 2}if {written} is None:",
            f'{step * 3}raise BlockingIOError("the raw write would block")',
            f"{step * 2}{sent} += {written}",
        ]
    return Fix(
        "Write everything with a loop over a memoryview",
        Applicability.UNSAFE,
        (replace_node(model, stmt, lines_block(model, indent, lines)),),
    )


# ----------------------------------------------------------------- the project's helper


@dataclass(frozen=True)
class _Helper:
    """A function that loops a write until its payload is written.

    ``target`` is the index of the parameter holding the descriptor or file, or None when the
    helper writes to ``self_target`` (``self._fd``); ``payload`` is the payload parameter's
    index. Indexes count the parameters a caller passes (``self`` excluded).
    """

    func: ast.FunctionDef
    method: bool
    payload: int
    target: int | None
    self_target: str | None
    params: int


def _helper_call(
    model: ModuleModel, call: ast.Call, label: str, target: ast.expr, payload: ast.expr
) -> tuple[str, str] | None:
    """(helper name, replacement call text) when the module or the enclosing class already
    has a write-all helper that fits this write."""
    caller = model.enclosing_function(call)
    cls = model.parent(caller) if caller is not None else None
    helpers = model.fact(_helpers_by_owner)
    candidates = list(helpers.get((model.tree, label), ()))
    if isinstance(cls, ast.ClassDef):
        candidates = list(helpers.get((cls, label), ())) + candidates
    for helper in candidates:
        if helper.func is caller or any(a is helper.func for a in model.ancestors(call)):
            continue
        text = _call_text(model, helper, call, cls, target, payload)
        if text is not None:
            return helper.func.name, text
    return None


def _helpers_by_owner(model: ModuleModel) -> dict[tuple[ast.AST, str], list[_Helper]]:
    """Every write-all helper of the module, by (module or class, kind of write); computed
    once per module, since a file may have thousands of findings."""
    out: dict[tuple[ast.AST, str], list[_Helper]] = {}
    # Only functions with a while loop of their own can be helpers.
    looping = {id(model.enclosing_function(loop)) for loop in model.nodes(ast.While)}
    owners: list[ast.AST] = [model.tree, *model.nodes(ast.ClassDef)]
    for owner in owners:
        for node in getattr(owner, "body", ()):
            if not isinstance(node, ast.FunctionDef) or id(node) not in looping:
                continue
            for label in (OS_WRITE, RAW_WRITE):
                helper = _as_helper(model, node, label)
                if helper is not None:
                    out.setdefault((owner, label), []).append(helper)
    return out


def _call_text(
    model: ModuleModel,
    helper: _Helper,
    call: ast.Call,
    cls: ast.AST | None,
    target: ast.expr,
    payload: ast.expr,
) -> str | None:
    if helper.method:
        if not isinstance(cls, ast.ClassDef) or model.parent(helper.func) is not cls:
            return None
        caller = model.enclosing_function(call)
        if not isinstance(caller, ast.FunctionDef) or not caller.args.args:
            return None
        if _is_static(caller):
            return None
        prefix = f"{caller.args.args[0].arg}."
        if helper.self_target is not None:
            # The helper writes to ``self._fd``: only a write to that same attribute fits.
            own = prefix + helper.self_target.split(".", 1)[1]
            if model.text_of(target) != own:
                return None
    else:
        if model.parent(helper.func) is not model.tree:
            return None
        bindings = model.bindings_of(helper.func.name, call) or []
        if len(bindings) != 1 or bindings[0].node is not helper.func:
            return None  # shadowed or rebound: the name may not be this function here
        prefix = ""
    args = [""] * helper.params
    args[helper.payload] = model.text_of(payload)
    if helper.target is not None:
        args[helper.target] = model.text_of(target)
    elif helper.self_target is None:
        return None
    return f"{prefix}{helper.func.name}({', '.join(args)})"


def _is_static(func: ast.FunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in func.decorator_list)


def _as_helper(model: ModuleModel, func: ast.FunctionDef, label: str) -> _Helper | None:
    """``func`` as a write-all helper: a ``while`` loop around a write whose count advances
    what is left of a parameter (a slice, a view, an offset). The name says nothing."""
    method = isinstance(model.parent(func), ast.ClassDef) and not _is_static(func)
    a = func.args
    if a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs:
        return None
    params = [p.arg for p in a.args]
    if method:
        if not params:
            return None
        self_name, params = params[0], params[1:]
    if a.defaults or len(params) not in (1, 2):
        return None
    for loop in (n for n in walk_local(func.body) if isinstance(n, ast.While)):
        if not _tests_only_what_is_left(loop.test):
            continue
        for node in walk_local([loop.test, *loop.body]):
            if not isinstance(node, ast.Call) or not _advancing_write(model, node, loop, label):
                continue
            dest = node.args[0] if label == OS_WRITE else receiver_of(node)
            data = node.args[-1]
            payload = _param_behind(model, func, data, params)
            if payload is None:
                continue
            if isinstance(dest, ast.Name) and dest.id in params and dest.id != params[payload]:
                if len(params) == 2:
                    return _Helper(func, method, payload, params.index(dest.id), None, 2)
            if (
                method
                and len(params) == 1
                and isinstance(dest, ast.Attribute)
                and isinstance(dest.value, ast.Name)
                and dest.value.id == self_name
            ):
                return _Helper(func, method, payload, None, model.text_of(dest), 1)
    return None


def _tests_only_what_is_left(test: ast.expr) -> bool:
    """The loop stops only when the payload is written: its test reads local names, constants
    and ``len()``. pexpect's ``__interact_writen`` loops ``while data != b'' and
    self.isalive()``: called for another write, it would drop the output of a child that has
    just exited, which the single write it replaces wrote."""
    for node in ast.walk(test):
        if isinstance(node, ast.Attribute):
            return False
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name) and node.func.id == "len"
        ):
            return False
    return True


def _advancing_write(model: ModuleModel, call: ast.Call, loop: ast.While, label: str) -> bool:
    """A write of the right kind whose count is used to move on (``sent += write(...)``,
    ``n = write(...)`` then ``data = data[n:]``, ``data = data[write(...):]``)."""
    if call.keywords:
        return False
    if label == OS_WRITE:
        if model.call_qualname(call) != OS_WRITE or len(call.args) != 2:
            return False
    elif method_name(call) != "write" or len(call.args) != 1 or receiver_of(call) is None:
        return False
    parent = model.parent(call)
    if isinstance(parent, ast.AugAssign) and parent.value is call:
        return True
    if isinstance(parent, ast.Slice):
        return True
    if (
        isinstance(parent, ast.Assign)
        and len(parent.targets) == 1
        and isinstance(parent.targets[0], ast.Name)
    ):
        count = parent.targets[0].id
        for node in walk_local(loop.body):
            if isinstance(node, ast.Slice) and _mentions_name(node, count):
                return True
            if isinstance(node, ast.AugAssign) and _mentions_name(node.value, count):
                return True
    return False


def _mentions_name(node: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def _param_behind(
    model: ModuleModel, func: ast.FunctionDef, data: ast.expr, params: list[str]
) -> int | None:
    """The index of the parameter ``data`` is a view or slice of (``data``, ``data[n:]``,
    ``view[sent:]`` with ``view = memoryview(data)``), following local assignments."""
    name = _base_name(data)
    seen: set[str] = set()
    while name is not None and name not in seen:
        if name in params:
            return params.index(name)
        seen.add(name)
        following: str | None = None
        for node in walk_local(func.body):
            value: ast.expr | None = None
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets
            ):
                value = node.value
            elif isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
                value = node.context_expr if node.optional_vars.id == name else None
            base = _base_name(value) if value is not None else None
            if base is not None and base != name:
                following = base
        name = following
    return None


def _base_name(expr: ast.expr) -> str | None:
    """The name a payload expression views: ``data`` in ``data``, ``data[n:]``,
    ``memoryview(data)``, ``memoryview(data).cast("B")``."""
    while True:
        if isinstance(expr, ast.Name):
            return expr.id
        if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Slice):
            expr = expr.value
        elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
            if expr.func.attr != "cast":
                return None
            expr = expr.func.value
        elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.args:
            if expr.func.id not in ("memoryview", "bytes", "bytearray"):
                return None
            expr = expr.args[0]
        else:
            return None
