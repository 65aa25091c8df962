"""Durability intent: would losing or tearing this file hurt?

The durability rules (IO302, IO303, IO305-IO307, IO309) find a real defect in many places where
its consequence does not matter: a cache that is rebuilt when it is unreadable, a pid file, a
wheel in ``dist/``, a file in a per-process temporary directory, test code. This module weighs
the evidence around one written target, once per module and target, and says whether there is
evidence **against** durability (the rules stay silent unless strict) and what makes a target
**precious** (configuration, credentials, ``known_hosts``, ``pyproject.toml``, ``.pth`` files,
databases, paths under ``/etc``...), which outweighs the weaker kinds of evidence against.

Precedence, strongest first: test code and a deliberate non-durable write (the author said so)
silence even a precious target, and so does developer tooling (``model/provenance.py``); a
precious target is then reported; otherwise any other kind of evidence against (temporary
directory, cache, pid file, X authority file, log, build or install output, export, serializer
fed temp paths, an async job's status file) silences. Without evidence either way the finding
stands.

Some failures do not depend on what the file is worth: a rename that raises EXDEV or
FileExistsError on every save (IO304, IO305 on Windows) breaks the save itself, so a cache the
reader would rebuild is still never written. ``intent_of(..., every_save=True)`` asks for
those: evidence about the file's value (a cache, a reader that rebuilds or falls back) is then
no evidence against; evidence about where and why the code runs (test code, a temporary
directory, developer tooling, a comment, build output...) still is.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import PurePath

from iolint.model.cleanup_comments import cleanup_comment_lines
from iolint.model.fsync import is_fsync_call
from iolint.model.kinds import call_arg, literal_str
from iolint.model.module import ModuleModel
from iolint.model.platform import unconditional_imports
from iolint.model.provenance import developer_tool, job_status
from iolint.model.scopes import dotted_name
from iolint.model.user_data import saves_caller_collection

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")

# Words (of identifiers, literals, the function and its class) that name a precious target.
_PRECIOUS_WORDS = frozenset(
    {
        "config",
        "configs",
        "conf",
        "cfg",
        "configuration",
        "settings",
        "preferences",
        "prefs",
        "credential",
        "credentials",
        "creds",
        "password",
        "passwords",
        "passwd",
        "secret",
        "secrets",
        "token",
        "tokens",
        "keyring",
        "pyproject",
        "pth",
        "database",
        "db",
        "sqlite",
        "journal",
        "manifest",
        "checkpoint",
        "checkpoints",
        "ckpt",
        "shadow",
        "gshadow",
        "sudoers",
    }
)
# Spellings found anywhere in the lowercased identifiers and literals.
_PRECIOUS_TEXT = (
    "known_hosts",
    "knownhosts",
    "host_keys",
    "hostkeys",
    "authorized_keys",
    "private_key",
    "privatekey",
    "/etc/",
    "pyproject.toml",
    ".pth",
    "poetry.lock",
    "pipfile.lock",
    "pdm.lock",
    "uv.lock",
    "package-lock.json",
    "yarn.lock",
    ".ini",
    ".sqlite",
)
# Weak precious words: reported as evidence for, but any evidence against outweighs them.
_WEAK_PRECIOUS = frozenset({"state", "index", "checkpoint", "keys", "key"})

_TEMP_WORDS = frozenset({"tmp", "temp", "tempdir", "tmpdir", "tmpfile", "scratch", "mkdtemp"})
_TEMP_CALLS = frozenset(
    {
        "tempfile.mkdtemp",
        "tempfile.gettempdir",
        "tempfile.gettempdirb",
        "tempfile.TemporaryDirectory",
        "tempfile.mkstemp",
        "tempfile.mktemp",
    }
)
# Compiled bytecode: the interpreter validates it and recompiles when it is stale or torn.
_BYTECODE_WORDS = frozenset({"pyc", "pyo", "pycache"})
_PID_WORDS = frozenset({"pid", "pidfile", "pidfilename", "pidpath"})
# Runtime session state besides pid files: an X (or ICE) authority file holds the cookies of
# display sessions, which the power failure that could tear it ends; display managers and SSH
# forwarding write fresh cookies for the next session. Not "session" alone: saved sessions
# (tabs, workspaces) are what a user wants back.
_SESSION_AUTH_WORDS = frozenset({"xauth", "xauthority", "iceauthority"})
_LOG_WORDS = frozenset({"log", "logs", "logfile", "logfilename", "logdir", "rollover", "rotate"})
_BUILD_WORDS = frozenset(
    {
        "wheel",
        "wheels",
        "whl",
        "dist",
        "sdist",
        "bdist",
        "build",
        "egg",
        "eggs",
        "archive",
        "tarball",
        "shebang",
        "generated",
        "codegen",
        "extract",
        "extracted",
        "unpack",
        "install",
        "installed",
        "installer",
        "installation",
        "installers",
    }
)
# Module and directory names of build and release tooling (only as path words: a function
# named ``release()`` releases a lock).
_BUILD_PATH_WORDS = frozenset(
    {"release", "releasing", "packaging", "bundle", "generate", "generator", "codegen"}
)
_EXPORT_FUNCTION = re.compile(
    r"(?i)(^|_)(export\w*|(save|write|dump)_(html|svg|text|txt|csv|pdf|png|image|report)s?)$"
)
_EXPORT_WORDS = frozenset({"export", "exported", "report", "reports", "html", "svg"})
# Exceptions whose handler, around a read of the file, means "unreadable: rebuild it".
_REBUILD_ERRORS = frozenset(
    {"EOFError", "UnpicklingError", "ValueError", "JSONDecodeError", "Exception", "BaseException"}
)
# Only explicit statements that the file may be lost or torn: a comment that the rename keeps
# a file from being torn says the opposite.
_DELIBERATE_COMMENT = re.compile(
    r"(?i)(no fsync|without (an )?fsync|skip(s|ping)? (the )?fsync|not durable|non-?durable|"
    r"needs? not (be )?durable|needn't be durable|(does not|doesn't) need to be durable|"
    r"best[- ]effort|(may|can|might) (be )?(torn|tear|lost|vanish)|(ok|okay|fine) to lose|"
    r"crash (may|can|might) (tear|lose|truncate|corrupt))"
)
_TEST_IMPORTS = frozenset({"pytest", "unittest", "hypothesis"})
_DURABLE_FLAGS = frozenset({"durable", "fsync", "sync_to_disk"})


@dataclass(frozen=True)
class Intent:
    """What the context says about one written target.

    ``against``: why losing or tearing it would not hurt (None when nothing says so, or the
    target is precious and nothing stronger says so). ``precious``: why it matters.
    """

    against: str | None
    precious: str | None

    def silent(self, strict: bool) -> bool:
        return self.against is not None and not strict


@dataclass(frozen=True)
class _Evidence:
    words: frozenset[str]
    text: str  # lowercased identifiers and literals, space separated
    literals: tuple[str, ...]
    calls: frozenset[str]


@dataclass(frozen=True)
class ModuleIntent:
    """Module-wide evidence, computed once."""

    test_module: bool
    # Words of the module's file name and directories (``cache.py``, ``install/wheel.py``).
    path_words: frozenset[str]
    # Attribute and global names assigned a temporary directory somewhere in the module.
    temp_names: frozenset[str]
    # Path spellings read inside a ``try`` whose handler swallows the error and rebuilds.
    rebuilt_reads: frozenset[str]
    # Path spellings read outside such a ``try``: a torn file breaks the reader.
    unguarded_reads: frozenset[str]
    # Classes (or the module) with a ``durable=``-style switch: writes without fsync there
    # are by choice.
    durable_switches: frozenset[ast.AST]


def words_of(name: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(name)}


def _path_words(path: str) -> frozenset[str]:
    """Words of the module's name and its directory (``cache.py``, ``install/wheel.py``): not
    of directories further up, which name checkouts and build roots rather than the code."""
    p = PurePath(path)
    out: set[str] = set()
    for part in (*p.parent.parts[-1:], p.stem):
        out |= words_of(part)
    return frozenset(out)


def _is_test_path(path: str) -> bool:
    p = PurePath(path)
    name = p.name
    if name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py"):
        return True
    # ``_tests`` too: packages that ship their tests as a private subpackage (trio).
    return any(
        part in ("tests", "test", "testing", "_tests", "_test") for part in p.parent.parts[-3:]
    )


def _temp_names(model: ModuleModel) -> frozenset[str]:
    """``self.dir = tempfile.mkdtemp()``, ``WORK = mkdtemp()``, ``with TemporaryDirectory()
    as d``: names and attributes that hold a temporary directory."""
    out: set[str] = set()
    for node in model.nodes(ast.Assign, ast.With, ast.AnnAssign):
        pairs: list[tuple[ast.expr, ast.expr | None]] = []
        if isinstance(node, ast.Assign):
            pairs = [(t, node.value) for t in node.targets]
        elif isinstance(node, ast.AnnAssign):
            pairs = [(node.target, node.value)]
        elif isinstance(node, ast.With):
            pairs = [(i.optional_vars, i.context_expr) for i in node.items if i.optional_vars]
        for target, value in pairs:
            if value is None:
                continue
            if any(
                isinstance(c, ast.Call) and model.call_qualname(c) in _TEMP_CALLS
                for c in ast.walk(value)
            ):
                key = dotted_name(target)
                if key is not None:
                    out.add(key.rsplit(".", 1)[-1])
    return frozenset(out)


def _handler_names(handler: ast.ExceptHandler) -> set[str]:
    if handler.type is None:
        return {"BaseException"}
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    out = set()
    for t in types:
        key = dotted_name(t)
        if key is not None:
            out.add(key.rsplit(".", 1)[-1])
    return out


# A handler that calls one of these reports the failure and stops (``module.fail_json()``,
# ``sys.exit()``, ``parser.error()``): the file is not rebuilt, the run ends.
_FAILING_CALL = re.compile(r"(?i)^(fail\w*|\w*exit|abort|die|fatal)$")


def _reraises(handler: ast.ExceptHandler) -> bool:
    """The handler ends the run: it raises, calls a failure reporter, or keeps the exception
    to raise it later (``error = err``, then ``raise error`` after cleaning up)."""
    for node in ast.walk(handler):
        if isinstance(node, ast.Raise):
            return True
        if (
            handler.name is not None
            and isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Name)
            and node.value.id == handler.name
        ):
            return True
        if isinstance(node, ast.Call):
            name = dotted_name(node.func)
            if name is not None and _FAILING_CALL.match(name.rsplit(".", 1)[-1]):
                return True
    return False


def _read_paths(model: ModuleModel, body: list[ast.stmt]) -> set[str]:
    """Path spellings opened for reading (or loaded) in ``body``."""
    out: set[str] = set()
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call):
                path = _read_path(model, node)
                if path is not None:
                    out.add(path)
    return out


def _read_path(model: ModuleModel, node: ast.Call) -> str | None:
    """The spelling of the path ``node`` opens for reading (or loads), or None."""
    q = model.call_qualname(node)
    func = node.func
    if q in ("builtins.open", "io.open") and node.args:
        mode = literal_str(call_arg(node, 1, "mode")) or "r"
        if not any(ch in mode for ch in "wax+"):
            return ast.unparse(node.args[0])
    elif isinstance(func, ast.Attribute) and func.attr in ("read_text", "read_bytes", "open"):
        if func.attr != "open" or not node.args:
            return ast.unparse(func.value)
    return None


def _rebuilt_reads(model: ModuleModel) -> frozenset[str]:
    out: set[str] = set()
    for node in model.nodes(ast.Try):
        swallowing = [
            h for h in node.handlers if _handler_names(h) & _REBUILD_ERRORS and not _reraises(h)
        ]
        if swallowing:
            out |= _read_paths(model, node.body)
    return frozenset(out)


def _unguarded_reads(model: ModuleModel) -> frozenset[str]:
    """Path spellings read somewhere in the module outside any ``try`` whose handler
    rebuilds: a torn file breaks that reader, so the file is no cache that "rebuilds itself"
    however it is named."""
    guarded: set[int] = set()
    for node in model.nodes(ast.Try):
        if not isinstance(node, ast.Try):
            continue
        if any(_handler_names(h) & _REBUILD_ERRORS and not _reraises(h) for h in node.handlers):
            guarded |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    out: set[str] = set()
    for call in model.nodes(ast.Call):
        if id(call) in guarded or not _parsed_at_once(model, call):
            continue
        path = _read_path(model, call)
        if path is not None:
            out.add(path)
    return frozenset(out)


_PARSERS = frozenset({"loads", "load", "safe_load", "parse", "fromstring", "literal_eval"})


def _parsed_at_once(model: ModuleModel, read: ast.Call) -> bool:
    """``json.loads(path.read_text())``: the read's text goes straight into a parser, which
    raises on a torn file. (A read whose text is checked first may well fall back.)"""
    parent = model.parent(read)
    if not isinstance(parent, ast.Call) or read not in parent.args:
        return False
    name = dotted_name(parent.func)
    return name is not None and name.rsplit(".", 1)[-1] in _PARSERS


def _durable_switches(model: ModuleModel) -> frozenset[ast.AST]:
    """Classes (or the module, for top-level functions) with a ``durable=``-style parameter:
    the writes of their other methods without fsync are by choice."""
    out: set[ast.AST] = set()
    for node in model.nodes(ast.arg):
        if not isinstance(node, ast.arg) or node.arg.lower() not in _DURABLE_FLAGS:
            continue
        owner: ast.AST = model.tree
        for anc in model.ancestors(node):
            if isinstance(anc, ast.ClassDef):
                owner = anc
                break
        out.add(owner)
    return frozenset(out)


def module_intent(model: ModuleModel) -> ModuleIntent:
    imports = unconditional_imports(model)
    return ModuleIntent(
        test_module=_is_test_path(model.path) or bool(imports & _TEST_IMPORTS),
        path_words=_path_words(model.path),
        temp_names=_temp_names(model),
        rebuilt_reads=_rebuilt_reads(model),
        unguarded_reads=_unguarded_reads(model),
        durable_switches=_durable_switches(model),
    )


# ---------------------------------------------------------------------------- evidence


@dataclass
class _Gathered:
    words: set[str]
    idents: set[str]
    literals: list[str]
    calls: set[str]
    keys: set[str]

    def add(self, other: _Gathered) -> None:
        self.words |= other.words
        self.idents |= other.idents
        self.literals += other.literals
        self.calls |= other.calls
        self.keys |= other.keys


def _gather(
    model: ModuleModel, expr: ast.expr, exclude: frozenset[str], depth: int = 0
) -> _Gathered:
    """Words, identifiers, literals, called qualnames and spellings of ``expr``, following
    names to their assigned values and ``self.x`` to its assignments in the class."""
    out = _Gathered(set(), set(), [], set(), set())
    key = ast.unparse(expr)
    if key in exclude:
        return out
    out.keys.add(key)
    namespaces = _namespaces(expr)
    for node in ast.walk(expr):
        if id(node) in namespaces:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
            value = node.value if isinstance(node.value, str) else node.value.decode("latin-1")
            out.literals.append(value)
        elif isinstance(node, ast.Call):
            q = model.call_qualname(node)
            if q is not None:
                out.calls.add(q)
            name = dotted_name(node.func)
            if name is not None:
                out.words |= words_of(name.rsplit(".", 1)[-1])
        elif isinstance(node, ast.Name):
            if node.id in exclude:
                continue
            out.words |= words_of(node.id)
            out.idents.add(node.id)
            if depth < 3:
                for b in model.bindings_of(node.id, node) or ():
                    if b.value is not None and b.value is not expr:
                        out.add(_gather(model, b.value, exclude, depth + 1))
        elif isinstance(node, ast.Attribute):
            out.words |= words_of(node.attr)
            out.idents.add(node.attr)
            if depth < 3 and isinstance(node.value, ast.Name) and node.value.id == "self":
                cls = _enclosing_class(model, node)
                if cls is not None:
                    for b in model.class_attributes(cls).get(node.attr, ()):
                        if b.value is not None:
                            out.add(_gather(model, b.value, exclude, depth + 1))
                    for constant in _class_constants(model, cls, node.attr):
                        out.add(_gather(model, constant, exclude, depth + 1))
    return out


def _class_constants(model: ModuleModel, cls: ast.ClassDef, attr: str) -> list[ast.expr]:
    """The values of ``attr = value`` in the body of ``cls``, or of the nearest base class
    defined in this module that assigns it (``SHADOWFILE = '/etc/shadow'`` read as
    ``self.SHADOWFILE`` in a method)."""
    seen: set[int] = set()
    todo = [cls]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        values = [
            stmt.value
            for stmt in current.body
            if isinstance(stmt, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == attr for t in stmt.targets)
        ]
        if values:
            return values
        names = {b.id for b in current.bases if isinstance(b, ast.Name)}
        todo += [c for c in model.nodes(ast.ClassDef) if c.name in names]
    return []


_GENERIC = frozenset({"path", "file", "filename", "fname", "name", "dir", "directory", "location"})


def _namespaces(expr: ast.expr) -> set[int]:
    """The inner links of attribute chains whose last name says what the value is:
    ``app.config`` in ``app.config.output_dir`` is where a setting is read from, not what the
    target is. Under a generic last name (``self.config.path``) the inner words do count."""
    out: set[int] = set()
    for node in ast.walk(expr):
        if isinstance(node, ast.Attribute) and not words_of(node.attr) <= _GENERIC:
            inner = node.value
            while isinstance(inner, ast.Attribute):
                out.add(id(inner))
                inner = inner.value
            if isinstance(inner, ast.Name) and inner.id not in ("self", "cls"):
                out.add(id(inner))
    return out


def _enclosing_class(model: ModuleModel, node: ast.AST) -> ast.ClassDef | None:
    for anc in model.ancestors(node):
        if isinstance(anc, ast.ClassDef):
            return anc
    return None


def _function_of(
    model: ModuleModel, node: ast.AST
) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for anc in model.ancestors(node):
        if isinstance(anc, _DEFS):
            return anc
    return None


def _comments(model: ModuleModel, fn: ast.AST, skip: frozenset[int] = frozenset()) -> str:
    """The comment text of the function (and the lines right above it), but for the lines in
    ``skip``."""
    first = getattr(fn, "lineno", 1)
    decorators = getattr(fn, "decorator_list", [])
    if decorators:
        first = min(first, *(d.lineno for d in decorators))
    last = getattr(fn, "end_lineno", first) or first
    parts = []
    for n in range(max(1, first - 3), last + 1):
        if n in skip:
            continue
        line = model.source.line(n)
        if "#" in line:
            parts.append(line.split("#", 1)[1])
    doc = ast.get_docstring(fn) if isinstance(fn, _DEFS) else None
    if doc:
        parts.append(doc)
    return "\n".join(parts)


def _function_fsyncs(model: ModuleModel, fn: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and is_fsync_call(model, n) for n in ast.walk(fn))


def _only_fed_scratch_paths(model: ModuleModel, fn: ast.AST, path: ast.expr) -> bool:
    """A serializer whose path is a parameter, and every caller in the module passes it a
    temp name or a fresh (timestamped, pid- or uuid-named) path."""
    from iolint.model.durability import fresh_path, looks_temporary

    if not isinstance(fn, _DEFS) or not isinstance(path, ast.Name):
        return False
    params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)]
    if path.id not in params:
        return False
    bindings = model.bindings_of(path.id, path) or []
    if any(b.kind != "param" for b in bindings):
        return False
    index = params.index(path.id)
    if params and params[0] in ("self", "cls"):
        index -= 1
    seen = 0
    for call in model.calls_named(fn.name):
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name != fn.name:
            continue
        arg = call_arg(call, index, path.id)
        if arg is None:
            return False
        if not (looks_temporary(model, arg) or fresh_path(model, arg) or _is_scratch(model, arg)):
            return False
        seen += 1
    return seen > 0


def _is_scratch(model: ModuleModel, arg: ast.expr) -> bool:
    found = _gather(model, arg, frozenset())
    return bool(found.words & {"backup", "bak", "tmp", "temp"}) or any(
        lit.endswith((".tmp", ".bak", ".new")) for lit in found.literals
    )


def intent_of(
    model: ModuleModel,
    at: ast.AST,
    target: ast.expr | None,
    exclude: frozenset[str] = frozenset(),
    synced: bool = False,
    every_save: bool = False,
) -> Intent:
    """The durability intent of writing ``target`` at ``at`` (a call in some function).

    ``exclude`` lists spellings that are not evidence about the target (the temp name a
    publish renames from: its ``tmp`` says nothing about the destination). ``synced``: the
    function fsyncs the data it publishes at ``at``, so its author wants the file to survive
    a crash; a reader that falls back when the file is unreadable is then a safety net, not a
    sign that losing the file is fine.
    """
    mod = model.fact(module_intent)
    fn = _function_of(model, at)
    cls = _enclosing_class(model, at)
    fn_words = words_of(fn.name) if fn is not None else set()
    cls_words = words_of(cls.name) if cls is not None else set()

    # The author says so: test code, or a write documented as not durable.
    if mod.test_module:
        return Intent("test code", None)
    if fn is not None and (fn.name.startswith("test") or (cls and cls.name.startswith("Test"))):
        return Intent("test code", None)
    # Only comments that can be about this write: not those of a handler or ``finally``
    # block that cleans up after a failed save (``model/cleanup_comments.py``).
    if fn is not None and _DELIBERATE_COMMENT.search(
        _comments(model, fn, cleanup_comment_lines(model, fn, at))
    ):
        return Intent("a comment says the file need not be durable", None)
    owner = cls if cls is not None else model.tree
    if owner in mod.durable_switches and fn is not None and not _function_fsyncs(model, fn):
        return Intent("written without fsync on purpose beside durable writes", None)

    found = _Gathered(set(), set(), [], set(), set())
    if target is not None:
        found = _gather(model, target, exclude)
    context = fn_words | cls_words
    for literal in found.literals:
        found.words |= {w for w in re.split(r"[^a-z0-9]+", literal.lower()) if w}
    words = found.words | context
    text = " ".join(sorted(words)) + " " + " ".join(found.literals).lower()

    # Developer tooling writing into a checkout: version control keeps the previous content.
    tool = developer_tool(model, target, found.idents)
    if tool is not None:
        return Intent(tool, None)

    precious = _precious(words, text, found.literals)
    if precious is not None:
        return Intent(None, precious)

    against = _against(model, mod, fn, context, found, target, synced, every_save)
    if against is not None:
        return Intent(against, None)
    weak = words & _WEAK_PRECIOUS
    return Intent(None, f"a {sorted(weak)[0]} file" if weak else None)


def _precious(words: set[str], text: str, literals: list[str]) -> str | None:
    hit = words & _PRECIOUS_WORDS
    if hit:
        return f"a {sorted(hit)[0]} file"
    for spelling in _PRECIOUS_TEXT:
        if spelling in text:
            return f"`{spelling.strip('/.')}`"
    if any(lit.lower().endswith((".toml", ".cfg", ".conf")) for lit in literals):
        return "a configuration file"
    return None


def _writes_shebang(fn: ast.AST | None) -> bool:
    if fn is None:
        return False
    for node in ast.walk(fn):
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
            value = node.value if isinstance(node.value, str) else node.value.decode("latin-1")
            if value.startswith("#!"):
                return True
    return False


def _against(
    model: ModuleModel,
    mod: ModuleIntent,
    fn: ast.AST | None,
    context: set[str],
    found: _Gathered,
    target: ast.expr | None,
    synced: bool = False,
    every_save: bool = False,
) -> str | None:
    """The first kind of evidence that losing the target would not hurt, or None (of those
    not about the file's value alone when ``every_save``)."""
    low = [lit.lower() for lit in found.literals]
    words = found.words | context
    # Only the target's own spelling says "temporary": a ``_write_temp`` helper may well
    # publish onto the real file.
    if (
        found.words & _TEMP_WORDS
        or found.idents & mod.temp_names
        or found.calls & _TEMP_CALLS
        or any(lit.startswith(("/tmp", "/var/tmp", "/dev/shm")) for lit in low)
    ):
        return "a temporary directory"
    # A tolerant reader does not make the caller's collection a cache (model/user_data.py).
    rebuilt = not synced and not saves_caller_collection(fn)
    value = None if every_save else _cache_evidence(mod, found, words, low, rebuilt)
    if value is not None:
        return value
    if words & _PID_WORDS or any(lit.endswith(".pid") for lit in low):
        return "a pid file"
    if words & _SESSION_AUTH_WORDS:
        return "runtime session state (display cookies that die with the sessions a crash ends)"
    if words & _LOG_WORDS or any(lit.endswith(".log") or ".log." in lit for lit in low):
        return "a log file"
    if isinstance(fn, _DEFS) and _EXPORT_FUNCTION.search(fn.name):
        return "an export"
    if words & _EXPORT_WORDS or any(lit.endswith((".html", ".svg")) for lit in low):
        return "an export"
    if (words | mod.path_words) & _BUILD_WORDS or mod.path_words & _BUILD_PATH_WORDS:
        return "build or install output"
    if _writes_shebang(fn):
        return "build or install output"
    if any(lit.endswith((".whl", ".tar.gz", ".zip")) for lit in low):
        return "build or install output"
    if fn is not None and target is not None and _only_fed_scratch_paths(model, fn, target):
        return "a serializer whose callers pass temporary or fresh paths"
    comment_words = words_of(_comments(model, fn)) if fn is not None else set()
    return job_status(words, mod.path_words, comment_words)


def _cache_evidence(
    mod: ModuleIntent, found: _Gathered, words: set[str], low: list[str], rebuilt: bool
) -> str | None:
    """Evidence that the file is a cache: losing or tearing it costs a rebuild. ``rebuilt``:
    a reader that falls back when the file is unreadable counts as rebuilding it."""
    named_cache = any("cache" in w for w in words) or any("cache" in lit for lit in low)
    if named_cache and not found.keys & mod.unguarded_reads:
        return "a cache"
    if words & _BYTECODE_WORDS:
        return "a cache (compiled bytecode)"
    if "cache" in mod.path_words or (found.keys & mod.rebuilt_reads and rebuilt):
        return "a cache (its reader rebuilds it when unreadable)"
    return None


_NEXT_FREE = re.compile(r"(?i)(next|free|unique|unused|available|increment|versioned|numbered)")


def next_free_name(model: ModuleModel, path: ast.expr | None) -> bool:
    """The fresh-name idiom: the path comes from a helper that picks a name not taken yet
    (``next_free_path()``, ``unique_name()``), so the write creates, it does not rewrite."""
    values: list[ast.expr] = []
    if isinstance(path, ast.Call):
        values.append(path)
    elif isinstance(path, ast.Name):
        values.extend(
            b.value for b in model.bindings_of(path.id, path) or () if b.value is not None
        )
    for value in values:
        if isinstance(value, ast.Call):
            name = dotted_name(value.func)
            if name is not None and _NEXT_FREE.search(name.rsplit(".", 1)[-1]):
                return True
    return False
