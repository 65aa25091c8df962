"""Durability facts: per function, in source order, what is written, synced and published.

One linear pass over each function that touches files records the files it opens for
writing (with their mode, buffering, path expression and temp-file origin), and the events on
them: writes, flushes, fsyncs (every form :mod:`iolint.model.fsync` knows), closes (explicit
and ``with`` exits); and, function-wide, publishes (``os.rename``/``os.replace``/
``Path.rename``/``Path.replace``/``shutil.move``), unlinks, global ``os.sync()`` calls and
fsyncs of other things (directories). Platform guards (``os.name``, ``sys.platform``,
``platform.system()``) are answered by :func:`reachable_platforms`.

The pass is flow-insensitive on purpose: branches are visited in source order (``if`` body,
then ``else``), so "between the last write and the publish" means "in between in the text".
Everything it cannot follow (an object passed to an unknown function, an fsync of an unknown
descriptor) is recorded as such, and the rules read those records as reasons for silence.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from iolint.model.effects import helper_temp_file, publish_alias, written_argument
from iolint.model.fsync import is_direct_fsync, is_fsync_call
from iolint.model.kinds import call_arg, literal_int, literal_str
from iolint.model.module import ModuleModel
from iolint.model.scopes import dotted_name
from iolint.model.writer_calls import written_arguments
from iolint.stdlib_names import in_stdlib

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)

OPEN_FUNCS = frozenset({"builtins.open", "io.open", "codecs.open"})
TEMP_FILE_FUNCS = frozenset({"tempfile.NamedTemporaryFile"})
# Calls that write the file object passed at the given position.
DUMPERS: dict[str, int] = {
    "json.dump": 1,
    "pickle.dump": 1,
    "marshal.dump": 1,
    "plistlib.dump": 1,
    "yaml.dump": 1,
    "yaml.safe_dump": 1,
    "yaml.dump_all": 1,
    "yaml.safe_dump_all": 1,
    "toml.dump": 1,
    "tomli_w.dump": 1,
    "tomlkit.dump": 1,
    "shutil.copyfileobj": 1,
    "csv.writer": 0,
    "csv.DictWriter": 0,
}
OS_FD_WRITES = frozenset(
    {"os.write", "os.pwrite", "os.writev", "os.pwritev", "os.ftruncate", "os.posix_fallocate"}
)
PUBLISH_FUNCS = {"os.rename": "os.rename", "os.replace": "os.replace", "shutil.move": "shutil.move"}
UNLINK_FUNCS = frozenset({"os.remove", "os.unlink"})
# Copies that write the destination in place (open, truncate, write): never atomic.
COPY_FUNCS = frozenset({"shutil.copy", "shutil.copyfile", "shutil.copy2"})
# Module-level loaders that accept a path as well as a file (``frontmatter.load(path)``,
# ``toml.load(path)``, ``np.load(path)``): given a path, they read that file. Given an open
# file instead, the ``open()`` that made it is the read already recorded.
LOADER_NAMES = frozenset({"load", "safe_load", "full_load", "unsafe_load"})
# Names whose presence in a function makes it worth analyzing.
INTERESTING_CALLS = (
    "open",
    "fdopen",
    "mkstemp",
    "mktemp",
    "NamedTemporaryFile",
    "write_text",
    "write_bytes",
    "rename",
    "replace",
    "move",
    "fsync",
    "fdatasync",
    "sync",
)
# Paths whose value is new on every call: a write there creates, it does not overwrite.
_FRESH_NAME_CALLS = frozenset(
    {
        "time.time",
        "time.time_ns",
        "time.monotonic",
        "time.monotonic_ns",
        "time.perf_counter",
        "time.strftime",
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.date.today",
        "os.getpid",
    }
)
# A project clock object's reading (``self.clock.dump_to_str()``, ``timestamp()``) in a name.
_CLOCK_CALL = re.compile(r"(?i)(^|[._])(clock|timestamp)")
_TEMP_LOOKING = re.compile(r"(?i)(tmp|temp|partial|\.part\b|\.new\b|~)")
_MODE_LITERAL = re.compile(r"^[rwxabt+U]+$")


# ---------------------------------------------------------------------------- records


@dataclass(eq=False)
class TempOrigin:
    """A ``tempfile`` call that made a file (or name) the function writes."""

    call: ast.Call
    api: str
    # The ``dir=`` argument; None when absent.
    dir: ast.expr | None
    # No ``dir=`` at all, or the system temp directory spelled out.
    system_dir: bool


@dataclass(eq=False)
class Event:
    """Something that happens to a written file.

    ``kind``: ``write`` (definite), ``use`` (passed to a call the model does not know: it may
    write, flush or sync), ``touch`` (another method call), ``flush``, ``close``, ``fsync``,
    ``maybe_fsync`` (a call named like a sync helper the model cannot see into).
    ``buffered``: a write through a buffered file object. ``view``: the spelling of the file
    object or descriptor used (``f``, ``self._f``, ``fd``), None for an unnamed object.
    """

    kind: str
    node: ast.AST
    seq: int
    buffered: bool = False
    view: str | None = None


@dataclass(eq=False)
class WrittenFile:
    """A file the function opens for writing (or may write), and what happens to it."""

    node: ast.Call
    api: str  # "open", "os.fdopen", "path.open", "path.write", "os.open", "tempfile.*"
    path: ast.expr | None
    path_keys: set[str]
    mode: str | None
    truncates: bool
    appends: bool
    exclusive: bool
    temp: TempOrigin | None
    seq: int
    # Views that are buffered file objects (spelling -> buffered?).
    views: dict[str, bool] = field(default_factory=dict)
    with_stmt: ast.With | ast.AsyncWith | None = None
    # The name bound by that ``with`` (``f`` in ``with open(p, "w") as f``).
    with_var: str | None = None
    events: list[Event] = field(default_factory=list)

    @property
    def written(self) -> bool:
        return self.api == "path.write" or any(e.kind in ("write", "use") for e in self.events)

    def events_before(self, seq: int, *kinds: str) -> list[Event]:
        return [e for e in self.events if e.seq < seq and (not kinds or e.kind in kinds)]

    def last_write(self, before: int) -> Event | None:
        writes = self.events_before(before, "write", "use")
        return writes[-1] if writes else None

    def close_event(self) -> Event | None:
        closes = [e for e in self.events if e.kind == "close"]
        return closes[0] if closes else None


@dataclass(eq=False)
class Publish:
    """``os.rename``/``os.replace``/``shutil.move``/``Path.rename``/``Path.replace``."""

    call: ast.Call
    api: str  # "os.rename", "os.replace", "shutil.move", "path.rename", "path.replace"
    source: ast.expr
    target: ast.expr
    seq: int
    # The file of the function this publishes, when its source names one.
    file: WrittenFile | None


@dataclass(eq=False)
class Sync:
    """An fsync-form call: ``file`` when it syncs a file of the function, ``scope`` tells what
    else: ``file``, ``global`` (``os.sync()``), ``other`` (a directory, another descriptor)
    or ``unknown`` (an argument the model cannot resolve)."""

    call: ast.Call
    seq: int
    scope: str
    file: WrittenFile | None
    maybe: bool  # a call merely named like a sync helper


@dataclass(eq=False)
class Unlink:
    call: ast.Call
    path: ast.expr
    seq: int


@dataclass(eq=False)
class Copy:
    """``shutil.copy(src, target)`` of a temp file the function wrote (``origin``)."""

    call: ast.Call
    source: ast.expr
    target: ast.expr
    origin: TempOrigin
    seq: int


@dataclass(eq=False)
class FunctionFacts:
    node: ast.AST  # a function, or the module for top-level code
    name: str
    files: list[WrittenFile] = field(default_factory=list)
    publishes: list[Publish] = field(default_factory=list)
    syncs: list[Sync] = field(default_factory=list)
    unlinks: list[Unlink] = field(default_factory=list)
    # Path expressions read (``open(p)``, ``p.read_text()``) and when they were first read.
    read_paths: dict[str, int] = field(default_factory=dict)
    # Reads whose name was rebound afterwards: (key, read seq, rebinding seq). A write after
    # the rebinding goes to another file (``p = src; read p; p = other; write p``).
    expired_reads: list[tuple[str, int, int]] = field(default_factory=list)
    # Temp files the function wrote, then copied (not renamed) onto their target.
    copies: list[Copy] = field(default_factory=list)

    @property
    def is_function(self) -> bool:
        return isinstance(self.node, _DEFS)

    def reads_and_writes_same_path(self) -> bool:
        """Read-modify-write: a path read, then written (a write before the read is a scratch
        file read back, not a save)."""
        return any(self.rewrites_what_it_read(f) for f in self.files if f.written)

    def rewrites_what_it_read(self, f: WrittenFile) -> bool:
        """``f`` is written to a path this function read before (under the same binding)."""

        def read_before(key: str, seq: int) -> bool:
            if self.read_paths.get(key, seq) < seq:
                return True
            return any(k == key and read < seq < dead for k, read, dead in self.expired_reads)

        return f.temp is None and any(read_before(k, f.seq) for k in f.path_keys)

    def publishes_of(self, file: WrittenFile) -> list[Publish]:
        return [p for p in self.publishes if p.file is file and p.seq > file.seq]

    def syncs_between(self, lo: int, hi: int) -> list[Sync]:
        return [s for s in self.syncs if lo < s.seq < hi]


@dataclass(frozen=True)
class DurabilityFacts:
    functions: tuple[FunctionFacts, ...]
    # Every publish of the module by call, with its function.
    by_call: dict[ast.Call, FunctionFacts]


# ---------------------------------------------------------------------------- keys


# A spelling that identifies a name or attribute chain (``f``, ``self._tmp``).
expr_key = dotted_name


def path_key(model: ModuleModel, expr: ast.expr | None) -> str | None:
    """A spelling that identifies a path expression, looking through ``str()``,
    ``os.fspath()`` and ``pathlib.Path()`` so that ``Path(tmp)`` and ``tmp`` agree."""
    if expr is None:
        return None
    while isinstance(expr, ast.Call) and len(expr.args) == 1 and not expr.keywords:
        q = model.call_qualname(expr)
        if q in ("builtins.str", "os.fspath", "pathlib.Path", "pathlib.PurePath"):
            expr = expr.args[0]
        else:
            break
    if isinstance(expr, ast.Starred):
        return None
    try:
        return ast.unparse(expr)
    except Exception:  # pragma: no cover - unparse handles every expression
        return None


# ---------------------------------------------------------------------------- platforms

WINDOWS, DARWIN, LINUX, OTHER_POSIX = "windows", "darwin", "linux", "posix"
ALL_PLATFORMS = frozenset({WINDOWS, DARWIN, LINUX, OTHER_POSIX})
POSIX = frozenset({DARWIN, LINUX, OTHER_POSIX})
_Outcome = tuple[frozenset[str], frozenset[str]]  # where the test can be true / false


def _os_name(value: str) -> frozenset[str]:
    return {"nt": frozenset({WINDOWS}), "posix": POSIX}.get(value, frozenset())


def _sys_platform(value: str, prefix: bool = False) -> frozenset[str]:
    v = value.lower()
    if v == "win32" or (prefix and "win32".startswith(v) and v):
        return frozenset({WINDOWS})
    if v == "darwin" or (prefix and "darwin".startswith(v) and v):
        return frozenset({DARWIN})
    if v.startswith("linux") or (prefix and "linux".startswith(v) and v):
        return frozenset({LINUX})
    return frozenset({OTHER_POSIX}) if v else ALL_PLATFORMS


def _platform_system(value: str) -> frozenset[str]:
    return {
        "Windows": frozenset({WINDOWS}),
        "Darwin": frozenset({DARWIN}),
        "Linux": frozenset({LINUX}),
    }.get(value, frozenset({OTHER_POSIX}))


def _strings(node: ast.expr) -> list[str] | None:
    one = literal_str(node)
    if one is not None:
        return [one]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        values = [literal_str(e) for e in node.elts]
        if all(v is not None for v in values):
            return [v for v in values if v is not None]
    return None


def _platform_subject(model: ModuleModel, node: ast.expr) -> str | None:
    q = model.call_qualname(node) if isinstance(node, ast.Call) else model.qualname(node)
    if q == "os.name":
        return "os.name"
    if q == "sys.platform":
        return "sys.platform"
    if q == "platform.system" and isinstance(node, ast.Call) and not node.args:
        return "platform.system"
    return None


def _values_set(subject: str, values: list[str]) -> frozenset[str]:
    out: frozenset[str] = frozenset()
    for v in values:
        if subject == "os.name":
            out |= _os_name(v)
        elif subject == "sys.platform":
            out |= _sys_platform(v)
        else:
            out |= _platform_system(v)
    return out


def platform_test(model: ModuleModel, test: ast.expr, depth: int = 0) -> _Outcome:
    """The platforms on which ``test`` can be true, and those on which it can be false.

    Tests that are not about the platform can be either anywhere: (ALL, ALL).
    """
    unknown = (ALL_PLATFORMS, ALL_PLATFORMS)
    if depth > 5:
        return unknown
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        t, f = platform_test(model, test.operand, depth + 1)
        return f, t
    if isinstance(test, ast.BoolOp):
        parts = [platform_test(model, v, depth + 1) for v in test.values]
        if isinstance(test.op, ast.And):
            true = ALL_PLATFORMS
            false: frozenset[str] = frozenset()
            for t, f in parts:
                true, false = true & t, false | f
            return true, false
        true, false = frozenset(), ALL_PLATFORMS
        for t, f in parts:
            true, false = true | t, false & f
        return true, false
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, op, right = test.left, test.ops[0], test.comparators[0]
        subject = _platform_subject(model, left)
        other = right
        if subject is None:
            subject, other = _platform_subject(model, right), left
            if isinstance(op, (ast.In, ast.NotIn)):
                subject = None
        if subject is None:
            return unknown
        values = _strings(other)
        if values is None:
            return unknown
        matched = _values_set(subject, values)
        if isinstance(op, (ast.Eq, ast.Is, ast.In)):
            return matched, ALL_PLATFORMS - matched if len(values) == 1 else ALL_PLATFORMS
        if isinstance(op, (ast.NotEq, ast.IsNot, ast.NotIn)):
            return ALL_PLATFORMS - matched if len(values) == 1 else ALL_PLATFORMS, matched
        return unknown
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute):
        if test.func.attr == "startswith" and len(test.args) == 1:
            if model.qualname(test.func.value) == "sys.platform":
                prefixes = _strings(test.args[0])
                if prefixes is not None:
                    starts: frozenset[str] = frozenset()
                    for v in prefixes:
                        starts |= _sys_platform(v, prefix=True)
                    return starts, ALL_PLATFORMS
        return unknown
    if isinstance(test, ast.Call) and model.call_qualname(test) == "builtins.hasattr":
        if len(test.args) == 2 and literal_str(test.args[1]) == "F_FULLFSYNC":
            # Only macOS defines F_FULLFSYNC.
            return frozenset({DARWIN}), ALL_PLATFORMS - {DARWIN}
        return unknown
    if isinstance(test, ast.Name):
        # ``WINDOWS = os.name == "nt"`` at module level, then ``if WINDOWS:``.
        bindings = model.bindings_of(test.id, test)
        if bindings and len(bindings) == 1:
            b = bindings[0]
            if b.kind == "assign" and b.index is None and b.value is not None:
                return platform_test(model, b.value, depth + 1)
    return unknown


def _exits(body: list[ast.stmt]) -> bool:
    return bool(body) and isinstance(body[-1], (ast.Return, ast.Raise, ast.Continue, ast.Break))


def reachable_platforms(model: ModuleModel, node: ast.AST) -> frozenset[str]:
    """The platforms on which ``node`` can run, from the ``if`` tests around it (through
    function boundaries) and earlier ``if <platform>: return`` guards in the same blocks."""
    reach = ALL_PLATFORMS
    child: ast.AST = node
    for anc in model.ancestors(node):
        if isinstance(anc, (ast.If, ast.IfExp)):
            if (isinstance(anc, ast.If) and any(child is s for s in anc.body)) or (
                isinstance(anc, ast.IfExp) and child is anc.body
            ):
                reach &= platform_test(model, anc.test)[0]
            elif (isinstance(anc, ast.If) and any(child is s for s in anc.orelse)) or (
                isinstance(anc, ast.IfExp) and child is anc.orelse
            ):
                reach &= platform_test(model, anc.test)[1]
        for body in _bodies(anc):
            for i, stmt in enumerate(body):
                if stmt is child:
                    for earlier in body[:i]:
                        if (
                            isinstance(earlier, ast.If)
                            and not earlier.orelse
                            and _exits(earlier.body)
                        ):
                            reach &= platform_test(model, earlier.test)[1]
                    break
        child = anc
    return reach


def _bodies(node: ast.AST) -> Iterator[list[ast.stmt]]:
    for name in ("body", "orelse", "finalbody"):
        value = getattr(node, name, None)
        if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
            yield value


# ---------------------------------------------------------------------------- the pass

_View = tuple[WrittenFile, bool]  # (file, buffered file object?)
_SYNC_NAME = re.compile(r"(?i)(?<!a)sync")
_OS_SYNC_SPELLING = re.compile(r"\bsync\b")


def _may_sync(model: ModuleModel) -> bool:
    text = model.source.text
    if "fsync" in text or "fdatasync" in text or "FSYNC" in text:
        return True
    return _OS_SYNC_SPELLING.search(text) is not None


_OTHER_FD = "other"  # a descriptor of something that is not a file of the function


class _Walker:
    """Visits one function's statements in source order and records its durability facts."""

    def __init__(self, model: ModuleModel, facts: FunctionFacts) -> None:
        self.model = model
        self.facts = facts
        self.seq = 0
        self.objs: dict[str, _View | None] = {}
        self.fds: dict[str, WrittenFile | str | None] = {}
        self.temp_paths: dict[str, TempOrigin] = {}
        # Calls that evaluate to a file of the function: (file, buffered object?, descriptor?).
        self.created: dict[ast.Call, tuple[WrittenFile, bool, bool]] = {}
        self.other_fd_calls: set[ast.Call] = set()
        self.mkstemps: dict[ast.Call, WrittenFile] = {}
        # Every fsync form, helpers included, spells "sync" somewhere in the module: without
        # it, skip the (module-wide, fixed-point) helper analysis altogether.
        self.may_sync = model.fact(_may_sync)
        self.mktemps: dict[ast.Call, TempOrigin] = {}
        # ``urlretrieve(url)`` calls with no ``filename``: (temp name, headers) tuples.
        self.downloads: dict[ast.Call, WrittenFile] = {}

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    # -------------------------------------------------------------- statements
    def body(self, stmts: list[ast.stmt]) -> None:
        for s in stmts:
            self.stmt(s)

    def stmt(self, s: ast.stmt) -> None:
        if isinstance(s, (*_DEFS, ast.ClassDef)):
            return
        if isinstance(s, (ast.With, ast.AsyncWith)):
            opened: list[WrittenFile] = []
            for item in s.items:
                self.expr(item.context_expr)
                found = self.resolve(item.context_expr)
                if isinstance(item.context_expr, ast.Call) and isinstance(found, tuple):
                    # ``with open(...) as f`` / ``with os.fdopen(fd) as f``: closed at exit.
                    opened.append(found[0])
                    if found[0].with_stmt is None:
                        found[0].with_stmt = s
                        if isinstance(item.optional_vars, ast.Name):
                            found[0].with_var = item.optional_vars.id
                if item.optional_vars is not None:
                    self.bind(item.optional_vars, item.context_expr)
            self.body(s.body)
            for f in reversed(opened):
                self.event(f, "close", s)
            return
        if isinstance(s, ast.Assign):
            self.expr(s.value)
            for t in s.targets:
                self.bind(t, s.value)
            return
        if isinstance(s, ast.AnnAssign):
            if s.value is not None:
                self.expr(s.value)
                self.bind(s.target, s.value)
            return
        if isinstance(s, ast.If) and s.orelse:
            self.if_else(s)
            return
        if isinstance(s, (ast.For, ast.AsyncFor)):
            self.expr(s.iter)
            self.bind(s.target, None)
            self.body(s.body)
            self.body(s.orelse)
            return
        for child in ast.iter_child_nodes(s):
            self.node(child)

    def if_else(self, s: ast.If) -> None:
        """Both branches in source order; a name that one branch binds to a file of the
        function and the other to something the model does not know (``f = open(new, "w")``
        / ``f = self.archive.roll()``) may still be that file after the ``if``: writes
        through it count."""
        self.expr(s.test)
        self.body(s.body)
        after_body = dict(self.objs), dict(self.fds)
        self.body(s.orelse)
        for table, before in ((self.objs, after_body[0]), (self.fds, after_body[1])):
            for key, value in before.items():
                if key not in table and isinstance(value, (tuple, WrittenFile)):
                    table[key] = value  # type: ignore[assignment]

    def node(self, n: ast.AST) -> None:
        if isinstance(n, ast.stmt):
            self.stmt(n)
        elif isinstance(n, ast.expr):
            self.expr(n)
        else:  # except handlers, match cases, keywords...
            for child in ast.iter_child_nodes(n):
                self.node(child)

    # -------------------------------------------------------------- expressions
    def expr(self, e: ast.expr) -> None:
        calls = _calls_in_expr(e)
        # Inner calls are evaluated first: order by where each call ends.
        calls.sort(key=lambda c: (c.end_lineno or 0, c.end_col_offset or 0))
        for c in calls:
            if isinstance(c, ast.Yield):
                self.yielded(c)
            else:
                self.call(c)

    def yielded(self, y: ast.Yield) -> None:
        """``yield f`` in a generator (a ``@contextmanager`` atomic writer): the caller's
        ``with`` body writes the file while the generator is suspended."""
        found = self.resolve(y.value) if y.value is not None else None
        if isinstance(found, tuple):
            self.event(found[0], "use", y, view=expr_key(y.value) if y.value else None)

    def bind(self, target: ast.expr, value: ast.expr | None) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            if isinstance(value, ast.Call) and value in self.mkstemps and len(target.elts) == 2:
                file = self.mkstemps[value]
                fd_key, name_key = expr_key(target.elts[0]), path_key(self.model, target.elts[1])
                if fd_key:
                    self.objs.pop(fd_key, None)
                    self.fds[fd_key] = file
                if name_key:
                    file.path_keys.add(name_key)
                    if file.temp is not None:
                        self.temp_paths[name_key] = file.temp
                return
            if isinstance(value, ast.Call) and value in self.downloads and len(target.elts) == 2:
                file = self.downloads[value]
                name_key = path_key(self.model, target.elts[0])
                if name_key and file.temp is not None:
                    file.path_keys.add(name_key)
                    self.temp_paths[name_key] = file.temp
                return
            if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts):
                for t, v in zip(target.elts, value.elts):
                    self.bind(t, v)
                return
            for t in target.elts:
                self.bind(t.value if isinstance(t, ast.Starred) else t, None)
            return
        key = expr_key(target)
        if key is None:
            return
        # The value is evaluated before the name is rebound: ``fd = os.dup(fd)``.
        found = self.resolve(value) if value is not None else None
        self.objs.pop(key, None)
        self.fds.pop(key, None)
        self.temp_paths.pop(key, None)
        if key in self.facts.read_paths:
            read = self.facts.read_paths.pop(key)
            self.facts.expired_reads.append((key, read, self.next_seq()))
        if value is None:
            return
        if isinstance(found, tuple):
            file, buffered, is_fd = found
            if is_fd:
                self.fds[key] = file
            else:
                self.objs[key] = (file, buffered)
                file.views[key] = buffered
                if file.api in TEMP_FILE_FUNCS:
                    file.path_keys.add(f"{key}.name")
            return
        if found == _OTHER_FD:
            self.fds[key] = _OTHER_FD
            return
        if isinstance(value, ast.Call) and value in self.mktemps:
            self.temp_paths[key] = self.mktemps[value]
            return
        # ``tmp = f.name`` / ``tmp = Path(name)``: another spelling of a file's path.
        pk = path_key(self.model, value)
        if pk is not None:
            for file in self.facts.files:
                if pk in file.path_keys:
                    file.path_keys.add(key)
            if pk in self.temp_paths:
                self.temp_paths[key] = self.temp_paths[pk]

    def resolve(self, e: ast.expr) -> tuple[WrittenFile, bool, bool] | str | None:
        """(file, buffered, is_fd) for an expression naming a file object or descriptor of
        a written file; ``_OTHER_FD`` for a known descriptor of something else."""
        if isinstance(e, ast.Call):
            if e in self.created:
                return self.created[e]
            if e in self.other_fd_calls:
                return _OTHER_FD
            if _method(e) == "fileno" and not e.args:
                inner = self.resolve(e.func.value)  # type: ignore[attr-defined]
                if isinstance(inner, tuple):
                    return inner[0], False, True
                return None
            q = self.model.call_qualname(e)
            if q == "typing.cast" and len(e.args) == 2:
                return self.resolve(e.args[1])
            if q == "os.dup" and len(e.args) == 1:
                # A duplicate descriptor of the same open file: fsyncing it syncs the file.
                inner = self.resolve(e.args[0])
                return (inner[0], False, True) if isinstance(inner, tuple) else None
            return None
        key = expr_key(e)
        if key is None:
            return None
        view = self.objs.get(key)
        if view is not None:
            return view[0], view[1], False
        fd = self.fds.get(key)
        if isinstance(fd, WrittenFile):
            return fd, False, True
        return fd

    def file_by_path(self, expr: ast.expr | None) -> WrittenFile | None:
        pk = path_key(self.model, expr)
        if pk is None:
            return None
        for file in reversed(self.facts.files):
            if pk in file.path_keys:
                return file
        return None

    def event(self, file: WrittenFile, kind: str, node: ast.AST, **kw: object) -> None:
        file.events.append(Event(kind, node, self.next_seq(), **kw))  # type: ignore[arg-type]

    # -------------------------------------------------------------- calls
    def call(self, c: ast.Call) -> None:
        model = self.model
        q = model.call_qualname(c)
        meth = _method(c)
        receiver = c.func.value if isinstance(c.func, ast.Attribute) else None
        receiver_is_module = receiver is not None and model.qualname(receiver) is not None

        if q in OPEN_FUNCS or q == "os.fdopen":
            self.open_like(c, q)
            return
        if q in TEMP_FILE_FUNCS:
            self.named_temporary_file(c, q)
            return
        if q == "tempfile.mkstemp":
            self.mkstemp(c)
            return
        if q == "tempfile.mktemp":
            self.mktemps[c] = _temp_origin(model, c, q, dir_pos=2)
            return
        if q == "urllib.request.urlretrieve":
            self.urlretrieve(c)
            return
        if q == "os.open":
            self.os_open(c)
            return
        if q == "os.dup":
            return  # see resolve(): the same file, not a use of it
        if (q is None or not in_stdlib(q)) and self.helper_effects(c):
            return
        if q is not None and c.args and q.rpartition(".")[2] in LOADER_NAMES:
            if self.loader_read(c):
                return
        if receiver is not None and not receiver_is_module and q is None:
            if meth == "open" and self.path_open(c, receiver):
                return
            if meth in ("write_text", "write_bytes") and len(c.args) <= 1:
                self.path_write(c, receiver)
                return
            if meth in ("read_text", "read_bytes"):
                pk = path_key(model, receiver)
                if pk:
                    self.facts.read_paths.setdefault(pk, self.next_seq())
                return
        if self.may_sync and is_fsync_call(model, c):
            self.sync(c, maybe=False)
            return
        if q in COPY_FUNCS and len(c.args) >= 2:
            self.copy_of_temp(c, c.args[0], c.args[1])  # then a use of the source, below
        elif q in PUBLISH_FUNCS and len(c.args) >= 2:
            self.publish(c, PUBLISH_FUNCS[q], c.args[0], c.args[1])
            return
        if q is None and len(c.args) == 2 and not c.keywords:
            alias = publish_alias(model, c.func)
            if alias is not None:
                self.publish(c, alias, c.args[0], c.args[1])
                return
        if (
            meth in ("rename", "replace")
            and receiver is not None
            and q is None
            and len(c.args) == 1
            and not c.keywords
        ):
            if self.file_by_path(receiver) is not None or _is_path_value(model, receiver):
                self.publish(c, f"path.{meth}", receiver, c.args[0])
                return
        if q in UNLINK_FUNCS and c.args:
            self.facts.unlinks.append(Unlink(c, c.args[0], self.next_seq()))
            return
        if meth == "unlink" and receiver is not None and q is None and not c.args:
            self.facts.unlinks.append(Unlink(c, receiver, self.next_seq()))
            return
        # Events on a file or descriptor of the function.
        if receiver is not None and q is None:
            found = self.resolve(receiver)
            if isinstance(found, tuple):
                file, buffered, is_fd = found
                view = expr_key(receiver)
                if meth in ("write", "writelines"):
                    self.event(file, "write", c, buffered=buffered and not is_fd, view=view)
                elif meth == "flush":
                    self.event(file, "flush", c, view=view)
                elif meth == "close":
                    self.event(file, "close", c, view=view)
                elif meth in ("fileno", "name"):
                    pass
                else:
                    self.event(file, "touch", c, view=view)
                return
        if q in OS_FD_WRITES and c.args:
            found = self.resolve(c.args[0])
            if isinstance(found, tuple):
                self.event(found[0], "write", c, view=expr_key(c.args[0]))
            return
        if q == "os.close" and c.args:
            found = self.resolve(c.args[0])
            if isinstance(found, tuple):
                self.event(found[0], "close", c, view=expr_key(c.args[0]))
            return
        if q in DUMPERS:
            target = call_arg(c, DUMPERS[q])
            if target is not None and self.written_through(c, target):
                return
        if q == "builtins.print":
            for kw in c.keywords:
                if kw.arg == "file":
                    found = self.resolve(kw.value)
                    if isinstance(found, tuple):
                        self.event(found[0], "write", c, buffered=found[1], view=expr_key(kw.value))
            return
        if q is not None and q.startswith("builtins.") and q != "builtins.print":
            return  # len(f), isinstance(f, ...): not writes
        callee = _callee_name(c)
        if callee is not None and _SYNC_NAME.search(callee):
            self.sync(c, maybe=True)
            return
        if q is None and self.writer_method(c):
            return
        for arg in [*c.args, *(k.value for k in c.keywords)]:
            found = self.resolve(arg)
            if isinstance(found, tuple):
                self.event(found[0], "use", c, view=expr_key(arg))

    def writer_method(self, c: ast.Call) -> bool:
        """``config.write(f)``, ``tree.write(f)``, ``x.dump(f)``: a method that serializes
        into a file of the function writes it, buffered when ``f`` is a buffered object
        (:mod:`iolint.model.writer_calls`)."""
        hit = False
        for arg in written_arguments(c):
            hit = self.written_through(c, arg) or hit
        return hit

    def written_through(self, c: ast.Call, arg: ast.expr) -> bool:
        """``c`` writes into ``arg`` (``json.dump(obj, f)``, ``parser.write(f)``): a write of
        the function's file ``arg`` names, through its buffer unless it is a descriptor."""
        found = self.resolve(arg)
        if not isinstance(found, tuple):
            return False
        file, buffered, is_fd = found
        self.event(file, "write", c, buffered=buffered and not is_fd, view=expr_key(arg))
        return True

    def helper_effects(self, c: ast.Call) -> bool:
        """A project function that returns a temp file, or writes the path it is given
        (:mod:`iolint.model.effects`): the file is the function's own from here on."""
        if not isinstance(c.func, (ast.Name, ast.Attribute)):
            return False
        temp = helper_temp_file(self.model, c)
        if temp is not None:
            origin = TempOrigin(temp.call, temp.api, temp.dir, temp.system_dir)
            file = self.new_file(
                c, "tempfile.NamedTemporaryFile", None, temp.mode, origin, not temp.raw
            )
            file.truncates = True
            return True
        path = written_argument(self.model, c)
        if path is None or isinstance(path, ast.Starred):
            return False
        file = self.new_file(c, "call.write", path, "w", self._temp_of_path(path), None)
        del self.created[c]  # the call's result is not the file
        self.event(file, "write", c)
        self.event(file, "close", c)
        return True

    # -------------------------------------------------------------- creations
    def new_file(
        self,
        c: ast.Call,
        api: str,
        path: ast.expr | None,
        mode: str | None,
        temp: TempOrigin | None,
        buffered: bool | None,
    ) -> WrittenFile:
        pk = path_key(self.model, path) if path is not None else None
        file = WrittenFile(
            node=c,
            api=api,
            path=path,
            path_keys={pk} if pk else set(),
            mode=mode,
            truncates=mode is not None and "w" in mode,
            appends=mode is not None and "a" in mode,
            exclusive=mode is not None and "x" in mode,
            temp=temp,
            seq=self.next_seq(),
        )
        self.facts.files.append(file)
        # ``open(p, "w").write(x)`` resolves its receiver through this table.
        self.created[c] = (file, bool(buffered), buffered is None)
        return file

    def open_like(self, c: ast.Call, q: str | None) -> None:
        model = self.model
        first = call_arg(c, 0, "file" if q != "os.fdopen" else "fd")
        mode_node = call_arg(c, 1, "mode")
        mode = literal_str(mode_node) if mode_node is not None else "r"
        buffering = literal_int(call_arg(c, 2, "buffering"))
        if first is None:
            return
        buffered = not (buffering == 0 and mode is not None and "b" in mode)
        # ``open(fd, ...)``/``os.fdopen(fd, ...)`` wraps a descriptor of the function.
        wrapped = self.resolve(first)
        if isinstance(wrapped, tuple) and q != "codecs.open":
            self.created[c] = (wrapped[0], buffered, False)
            return
        if q == "os.fdopen":
            if mode is not None and _writes(mode):
                self.new_file(c, "os.fdopen", None, mode, None, buffered)
            return
        if mode is not None and not _writes(mode):
            pk = path_key(model, first)
            if pk:
                self.facts.read_paths.setdefault(pk, self.next_seq())
            return
        temp = self._temp_of_path(first)
        self.new_file(c, "open", first, mode, temp, buffered)

    def _temp_of_path(self, path: ast.expr) -> TempOrigin | None:
        pk = path_key(self.model, path)
        if pk is None:
            return None
        if pk in self.temp_paths:
            return self.temp_paths[pk]
        owner = self.file_by_path(path)
        if owner is not None:
            return owner.temp
        return in_temp_directory(self.model, path)

    def path_open(self, c: ast.Call, receiver: ast.expr) -> bool:
        """``path.open("w")``: only with a literal mode (or none), so that ``zf.open(name)``
        and ``fs.open(path, "w")`` are not mistaken for it."""
        if len(c.args) > 1:
            return False
        mode_node = call_arg(c, 0, "mode")
        mode = literal_str(mode_node) if mode_node is not None else "r"
        if mode is None or not _MODE_LITERAL.match(mode):
            return False
        if not _writes(mode):
            pk = path_key(self.model, receiver)
            if pk:
                self.facts.read_paths.setdefault(pk, self.next_seq())
            return True
        buffering = literal_int(call_arg(c, 1, "buffering"))
        buffered = not (buffering == 0 and "b" in mode)
        self.new_file(c, "path.open", receiver, mode, self._temp_of_path(receiver), buffered)
        return True

    def copy_of_temp(self, c: ast.Call, source: ast.expr, target: ast.expr) -> None:
        """``shutil.copy(tmp, dst)`` where ``tmp`` is a temp file the function wrote: the
        data was staged to be put in place, and copying rewrites ``dst`` in place."""
        staged = self.file_by_path(source)
        origin = staged.temp if staged is not None else None
        if origin is None:
            pk = path_key(self.model, source)
            origin = self.temp_paths.get(pk) if pk is not None else None
        if origin is None:
            return
        if not any(
            f.written and f.temp is not None and f.temp.call is origin.call
            for f in self.facts.files
        ):
            return
        self.facts.copies.append(Copy(c, source, target, origin, self.next_seq()))

    def loader_read(self, c: ast.Call) -> bool:
        """``X.load(path)``: a read of ``path`` (a read-modify-write when the function rewrites
        it). A file object of the function passed instead is not a path; its ``open()`` was
        recorded as the read."""
        first = c.args[0]
        if self.resolve(first) is not None:
            return False
        pk = path_key(self.model, first)
        if pk is None:
            return False
        self.facts.read_paths.setdefault(pk, self.next_seq())
        return True

    def path_write(self, c: ast.Call, receiver: ast.expr) -> None:
        file = self.new_file(c, "path.write", receiver, "w", self._temp_of_path(receiver), None)
        self.event(file, "write", c)
        self.event(file, "close", c)

    def named_temporary_file(self, c: ast.Call, q: str) -> None:
        mode_node = call_arg(c, 0, "mode")
        mode = literal_str(mode_node) if mode_node is not None else "w+b"
        buffering = literal_int(call_arg(c, 1, "buffering"))
        buffered = not (buffering == 0 and mode is not None and "b" in mode)
        origin = _temp_origin(self.model, c, q, dir_pos=6)
        file = self.new_file(c, q, None, mode, origin, buffered)
        file.truncates = True

    def mkstemp(self, c: ast.Call) -> None:
        origin = _temp_origin(self.model, c, "tempfile.mkstemp", dir_pos=2)
        file = self.new_file(c, "tempfile.mkstemp", None, "w+b", origin, None)
        file.truncates = True
        self.mkstemps[c] = file
        del self.created[c]  # the call returns a tuple, not a descriptor

    def urlretrieve(self, c: ast.Call) -> None:
        """``urlretrieve(url)`` with no ``filename`` downloads into a
        ``NamedTemporaryFile(delete=False)`` of the system temp directory and returns its name
        first: renaming that name onto a target is a temp file published across directories."""
        filename = call_arg(c, 1, "filename")
        if filename is not None and not (
            isinstance(filename, ast.Constant) and filename.value is None
        ):
            return
        if any(isinstance(a, ast.Starred) for a in c.args) or any(
            k.arg is None for k in c.keywords
        ):
            return  # ``**kwargs`` may carry a filename
        origin = TempOrigin(c, "urllib.request.urlretrieve", None, system_dir=True)
        file = self.new_file(c, "urllib.request.urlretrieve", None, "wb", origin, None)
        file.truncates = True
        self.downloads[c] = file
        del self.created[c]  # the call returns a tuple, not a file

    def os_open(self, c: ast.Call) -> None:
        model = self.model
        path, flags = call_arg(c, 0, "path"), call_arg(c, 1, "flags")
        if path is None or flags is None:
            return
        flags = _follow_local(model, flags)

        def has(flag: str) -> bool:
            return model.mentions(flags, f"os.{flag}")

        owner = self.file_by_path(path)
        if has("O_WRONLY") or has("O_RDWR"):
            temp = self._temp_of_path(path)
            file = self.new_file(c, "os.open", path, None, temp, None)
            file.truncates, file.appends = has("O_TRUNC"), has("O_APPEND")
            file.exclusive = has("O_EXCL") and has("O_CREAT")
            return
        if owner is not None:
            # A read-only descriptor of a file of the function (to fsync it by path).
            self.created[c] = (owner, False, True)
            return
        if has("O_RDONLY") or has("O_DIRECTORY") or literal_int(flags) == 0:
            self.other_fd_calls.add(c)

    # -------------------------------------------------------------- syncs and publishes
    def sync(self, c: ast.Call, *, maybe: bool) -> None:
        model = self.model
        seq = self.next_seq()
        if not maybe and model.call_qualname(c) == "os.sync":
            self.facts.syncs.append(Sync(c, seq, "global", None, maybe))
            return
        args = [*c.args, *(k.value for k in c.keywords)]
        if not maybe and is_direct_fsync(model, c):
            args = args[:1]
        scope = "unknown" if args or maybe else "other"
        for arg in args:
            found = self.resolve(arg)
            file: WrittenFile | None = None
            if isinstance(found, tuple):
                file = found[0]
            elif found is None and not is_direct_fsync(model, c):
                file = self.file_by_path(arg)
            if file is not None:
                file.events.append(Event("maybe_fsync" if maybe else "fsync", c, seq))
                self.facts.syncs.append(Sync(c, seq, "file", file, maybe))
                return
            if found == _OTHER_FD or _names_directory(model, arg):
                scope = "other"
        self.facts.syncs.append(Sync(c, seq, scope, None, maybe))

    def publish(self, c: ast.Call, api: str, source: ast.expr, target: ast.expr) -> None:
        if _moves_aside(self.model, source, target):
            return
        file = self.file_by_path(source)
        self.facts.publishes.append(Publish(c, api, source, target, self.next_seq(), file))


