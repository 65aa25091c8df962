"""Consequence: whether a defect the partial-I/O and error rules see can hurt where it is.

A discarded write count loses data only when the write can be short, which needs a full buffer
or a signal during a long blocking write. What this module knows:

* **bounded payloads** (:func:`payload_bound`): literals of ``bytes`` or ``str``, ``str(pid)``,
  a line formatted from bounded parts, a password plus newline, module constants and their sums
  (``IAC + DO + LINEMODE``). At most ``PIPE_BUF``'s POSIX minimum (512 bytes) written once to a
  pipe, a pty or a freshly connected socket is taken whole: harmless, reported in strict mode;
* **repetition** (:func:`written_once`): the same small write on every turn of a loop fills
  the buffer of a socket (a metric shipper, a line protocol), so it stays a finding;
* **message-oriented descriptors** (:func:`message_oriented`): tun/tap devices, Plan 9 RPC
  files, datagram and ``SOCK_SEQPACKET`` sockets take a write whole or fail;
* **best-effort diagnostics** (:func:`best_effort_diagnostic`): the last words of a process
  before ``os._exit``, or a write to stderr whose errors are ignored;
* **buffer fillers** (:func:`fills_buffer`): a test that writes junk until ``BlockingIOError``
  does not care how much each write took.

Read-side facts (IO103, IO104) and the close facts of IO403 live here too, for the same reason:
they decide whether the defect has a consequence, not whether it is there.
"""

from __future__ import annotations

import ast
import re
import string
import struct
from collections.abc import Iterator

from iolint.model.flagbits import sets_flag
from iolint.model.handlers import covering_handlers
from iolint.model.io_calls import method_name, receiver_of
from iolint.model.kinds import Category, call_arg, literal_int, literal_str
from iolint.model.module import ModuleModel
from iolint.model.returned_bounds import returned_bound
from iolint.model.scopes import FUNCTION_NODES

# POSIX requires PIPE_BUF >= 512: a write of at most this many bytes to a pipe is atomic, and
# an empty pty or a fresh socket buffer (kilobytes at least) takes it whole as well.
SMALL_WRITE = 512
# Passwords and passphrases typed at a prompt: short by nature (sudo, ssh and su cap them well
# below this), so "password + newline" is a bounded payload.
PASSWORD_BOUND = 256
_INT_TEXT = 21  # a 64-bit integer in decimal, with its sign
_FLOAT_TEXT = 32
_DEPTH = 6

# Not "secret" or "key": those name key material, which is kilobytes long.
_PASSWORD_NAME = re.compile(r"passw|passphrase|passwd", re.IGNORECASE)
_INT_NAME = re.compile(
    r"(^|_)(pid|ppid|pgid|sid|uid|gid|errno|returncode|exitcode|port|signum|sig|fd|"
    r"count|size|length|len|n|num|rc)$|pid$",
    re.IGNORECASE,
)
_INT_CALLS = frozenset(
    {
        "os.getpid",
        "os.getppid",
        "os.getpgid",
        "os.getpgrp",
        "os.getsid",
        "os.getuid",
        "os.geteuid",
        "os.getgid",
        "os.getegid",
        "builtins.len",
        "builtins.int",
        "builtins.round",
        "builtins.ord",
        "threading.get_ident",
        "threading.get_native_id",
    }
)
_FLOAT_CALLS = frozenset({"time.time", "time.monotonic", "time.perf_counter", "builtins.float"})
# Project helpers that turn text into bytes (``as_bytes``, ``to_bytes``, six's ``b``).
_TO_BYTES_HELPERS = frozenset(
    {"as_bytes", "to_bytes", "ensure_bytes", "force_bytes", "tobytes", "b", "_b", "bytes_"}
)
_CODECS_ONE_BYTE_ASCII = frozenset({"utf-8", "utf8", "ascii", "latin-1", "latin1", "iso-8859-1"})
_PERCENT = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?[-#0 +]*(?P<width>\d+|\*)?(?:\.(?P<prec>\d+|\*))?[hlL]?"
    r"(?P<conv>[diouxXeEfFgGcrsa%])"
)


# ----------------------------------------------------------------------- bounded payloads


def payload_bound(model: ModuleModel, expr: ast.expr | None, depth: int = 0) -> int | None:
    """An upper bound of the size in bytes of ``expr`` once written (UTF-8 for ``str``), or
    None when nothing bounds it by construction."""
    if expr is None or depth > _DEPTH:
        return None
    d = depth + 1
    if isinstance(expr, ast.Constant):
        value = expr.value
        if isinstance(value, bytes):
            return len(value)
        if isinstance(value, str):
            return len(value.encode("utf-8", "surrogatepass"))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return len(str(value))
        return None
    if isinstance(expr, ast.JoinedStr):
        return _sum(_formatted_part(model, v, d) for v in expr.values)
    if isinstance(expr, ast.FormattedValue):
        return _formatted_part(model, expr, d)
    if isinstance(expr, ast.BinOp):
        return _binop_bound(model, expr, d)
    if isinstance(expr, ast.IfExp):
        return _max(payload_bound(model, expr.body, d), payload_bound(model, expr.orelse, d))
    if isinstance(expr, ast.BoolOp):
        # ``password or ""``: the value is one of the operands.
        return _max_all(payload_bound(model, v, d) for v in expr.values)
    if isinstance(expr, ast.Call):
        return _call_bound(model, expr, d)
    if isinstance(expr, ast.Subscript):
        return _subscript_bound(model, expr, d)
    if isinstance(expr, (ast.Name, ast.Attribute)):
        return _name_bound(model, expr, d)
    return None