def _moves_aside(model: ModuleModel, source: ast.expr, target: ast.expr) -> bool:
    """``os.rename(path, path + ".bak")``: a target derived from the source moves the file
    aside (a backup, a ``.deleteme`` name); it publishes nothing."""
    wanted = path_key(model, source)
    values: list[ast.AST] = [target]
    if isinstance(target, ast.Name):
        bindings = model.bindings_of(target.id, target) or []
        values.extend(b.value for b in bindings if b.value is not None)
    for value in values:
        # Only names that *extend* the source: ``tmp[:-4]`` or ``tmp.with_suffix("")`` strip
        # a temp suffix and do publish.
        parts: list[ast.AST] = []
        if isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Add, ast.Mod)):
            parts = [value.left, value.right]
            if isinstance(value.right, ast.Tuple):
                parts.extend(value.right.elts)
        elif isinstance(value, ast.JoinedStr):
            parts = [v.value for v in value.values if isinstance(v, ast.FormattedValue)]
        elif isinstance(value, ast.Call) and _method(value) == "format":
            parts = list(value.args)
        if any(ast.unparse(p) == wanted for p in parts):
            return True
    return False


def _names_directory(model: ModuleModel, expr: ast.expr) -> bool:
    """``os.path.dirname(p)``, ``p.parent``, ``self.dir``, ``target_dir``: a directory."""
    if isinstance(expr, ast.Call) and model.call_qualname(expr) == "os.path.dirname":
        return True
    if isinstance(expr, ast.Attribute) and expr.attr == "parent":
        return True
    key = expr_key(expr)
    return key is not None and "dir" in key.rsplit(".", 1)[-1].lower()