def _sum(parts: Iterator[int | None]) -> int | None:
    total = 0
    for p in parts:
        if p is None:
            return None
        total += p
    return total


def _max(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else max(a, b)


def _max_all(parts: Iterator[int | None]) -> int | None:
    out = 0
    for p in parts:
        if p is None:
            return None
        out = max(out, p)
    return out


def _formatted_part(model: ModuleModel, node: ast.expr, depth: int) -> int | None:
    if not isinstance(node, ast.FormattedValue):
        return payload_bound(model, node, depth)
    spec = _literal_spec(node.format_spec)
    width = _spec_width(spec)
    if spec and spec[-1:] in tuple("dxXobn"):
        inner: int | None = _INT_TEXT + 2  # a "0x"-style prefix with "#"
    elif node.conversion in (ord("r"), ord("a")):
        inner = _text_bound(model, node.value, depth)
        inner = None if inner is None else inner + 2  # quotes
    else:
        inner = _text_bound(model, node.value, depth)
    return None if inner is None else max(inner, width)


def _literal_spec(spec: ast.expr | None) -> str:
    if isinstance(spec, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in spec.values):
        return "".join(str(v.value) for v in spec.values if isinstance(v, ast.Constant))
    return ""


def _spec_width(spec: str) -> int:
    m = re.search(r"(\d+)(?:\.\d+)?[a-zA-Z%]?$", spec)
    return int(m.group(1)) if m else 0


def _text_bound(model: ModuleModel, value: ast.expr, depth: int) -> int | None:
    """How long ``value`` is once turned into text (``str(value)``, ``%s``, ``{}``)."""
    if is_int_like(model, value, depth):
        return _INT_TEXT
    if _is_float_like(model, value):
        return _FLOAT_TEXT
    return payload_bound(model, value, depth)


def _binop_bound(model: ModuleModel, expr: ast.BinOp, depth: int) -> int | None:
    if isinstance(expr.op, ast.Add):
        parts = (payload_bound(model, expr.left, depth), payload_bound(model, expr.right, depth))
        return _sum(iter(parts))
    if isinstance(expr.op, ast.Mult):
        for seq, times in ((expr.left, expr.right), (expr.right, expr.left)):
            n = literal_int(times)
            if n is not None:
                bound = payload_bound(model, seq, depth)
                return None if bound is None else bound * max(n, 0)
        return None
    if isinstance(expr.op, ast.Mod) and isinstance(expr.left, ast.Constant):
        fmt = expr.left.value
        if isinstance(fmt, (str, bytes)):
            text = fmt.decode("latin-1") if isinstance(fmt, bytes) else fmt
            return _percent_bound(model, text, expr.right, depth)
    return None


def _percent_bound(model: ModuleModel, fmt: str, args: ast.expr, depth: int) -> int | None:
    values: list[ast.expr] = list(args.elts) if isinstance(args, ast.Tuple) else [args]
    keyed = isinstance(args, ast.Dict)
    total = len(fmt.encode("utf-8", "surrogatepass"))
    position = 0
    for m in _PERCENT.finditer(fmt):
        total -= len(m.group(0))
        conv = m.group("conv")
        if conv == "%":
            total += 1
            continue
        if "*" in (m.group("width") or "", m.group("prec") or "") or keyed or m.group("key"):
            return None
        if position >= len(values):
            return None
        value = values[position]
        position += 1
        width = int(m.group("width") or 0)
        if conv in "diouxX":
            part: int | None = _INT_TEXT + 2
        elif conv in "eEgG":
            part = _FLOAT_TEXT
        elif conv == "c":
            part = 4
        elif conv in "sra":
            part = _text_bound(model, value, depth)
            if part is not None and conv != "s":
                part += 2
        else:
            part = None  # %f of a large float is as long as the number
        if part is None:
            return None
        total += max(part, width)
    return total


def _call_bound(model: ModuleModel, call: ast.Call, depth: int) -> int | None:
    q = model.call_qualname(call)
    func = call.func
    if isinstance(func, ast.Attribute) and q is None:
        owner = func.value
        if func.attr == "encode":
            inner = payload_bound(model, owner, depth)
            codec = literal_str(call_arg(call, 0, "encoding"))
            if inner is None:
                return None
            if call_arg(call, 0, "encoding") is None or (
                codec is not None and codec.lower() in _CODECS_ONE_BYTE_ASCII
            ):
                return inner
            return inner * 4  # UTF-16/32 and the like: at most four bytes per UTF-8 byte
        if func.attr == "decode":
            return payload_bound(model, owner, depth)
        if func.attr == "format" and isinstance(owner, ast.Constant):
            if isinstance(owner.value, str):
                return _format_bound(model, owner.value, call, depth)
            return None
        if func.attr == "to_bytes":
            n = literal_int(call_arg(call, 0, "length"))
            return n if n is not None else (8 if not call.args else None)
        if func.attr in ("strip", "rstrip", "lstrip", "lower", "upper"):
            return payload_bound(model, owner, depth)
        if func.attr == "join" and isinstance(owner, ast.Constant) and call.args:
            items = call.args[0]
            if isinstance(items, (ast.List, ast.Tuple)):
                sep = payload_bound(model, owner, depth) or 0
                parts = _sum(payload_bound(model, e, depth) for e in items.elts)
                return None if parts is None else parts + sep * max(len(items.elts) - 1, 0)
            return None
    if q in ("builtins.str", "builtins.repr") and len(call.args) == 1:
        inner = _text_bound(model, call.args[0], depth)
        return None if inner is None else inner + (2 if q == "builtins.repr" else 0)
    if q in ("builtins.bytes", "builtins.bytearray") and len(call.args) == 1:
        arg = call.args[0]
        if isinstance(arg, (ast.List, ast.Tuple)):
            return len(arg.elts)
        n = literal_int(arg)
        if n is not None:
            return n
        return payload_bound(model, arg, depth)
    if q in ("builtins.bytes", "builtins.bytearray") and len(call.args) >= 2:
        return _times(payload_bound(model, call.args[0], depth), 4)
    if q == "builtins.chr":
        return 4
    if q in ("struct.pack",) and call.args:
        fmt = call.args[0]
        if isinstance(fmt, ast.Constant) and isinstance(fmt.value, (str, bytes)):
            try:
                return struct.calcsize(fmt.value)
            except struct.error:
                return None
        return None
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name in _TO_BYTES_HELPERS and call.args:
        # They encode as UTF-8, the unit every bound here is counted in.
        inner = payload_bound(model, call.args[0], depth)
        if inner is None and _PASSWORD_NAME.search(_spelling(call.args[0])):
            inner = PASSWORD_BOUND
        return inner
    return _callee_bound(model, call, q, depth)


def _callee_bound(model: ModuleModel, call: ast.Call, q: str | None, depth: int) -> int | None:
    """A call of a function that returns a bounded payload (``build_alert()``): a top-level
    ``def`` of this module, or a function of another project module whose bound the index
    recorded."""
    func = call.func
    if isinstance(func, ast.Name):
        bindings = model.bindings_of(func.id, func) or []
        if len(bindings) == 1 and isinstance(bindings[0].node, ast.FunctionDef):
            return returned_bound(model, bindings[0].node, depth)
    if model.project is None:
        return None
    qualname = q or model.project_qualname(func)
    return model.project.returned_bound(qualname) if qualname is not None else None


def _times(n: int | None, k: int) -> int | None:
    return None if n is None else n * k


def _format_bound(model: ModuleModel, fmt: str, call: ast.Call, depth: int) -> int | None:
    try:
        parsed = list(string.Formatter().parse(fmt))
    except ValueError:
        return None
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        return None
    keywords = {k.arg: k.value for k in call.keywords}
    total = 0
    auto = 0
    for literal, field, spec, conversion in parsed:
        total += len(literal.encode("utf-8", "surrogatepass"))
        if field is None:
            continue
        head = re.split(r"[.\[]", field, maxsplit=1)[0]
        if head == "":
            index: int | str = auto
            auto += 1
        else:
            index = int(head) if head.isdigit() else head
        if field != head and head != "":
            return None  # ``{0.attr}``/``{0[key]}``: what it names is not followed
        if isinstance(index, int):
            value = call.args[index] if index < len(call.args) else None
        else:
            value = keywords.get(index)
        if value is None:
            return None
        if spec and spec[-1] in "dxXobn":
            part: int | None = _INT_TEXT + 2
        else:
            part = _text_bound(model, value, depth)
            if part is not None and conversion in ("r", "a"):
                part += 2
        if part is None:
            return None
        total += max(part, _spec_width(spec or ""))
    return total


def _subscript_bound(model: ModuleModel, expr: ast.Subscript, depth: int) -> int | None:
    s = expr.slice
    if isinstance(s, ast.Slice) and s.step is None:
        lower = literal_int(s.lower) if s.lower is not None else 0
        upper = literal_int(s.upper) if s.upper is not None else None
        if lower is not None and upper is not None and lower >= 0 and upper >= 0:
            return max(upper - lower, 0) * 4  # characters of a str, at most four bytes each
    # termios.tcgetattr(fd)[6][VEOF] and the like: one control character
    if isinstance(expr.value, ast.Subscript) and isinstance(expr.value.value, ast.Call):
        if model.call_qualname(expr.value.value) == "termios.tcgetattr":
            return 1
    return None


def _name_bound(model: ModuleModel, expr: ast.Name | ast.Attribute, depth: int) -> int | None:
    if model.qualname(expr) == "os.linesep":
        return 2
    values = value_origins(model, expr)
    if values:
        bounds = [payload_bound(model, v, depth) for v in values]
        if all(b is not None for b in bounds):
            return max(b for b in bounds if b is not None)
    if _PASSWORD_NAME.search(_spelling(expr)):
        return PASSWORD_BOUND
    return None


def _spelling(expr: ast.expr) -> str:
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return expr.attr
    if isinstance(expr, ast.Call):
        # ``get_option("become_pass")``: the option named says what the value is.
        inner = [literal_str(a) for a in expr.args]
        return " ".join(s for s in inner if s) + " " + _spelling(expr.func)
    if isinstance(expr, ast.BoolOp):
        return " ".join(_spelling(v) for v in expr.values)
    return ""


def is_int_like(model: ModuleModel, expr: ast.expr, depth: int = 0) -> bool:
    """``expr`` is a number whose text is short: an int literal, ``os.getpid()``, ``len(x)``,
    or a name that says it is one (``pid``, ``proc.pid``, ``errno``, ``port``)."""
    if depth > _DEPTH:
        return False
    if isinstance(expr, ast.Constant):
        return isinstance(expr.value, int) and abs(expr.value) < 10**20
    if isinstance(expr, ast.Call):
        return model.call_qualname(expr) in _INT_CALLS
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub):
        return is_int_like(model, expr.operand, depth + 1)
    if isinstance(expr, (ast.Name, ast.Attribute)):
        values = value_origins(model, expr)
        if values and all(is_int_like(model, v, depth + 1) for v in values):
            return True
        return bool(_INT_NAME.search(_spelling(expr)))
    return False


def _is_float_like(model: ModuleModel, expr: ast.expr) -> bool:
    if isinstance(expr, ast.Constant):
        return isinstance(expr.value, float)
    return isinstance(expr, ast.Call) and model.call_qualname(expr) in _FLOAT_CALLS


# ----------------------------------------------------------------------- where values come from


def value_origins(model: ModuleModel, expr: ast.expr, depth: int = 0) -> list[ast.expr]:
    """The expressions ``expr`` may hold: the values assigned to a local or module name (a
    module constant seen from a function too), or to ``self.attr``/``cls.attr``/``Class.attr``
    in the class (class body or methods). Empty when any binding is not a plain assignment."""
    if depth > _DEPTH:
        return []
    if isinstance(expr, ast.Name):
        bindings = model.bindings_of(expr.id, expr)
        if not bindings:
            return []
        out: list[ast.expr] = []
        for b in bindings:
            if b.kind == "param" and isinstance(b.node, ast.arg):
                cases = _parametrized(model, b.node)
                if not cases:
                    return []
                out.extend(cases)
                continue
            if b.kind not in ("assign", "walrus") or b.value is None or b.index is not None:
                return []
            out.append(b.value)
        return out
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
        cls = _owning_class(model, expr)
        if cls is None:
            return []
        found: list[ast.expr] = []
        for stmt in cls.body:
            if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == expr.attr for t in stmt.targets
            ):
                found.append(stmt.value)
        for b in model.class_attributes(cls).get(expr.attr, ()):
            if b.kind != "assign" or b.value is None:
                return []
            if not (isinstance(b.value, ast.Constant) and b.value.value is None):
                found.append(b.value)
        return found
    return []