def _writes(mode: str) -> bool:
    return any(ch in mode for ch in "wax+")


def _method(c: ast.Call) -> str | None:
    return c.func.attr if isinstance(c.func, ast.Attribute) else None


def _callee_name(c: ast.Call) -> str | None:
    if isinstance(c.func, ast.Attribute):
        return c.func.attr
    if isinstance(c.func, ast.Name):
        return c.func.id
    return None


def _calls_in_expr(e: ast.AST) -> list[ast.Call | ast.Yield]:
    """The calls and yields of an expression (a ``yield f`` hands the file to the caller, who
    writes it), without entering lambdas (they run later, if ever). Names and constants, most
    of the nodes, have no calls below them and are not expanded."""
    out: list[ast.Call | ast.Yield] = []
    stack = [e]
    leaves = (ast.Name, ast.Constant)
    while stack:
        n = stack.pop()
        t = type(n)
        if t in leaves:
            continue
        if t is ast.Call or t is ast.Yield:
            out.append(n)  # type: ignore[arg-type]
        for child in ast.iter_child_nodes(n):
            if type(child) is not ast.Lambda:
                stack.append(child)
    return out


def _follow_local(model: ModuleModel, expr: ast.expr) -> ast.expr:
    """``flags = os.O_WRONLY | ...; os.open(p, flags)``: the single assigned value."""
    if isinstance(expr, ast.Name):
        bindings = model.bindings_of(expr.id, expr)
        if bindings and len(bindings) == 1:
            b = bindings[0]
            if b.kind == "assign" and b.index is None and b.value is not None:
                return b.value
    return expr