def _parametrized(model: ModuleModel, arg: ast.arg) -> list[ast.expr]:
    """The literal cases ``@pytest.mark.parametrize`` gives a test's parameter, or []."""
    func = model.parent(model.parent(arg) or arg)
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return []
    for deco in func.decorator_list:
        if not (
            isinstance(deco, ast.Call)
            and isinstance(deco.func, ast.Attribute)
            and deco.func.attr == "parametrize"
            and len(deco.args) >= 2
        ):
            continue
        names_node, cases = deco.args[0], deco.args[1]
        if isinstance(names_node, ast.Constant) and isinstance(names_node.value, str):
            names = [n.strip() for n in names_node.value.split(",")]
        elif isinstance(names_node, (ast.List, ast.Tuple)):
            names = [literal_str(e) or "" for e in names_node.elts]
        else:
            continue
        if arg.arg not in names or not isinstance(cases, (ast.List, ast.Tuple)):
            continue
        index = names.index(arg.arg)
        out: list[ast.expr] = []
        for case in cases.elts:
            if len(names) == 1:
                out.append(case)
            elif isinstance(case, (ast.Tuple, ast.List)) and len(case.elts) == len(names):
                out.append(case.elts[index])
            else:
                return []  # ``pytest.param(...)`` and other spellings: not followed
        return out
    return []


def _owning_class(model: ModuleModel, expr: ast.Attribute) -> ast.ClassDef | None:
    """The class ``self.x``/``cls.x`` (in a method) or ``Name.x`` (the class's own name)
    refers to."""
    assert isinstance(expr.value, ast.Name)
    owner = expr.value.id
    for cls in model.nodes(ast.ClassDef):
        if cls.name == owner:
            return cls
    func = model.enclosing_function(expr)
    while func is not None and not isinstance(func, ast.Lambda):
        parent = model.parent(func)
        if isinstance(parent, ast.ClassDef):
            args = func.args  # type: ignore[attr-defined]
            positional = [*args.posonlyargs, *args.args]
            if positional and positional[0].arg == owner:
                return parent
            return None
        func = model.enclosing_function(func)
    return None


def creations(model: ModuleModel, expr: ast.expr, depth: int = 0) -> list[ast.Call]:
    """The calls that may have created the object ``expr`` holds (following names, ``self``
    attributes, ``x.fileno()`` and tuple unpacking such as ``r, w = os.pipe()``)."""
    if depth > _DEPTH:
        return []
    if isinstance(expr, ast.Call):
        if method_name(expr) == "fileno" and not expr.args:
            receiver = receiver_of(expr)
            return creations(model, receiver, depth + 1) if receiver is not None else []
        return [expr]
    if isinstance(expr, ast.Subscript) and isinstance(expr.value, (ast.Name, ast.Attribute)):
        return [c for v in value_origins(model, expr.value) for c in creations(model, v, depth + 1)]
    if isinstance(expr, ast.Name):
        bindings = model.bindings_of(expr.id, expr) or []
        out: list[ast.Call] = []
        for b in bindings:
            if b.kind in ("assign", "with", "walrus") and isinstance(b.value, ast.Call):
                out.append(b.value)
            elif b.kind in ("assign", "with", "walrus") and b.value is not None:
                out.extend(creations(model, b.value, depth + 1))
        return out
    if isinstance(expr, ast.Attribute):
        return [c for v in value_origins(model, expr) for c in creations(model, v, depth + 1)]
    return []


# ----------------------------------------------------------------------- targets


_STDERR = frozenset({"sys.stderr", "sys.__stderr__"})
_PIPE_FACTORIES = frozenset({"os.pipe", "os.pipe2", "pty.openpty", "os.openpty", "pty.fork"})
_SOCKET_FACTORIES = frozenset(
    {"socket.socket", "socket.socketpair", "socket.create_connection", "socket.fromfd"}
)
_MESSAGE_TYPES = ("SOCK_DGRAM", "SOCK_SEQPACKET", "SOCK_RAW")
_TUN_WORDS = ("tun", "tap")


def is_stderr(model: ModuleModel, target: ast.expr | None) -> bool:
    """fd 2, ``sys.stderr.fileno()``, or a name bound to either."""
    if target is None:
        return False
    if literal_int(target) == 2:
        return True
    if isinstance(target, ast.Call) and method_name(target) == "fileno":
        receiver = receiver_of(target)
        return receiver is not None and model.qualname(receiver) in _STDERR
    if isinstance(target, ast.Name):
        values = value_origins(model, target)
        return bool(values) and all(is_stderr(model, v) for v in values)
    return False


def _mentions_any(model: ModuleModel, node: ast.AST, names: tuple[str, ...]) -> bool:
    for n in ast.walk(node):
        if isinstance(n, ast.Attribute) and n.attr in names:
            return True
        if isinstance(n, ast.Name) and n.id in names:
            return True
    return False


def _strings_of(model: ModuleModel, expr: ast.expr, depth: int = 0) -> list[str]:
    """The string constants a path expression is built from (through names and branches)."""
    if depth > 3:
        return []
    out: list[str] = []
    for n in ast.walk(expr):
        if isinstance(n, ast.Constant) and isinstance(n.value, (str, bytes)):
            text = n.value
            out.append(text.decode("latin-1") if isinstance(text, bytes) else text)
        elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            for origin in value_origins(model, n):
                out.extend(_strings_of(model, origin, depth + 1))
    return out


def _opens_message_device(model: ModuleModel, call: ast.Call) -> bool:
    """``os.open("/dev/net/tun")``, ``open(f"/dev/{'tun'}{n}", ...)``, a Plan 9 ``rpc`` file."""
    q = model.call_qualname(call)
    if q not in ("os.open", "builtins.open", "io.open", "io.FileIO"):
        return False
    path = call_arg(call, 0, "path" if q == "os.open" else "file")
    if path is None:
        return False
    parts = _strings_of(model, path)
    text = "".join(parts)
    if "/dev/net/tun" in text:
        return True
    if any(p.startswith("/dev/") for p in parts) and any(
        p.strip("/").startswith(_TUN_WORDS) for p in parts
    ):
        return True
    if text.startswith("/dev/") and text[5:].startswith(_TUN_WORDS):
        return True
    # Plan 9's factotum and its kin talk through an "rpc" file, one message per write.
    return bool(parts) and (parts[-1].endswith("/rpc") or parts[-1] == "rpc")


def message_oriented(model: ModuleModel, target: ast.expr | None) -> bool:
    """A descriptor that takes each write whole or fails: tun/tap devices, Plan 9 RPC files,
    datagram, raw and ``SOCK_SEQPACKET`` sockets (a write-all loop would split a packet)."""
    if target is None:
        return False
    kind = model.kind_of(target)
    if kind is not None and kind.category is Category.SOCKET and kind.datagram:
        return True
    # Every object the name may hold must be one: ``sock`` bound to a TCP connection in one
    # branch and to a UDP socket in another is still a stream in the first.
    made = creations(model, target)
    return bool(made) and all(_makes_message_descriptor(model, call) for call in made)


def _makes_message_descriptor(model: ModuleModel, call: ast.Call) -> bool:
    if _opens_message_device(model, call):
        return True
    # socketpair(AF_UNIX, SOCK_SEQPACKET), or a library's socket class built with a message
    # type (``SocketBase(AF_ROUTE, SOCK_RAW)``).
    args = [*call.args, *(k.value for k in call.keywords)]
    return any(_mentions_any(model, a, _MESSAGE_TYPES) for a in args)


def _fresh_socket(model: ModuleModel, target: ast.expr, at: ast.AST) -> bool:
    """A socket created (or accepted) in the function of ``at``: its send buffer is empty."""
    func = model.enclosing_function(at)
    made = creations(model, target)
    return bool(made) and all(
        model.enclosing_function(c) is func and not model.enclosing_loops(c) for c in made
    )


def _is_socket(model: ModuleModel, target: ast.expr) -> bool:
    kind = model.kind_of(target)
    if kind is not None and kind.category is Category.SOCKET:
        return True
    if isinstance(target, ast.Call) and method_name(target) == "fileno":
        receiver = receiver_of(target)
        inner = model.kind_of(receiver) if receiver is not None else None
        return inner is not None and inner.category is Category.SOCKET
    return any(model.call_qualname(c) in _SOCKET_FACTORIES for c in creations(model, target))


# ----------------------------------------------------------------------- repetition


def _conditional_in_loop(model: ModuleModel, node: ast.AST, loop: ast.stmt) -> bool:
    """``node`` runs only on some turns of ``loop``: an ``if`` sits between them (a prompt
    answered once, not a write on every turn)."""
    for anc in model.ancestors(node):
        if anc is loop:
            return False
        if isinstance(anc, (ast.If, ast.IfExp)):
            return True
    return False