def _is_path_value(model: ModuleModel, expr: ast.expr) -> bool:
    if isinstance(expr, ast.Call):
        return model.call_qualname(expr) in ("pathlib.Path", "pathlib.PosixPath")
    if isinstance(expr, ast.Name):
        # A parameter annotated ``Path``.
        bindings = model.bindings_of(expr.id, expr)
        if bindings and all(
            b.kind == "param"
            and b.annotation is not None
            and model.qualname(b.annotation) in ("pathlib.Path", "pathlib.PosixPath")
            for b in bindings
        ):
            return True
    return model.is_path_expr(expr)


def _temp_origin(model: ModuleModel, c: ast.Call, api: str, dir_pos: int) -> TempOrigin:
    if any(isinstance(a, ast.Starred) for a in c.args) or any(k.arg is None for k in c.keywords):
        # ``**kwargs`` may carry ``dir=``: not provably the system directory.
        return TempOrigin(c, api, None, system_dir=False)
    d = call_arg(c, dir_pos, "dir")
    if d is None or (isinstance(d, ast.Constant) and d.value is None):
        return TempOrigin(c, api, d, system_dir=True)
    system = literal_str(d) in ("/tmp", "/var/tmp") or (
        isinstance(d, ast.Call) and model.call_qualname(d) == "tempfile.gettempdir"
    )
    if model.qualname(d) == "tempfile.tempdir":
        system = True
    return TempOrigin(c, api, d, system_dir=system)