def written_once(model: ModuleModel, call: ast.Call, socket_target: bool) -> bool:
    """Not the same write on every turn of a loop (or comprehension). A pipe or pty write
    answering a prompt inside a read loop counts as once; on a socket any loop repeats it."""
    for anc in model.ancestors(call):
        if isinstance(anc, FUNCTION_NODES):
            break
        if isinstance(anc, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return False
    loops = model.enclosing_loops(call)
    if not loops:
        return True
    return not socket_target and _conditional_in_loop(model, call, loops[-1])


def small_write_once(
    model: ModuleModel, call: ast.Call, target: ast.expr | None, payload: ast.expr | None
) -> bool:
    """A payload bounded by construction to ``SMALL_WRITE`` bytes, written once to a pipe, a
    pty, a descriptor or file, or a socket created in this function: taken whole."""
    bound = payload_bound(model, payload)
    if bound is None or bound > SMALL_WRITE or target is None:
        return False
    socket_target = _is_socket(model, target)
    if not written_once(model, call, socket_target):
        return False
    # A long-lived socket may have a nearly full send buffer: only a fresh one is known empty.
    return not socket_target or _fresh_socket(model, target, call)


def fills_buffer(model: ModuleModel, call: ast.Call) -> bool:
    """``while True: send(junk)`` until ``BlockingIOError``: a test filling a buffer on
    purpose, which does not care how much each write took."""
    loops = model.enclosing_loops(call)
    if not loops or not isinstance(loops[-1], ast.While):
        return False
    loop = loops[-1]
    if not (isinstance(loop.test, ast.Constant) and loop.test.value):
        return False
    for info in covering_handlers(model, loop):
        if info.caught is not None and "BlockingIOError" in info.caught:
            return all(isinstance(s, (ast.Pass, ast.Break)) for s in info.handler.body)
    return False


# ----------------------------------------------------------------------- diagnostics


_EXIT_CALLS = frozenset({"os._exit", "os.abort"})
_QUIET_CALLS = frozenset({"os.close", "os.fsync"})


def _is_exit(model: ModuleModel, stmt: ast.stmt, closing: ast.expr | None = None) -> bool:
    """``os._exit(...)``, or (when ``closing`` is given) the close of that very descriptor:
    either way nothing more goes down the stream."""
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return False
    call = stmt.value
    if model.call_qualname(call) in _EXIT_CALLS:
        return True
    if closing is None:
        return False
    key = ast.dump(closing)
    if model.call_qualname(call) == "os.close" and call.args:
        return ast.dump(call.args[0]) == key
    receiver = receiver_of(call)
    return method_name(call) == "close" and receiver is not None and ast.dump(receiver) == key


def _harmless_step(model: ModuleModel, stmt: ast.stmt) -> bool:
    """A statement between the last write and ``os._exit`` that writes nothing more."""
    if isinstance(stmt, ast.Pass):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        call = stmt.value
        return model.call_qualname(call) in _QUIET_CALLS or method_name(call) in ("close", "flush")
    return False


def _then_exits(model: ModuleModel, stmt: ast.stmt, closing: ast.expr | None = None) -> bool:
    """The process ends (``os._exit``) right after ``stmt``, or ``closing`` is closed: only
    closes and flushes between, in the rest of its block, then in the blocks around it, or in
    a ``finally`` around it."""
    node: ast.AST = stmt
    while True:
        parent = model.parent(node)
        if parent is None or isinstance(parent, ast.ClassDef):
            return False
        if isinstance(parent, ast.Try) and any(
            _is_exit(model, s, closing) for s in parent.finalbody
        ):
            if not any(node is s for s in parent.finalbody):
                return True
        body = _block_of(parent, node)
        if body is not None:
            after = body[body.index(node) + 1 :] if node in body else []
            for s in after:
                if _is_exit(model, s, closing):
                    return True
                if not _harmless_step(model, s):
                    return False
        if isinstance(parent, FUNCTION_NODES):
            return False  # the function returns: its caller goes on
        if isinstance(parent, ast.ExceptHandler):
            # Go on after the whole ``try``, whose ``finally`` runs first.
            try_node = model.parent(parent)
            if not isinstance(try_node, ast.Try):
                return False
            if any(_is_exit(model, s, closing) for s in try_node.finalbody):
                return True
            node = try_node
            continue
        if isinstance(parent, (ast.For, ast.AsyncFor, ast.While)):
            return False  # the loop turns again: not the end of the process
        if isinstance(parent, ast.Try) and any(node is s for s in parent.body) and parent.orelse:
            return False  # the else clause runs next: not followed here
        node = parent


def _block_of(parent: ast.AST, node: ast.AST) -> list[ast.stmt] | None:
    for field in ("body", "orelse", "finalbody", "handlers"):
        block = getattr(parent, field, None)
        if isinstance(block, list) and any(node is s for s in block):
            return block
    return None


def _in_handler(model: ModuleModel, node: ast.AST) -> bool:
    for anc in model.ancestors(node):
        if isinstance(anc, (*FUNCTION_NODES, ast.ClassDef)):
            return False
        if isinstance(anc, ast.ExceptHandler):
            return True
    return False


def _errors_ignored(model: ModuleModel, call: ast.Call) -> bool:
    """The write sits in ``try: ... except OSError: pass`` (or a broader handler that does
    nothing): its author accepts that it may not arrive."""
    for info in covering_handlers(model, call):
        if info.caught is None or info.caught & {"OSError", "Exception", "BaseException"}:
            return all(isinstance(s, (ast.Pass, ast.Continue)) for s in info.handler.body)
    return False


_TRACEBACK_CALLS = frozenset(
    {
        "traceback.format_exc",
        "traceback.format_exception",
        "traceback.format_tb",
        "traceback.format_exception_only",
        "sys.exc_info",
    }
)
_EXCEPTION_TYPES = frozenset({"builtins.Exception", "builtins.BaseException", "builtins.OSError"})


def error_report(model: ModuleModel, payload: ast.expr | None, depth: int = 0) -> bool:
    """The payload is built from an exception: a name bound by ``except ... as e``, a
    parameter annotated ``Exception``, or a formatted traceback."""
    if payload is None or depth > 2:
        return False
    for node in ast.walk(payload):
        if isinstance(node, ast.Call) and model.call_qualname(node) in _TRACEBACK_CALLS:
            return True
        if not isinstance(node, ast.Name) or not isinstance(node.ctx, ast.Load):
            continue
        for b in model.bindings_of(node.id, node) or ():
            if b.kind == "other" and isinstance(b.node, ast.ExceptHandler):
                return True
            if b.kind == "param" and b.annotation is not None:
                if model.qualname(b.annotation) in _EXCEPTION_TYPES:
                    return True
        if any(error_report(model, v, depth + 1) for v in value_origins(model, node)):
            return True
    return False


def best_effort_diagnostic(
    model: ModuleModel, call: ast.Call, target: ast.expr | None, payload: ast.expr | None
) -> bool:
    """A last word, not data: a write to stderr or from an ``except`` clause right before
    ``os._exit``; an error report (built from an exception) written once and its descriptor
    closed or the process ended right after; a write to stderr whose errors are ignored."""
    stmt = model.statement_of(call)
    stderr = is_stderr(model, target)
    if stmt is not None:
        if (stderr or _in_handler(model, call)) and _then_exits(model, stmt):
            return True
        if (
            target is not None
            and not model.enclosing_loops(call)
            and error_report(model, payload)
            and _then_exits(model, stmt, closing=target)
        ):
            return True
    return stderr and _errors_ignored(model, call)


# ----------------------------------------------------------------------- reads (IO103, IO104)


def truth_guarded(model: ModuleModel, use: ast.AST, name: str) -> bool:
    """``msg and msg[0]``, ``msg[0] if msg else None``: the subscript only runs when ``name``
    is non-empty, so an index or slice of it cannot fail on an empty read."""
    child = use
    for anc in model.ancestors(use):
        if isinstance(anc, ast.BoolOp) and isinstance(anc.op, ast.And):
            earlier = anc.values[: next(i for i, v in enumerate(anc.values) if v is child)]
            if any(_tests_name(v, name) for v in earlier):
                return True
        if isinstance(anc, ast.IfExp) and anc.body is child and _tests_name(anc.test, name):
            return True
        if isinstance(anc, (ast.stmt, *FUNCTION_NODES)):
            return False
        child = anc
    return False


def _tests_name(test: ast.expr, name: str) -> bool:
    if isinstance(test, ast.Name):
        return test.id == name
    if isinstance(test, ast.Compare):
        return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(test))
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "len":
        return any(isinstance(a, ast.Name) and a.id == name for a in test.args)
    return False


# Methods whose name says "the input ended": wherever the loop calls them, it hands EOF on.
_PARSER_EOF_METHODS = frozenset({"feed_eof", "eof_received", "set_eof", "on_eof"})
# ``close()`` and ``feed(b"")`` end a parser's input only on the branch taken at EOF.
_PARSER_FEED_METHODS = frozenset({"feed", "feed_data", "receive_data", "parse"})


def eof_handed_to_parser(
    model: ModuleModel, loop: ast.While, read_call: ast.Call, result: str | None
) -> bool:
    """The loop tells a parser that the input ended (``p.feed_eof()``, or ``p.feed(b"")`` or
    ``p.close()`` on the branch that tests what was read), and the parser ends the loop by
    returning or raising: EOF is handled there, not in the loop's own tests."""
    read_receiver = receiver_of(read_call)
    for node in ast.walk(loop):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name = node.func.attr
        receiver = node.func.value
        if read_receiver is not None and ast.dump(receiver) == ast.dump(read_receiver):
            continue  # closing the stream it reads is not telling a parser
        if name in _PARSER_EOF_METHODS:
            return True
        empty_feed = (
            name in _PARSER_FEED_METHODS
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value in (b"", "")
        )
        if (empty_feed or (name == "close" and not node.args)) and _on_eof_branch(
            model, node, loop, result
        ):
            return True
    return False


def _on_eof_branch(model: ModuleModel, node: ast.AST, loop: ast.While, result: str | None) -> bool:
    """``node`` sits in an ``if`` (either branch) that tests the read's result."""
    if result is None:
        return False
    for anc in model.ancestors(node):
        if anc is loop:
            return False
        if isinstance(anc, ast.If) and any(
            isinstance(n, ast.Name) and n.id == result for n in ast.walk(anc.test)
        ):
            return True
    return False


# ----------------------------------------------------------------------- close (IO403)


def _nonblocking_flags(model: ModuleModel, call: ast.Call) -> bool:
    flags = call_arg(call, 1, "flags")
    return flags is not None and (
        model.mentions(flags, "os.O_NONBLOCK") or model.mentions(flags, "os.O_NDELAY")
    )


def _made_fifo(model: ModuleModel, path: ast.expr) -> bool:
    """``os.mkfifo`` was called on the same path expression in the same function."""
    func = model.enclosing_function(path)
    key = ast.dump(path)
    return any(
        model.call_qualname(c) == "os.mkfifo"
        and c.args
        and ast.dump(c.args[0]) == key
        and model.enclosing_function(c) is func
        for c in model.calls_named("mkfifo")
    )


_NOT_A_FILE_NAME = re.compile(r"pipe|fifo|sock|tty|pty|conn", re.IGNORECASE)