_TEMP_DIR_FUNCS = frozenset({"tempfile.TemporaryDirectory", "tempfile.mkdtemp"})


def in_temp_directory(model: ModuleModel, path: ast.expr) -> TempOrigin | None:
    """``os.path.join(tmpdir, "x")`` or ``Path(tmpdir) / "x"`` (also through one local name)
    where ``tmpdir`` is the single binding ``with tempfile.TemporaryDirectory() as tmpdir`` or
    ``tmpdir = tempfile.mkdtemp()``: a file in a fresh directory that lives where the
    directory does (the system temp directory unless ``dir=`` says otherwise)."""
    path = _follow_local(model, path)
    base: ast.expr | None = None
    if isinstance(path, ast.Call) and model.call_qualname(path) == "os.path.join" and path.args:
        base = path.args[0]
    elif isinstance(path, ast.BinOp) and isinstance(path.op, ast.Div):
        base = path.left
        if isinstance(base, ast.Call) and model.call_qualname(base) in (
            "pathlib.Path",
            "pathlib.PosixPath",
        ):
            base = base.args[0] if len(base.args) == 1 else None
    if isinstance(base, ast.Call):
        # ``str(tmpdir)`` / ``cast(str, tmpdir)``: the same directory
        q = model.call_qualname(base)
        if q == "builtins.str" and len(base.args) == 1:
            base = base.args[0]
        elif q == "typing.cast" and len(base.args) == 2:
            base = base.args[1]
    if not isinstance(base, ast.Name):
        return None
    bindings = model.bindings_of(base.id, base)
    if not bindings or len(bindings) != 1:
        return None
    b = bindings[0]
    value = b.value
    if b.kind not in ("with", "assign") or b.index is not None or not isinstance(value, ast.Call):
        return None
    q = model.call_qualname(value)
    if q not in _TEMP_DIR_FUNCS:
        return None
    return _temp_origin(model, value, str(q), dir_pos=2)


# ---------------------------------------------------------------------------- entry points


def _unit_of(model: ModuleModel, node: ast.AST) -> ast.AST | None:
    for anc in model.ancestors(node):
        if isinstance(anc, _DEFS):
            return anc
        if isinstance(anc, ast.ClassDef):
            return None
    return model.tree


def _publish_aliases(model: ModuleModel) -> set[str]:
    """Module-level names bound to ``os.replace``/``os.rename`` (``swap = os.replace``)."""
    names: set[str] = set()
    for node in model.nodes(ast.Assign):
        if isinstance(node, ast.Assign) and model.qualname(node.value) in PUBLISH_FUNCS:
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def durability_facts(model: ModuleModel) -> DurabilityFacts:
    """Facts of every function (and of the top-level code) that touches files."""
    units: dict[ast.AST, None] = {}
    for call in model.calls_named(*INTERESTING_CALLS, *_publish_aliases(model)):
        unit = _unit_of(model, call)
        if unit is not None:
            units.setdefault(unit, None)
    functions: list[FunctionFacts] = []
    by_call: dict[ast.Call, FunctionFacts] = {}
    for unit in sorted(units, key=lambda u: getattr(u, "lineno", 0)):
        name = unit.name if isinstance(unit, _DEFS) else "<module>"
        facts = FunctionFacts(unit, name)
        walker = _Walker(model, facts)
        walker.body(unit.body)  # type: ignore[attr-defined]
        functions.append(facts)
        for p in facts.publishes:
            by_call[p.call] = facts
    return DurabilityFacts(tuple(functions), by_call)