def defers_close_errors(model: ModuleModel, closed: ast.expr) -> bool:
    """Whether closing ``closed`` can report a write error that the writes did not (a regular
    file on a disk or NFS). Pipes, FIFOs, sockets, ptys and ``O_NONBLOCK`` descriptors cannot:
    their close has no deferred data to fail on. Unknown origins count as files."""
    made = creations(model, closed)
    if not made:
        # Unknown origin: a file unless its name says otherwise (``pipe_w``, ``conn``).
        return not _NOT_A_FILE_NAME.search(_spelling(closed))
    for call in made:
        q = model.call_qualname(call)
        if q in _PIPE_FACTORIES or q in _SOCKET_FACTORIES or q == "socket.create_server":
            return False
        if q == "os.fdopen" and call.args:
            return defers_close_errors(model, call.args[0])
        if q in ("os.open", "builtins.open", "io.open", "io.FileIO") and call.args:
            path = call.args[0]
            if q == "os.open" and _nonblocking_flags(model, call):
                return False
            if _made_fifo(model, path):
                return False
            text = "".join(_strings_of(model, path))
            if text.startswith("/dev/") or "fifo" in _spelling(path).lower():
                return False
    return True


def in_test_code(model: ModuleModel, node: ast.AST) -> bool:
    """``node`` is in a test: a ``test*`` function or a ``Test*`` class of a test module
    (``test_*.py``, ``*_test.py``, a ``tests`` directory, ``conftest.py``, or a module that
    imports ``pytest`` or ``unittest``). An exception there fails the test, which reports it:
    no program crashes."""
    path = model.path.replace("\\", "/")
    base = path.rsplit("/", 1)[-1]
    test_module = (
        base.startswith("test_")
        or base.endswith("_test.py")
        or base == "conftest.py"
        or "/tests/" in f"/{path}"
        or "/test/" in f"/{path}"
    )
    if ("/tests/" in f"/{path}" or "/test/" in f"/{path}") and not any(
        isinstance(anc, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        for anc in model.ancestors(node)
    ):
        # A script in a test directory, run by the tests (a child that echoes a line back
        # through a pty): its module-level code only serves them.
        return True
    # Once per module (a model fact): scanning the module's bindings for every finding was
    # quadratic in the size of a file (20000 functions took minutes).
    if not test_module and not model.fact(_imports_test_framework):
        return False
    for anc in model.ancestors(node):
        if isinstance(anc, (ast.FunctionDef, ast.AsyncFunctionDef)) and anc.name.startswith("test"):
            return True
        if isinstance(anc, ast.ClassDef) and anc.name.startswith("Test"):
            return True
    return False


def _imports_test_framework(model: ModuleModel) -> bool:
    return any(
        b.kind == "import" and (b.qualname or "").split(".")[0] in ("pytest", "unittest")
        for bindings in model.module_scope.bindings.values()
        for b in bindings
    )


def expects_exception(model: ModuleModel, node: ast.AST) -> bool:
    """``node`` runs in ``with self.assertRaises(...)``/``with pytest.raises(...)``: a test
    that the call fails, so its failure is no crash and it has no count, data or EOF to
    handle."""
    for anc in model.ancestors(node):
        if isinstance(anc, (*FUNCTION_NODES, ast.ClassDef)):
            return False
        if not isinstance(anc, (ast.With, ast.AsyncWith)):
            continue
        for item in anc.items:
            ctx = item.context_expr
            if not isinstance(ctx, ast.Call):
                continue
            if model.call_qualname(ctx) in ("pytest.raises", "unittest.TestCase.assertRaises"):
                return True
            name = method_name(ctx)
            if name is not None and name.startswith("assertRaises"):
                return True
    return False


def created_empty(model: ModuleModel, call: ast.Call) -> bool:
    """``fd = os.open(path, O_CREAT | O_EXCL)`` whose descriptor is only closed: a lock
    taken by creating a file, which stays empty, so its mode bits (executable or not) change
    nothing anyone reads or runs. Without ``O_EXCL`` the file may be one that already
    exists, or be opened for writing elsewhere: not judged."""
    flags = call_arg(call, 1, "flags")
    if flags is None or not sets_flag(model, flags, "os.O_EXCL"):
        return False
    parent = model.parent(call)
    if isinstance(parent, ast.Call) and _is_os_close(model, parent):
        return True
    if not (isinstance(parent, ast.Assign) and len(parent.targets) == 1):
        return False
    target = parent.targets[0]
    if not isinstance(target, ast.Name):
        return False
    uses = model.uses_after(target.id, parent)
    return bool(uses) and all(
        isinstance(model.parent(u), ast.Call) and _is_os_close(model, model.parent(u))  # type: ignore[arg-type]
        for u in uses
    )


def _is_os_close(model: ModuleModel, call: ast.Call) -> bool:
    return model.call_qualname(call) == "os.close" and len(call.args) == 1


# ----------------------------------------------------------------------- parting notices


def _statement_of(model: ModuleModel, node: ast.AST) -> ast.stmt | None:
    current: ast.AST | None = node
    while current is not None and not isinstance(current, ast.stmt):
        current = model.parent(current)
    return current


def parting_notice(model: ModuleModel, call: ast.Call) -> bool:
    """A payload bounded to ``SMALL_WRITE`` bytes, sent once, on a path that raises right after
    in the same block (``sock.sendall(alert)``; close; ``raise SSLError``): a last word to the
    peer on a connection being abandoned. Its few bytes fit any socket buffer that is not
    already full, and even then the error path raises either way, only with another error."""
    payload = call.args[0] if call.args else None
    bound = payload_bound(model, payload)
    if bound is None or bound > SMALL_WRITE or not written_once(model, call, True):
        return False
    stmt = _statement_of(model, call)
    parent = model.parent(stmt) if stmt is not None else None
    if stmt is None or parent is None:
        return False
    block = _block_of(parent, stmt)
    if block is None:
        return False
    rest = block[next(i for i, s in enumerate(block) if s is stmt) + 1 :]
    if not rest or not isinstance(rest[-1], ast.Raise):
        return False
    return all(isinstance(s, (ast.Expr, ast.Assign, ast.AnnAssign)) for s in rest[:-1])