def looks_temporary(model: ModuleModel, expr: ast.expr | None) -> bool:
    """A path spelled like a scratch file (``tmp``, ``path + ".tmp"``, ``self._temp``)."""
    if expr is None:
        return False
    text = path_key(model, expr) or ""
    if _TEMP_LOOKING.search(text):
        return True
    if isinstance(expr, ast.Name):
        bindings = model.bindings_of(expr.id, expr)
        for b in bindings or ():
            if b.value is not None and _TEMP_LOOKING.search(ast.unparse(b.value)):
                return True
    return False


def fresh_path(model: ModuleModel, expr: ast.expr | None) -> bool:
    """A path built from a clock, a pid or a uuid: a new file on every call."""
    if expr is None:
        return False
    values: list[ast.AST] = [expr]
    if isinstance(expr, ast.Name):
        bindings = model.bindings_of(expr.id, expr)
        values.extend(b.value for b in bindings or () if b.value is not None)
    for value in values:
        for n in ast.walk(value):
            if isinstance(n, ast.Call):
                q = model.call_qualname(n)
                if q is not None and (q in _FRESH_NAME_CALLS or q.startswith("uuid.")):
                    return True
                spelled = dotted_name(n.func)
                if q is None and spelled is not None and _CLOCK_CALL.search(spelled):
                    return True
    return False


def is_device_path(model: ModuleModel, expr: ast.expr | None) -> bool:
    if expr is None:
        return False
    s = literal_str(expr)
    if s is not None and s.startswith(("/dev/", "/proc/", "/sys/")):
        return True
    return model.qualname(expr) == "os.devnull"
