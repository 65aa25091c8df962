"""IO3xx: durability and atomic replacement.

Every rule reads the per-function facts of :mod:`iolint.model.durability`. One bug, one
diagnostic: a publish is either unsynced (IO302) or synced without its directory (IO303), never
both; a save function's file is either overwritten in place (IO306) or left unsynced (IO307).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from iolint.diagnostics import Applicability, Diagnostic, Edit, Fix
from iolint.edits import indent_unit, insert_after_statement, insert_before_statement, stands_alone
from iolint.model import ModuleModel
from iolint.model.branches import OnePerTarget
from iolint.model.durability import (
    DARWIN,
    FunctionFacts,
    Publish,
    WrittenFile,
    durability_facts,
    expr_key,
    fresh_path,
    is_device_path,
    looks_temporary,
    reachable_platforms,
)
from iolint.model.fsync import is_fsync_call
from iolint.model.intent import intent_of, next_free_name
from iolint.model.kinds import Category, call_arg
from iolint.model.platform import (
    gone_before,
    may_run_on_windows,
    reserved_temp_name,
    windows_only,
)
from iolint.model.scopes import walk_local
from iolint.rules.base import Rule, RuleContext

PUBLISH_TRIGGERS = ("rename(", "replace(", "move(")
_EXITS = (ast.Return, ast.Raise, ast.Continue, ast.Break)


def _facts(ctx: RuleContext) -> tuple[FunctionFacts, ...]:
    return ctx.model.fact(durability_facts).functions


def _is_save_function(ctx: RuleContext, fn: FunctionFacts) -> bool:
    if not fn.is_function:
        return False
    if ctx.options.save_function_pattern().search(fn.name):
        return True
    # Tests write and read back fixture files all the time: not saves.
    return not fn.name.startswith("test") and fn.reads_and_writes_same_path()


def _not_worth_it(
    ctx: RuleContext, at: ast.AST, target: ast.expr | None, *scratch: ast.expr
) -> bool:
    """Losing or tearing ``target`` would not hurt (a cache, a temp directory, test code...,
    see :mod:`iolint.model.intent`): silent unless strict. ``scratch`` are the temp names the
    data came from, which say nothing about the target."""
    exclude: set[str] = set()
    own = set() if target is None else {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    inside = set() if target is None else {ast.unparse(n) for n in ast.walk(target)}
    for expr in scratch:
        names = {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}
        exclude.add(ast.unparse(expr))
        # ``tmp[:-4]`` is derived from the temp name: its ``tmp`` says nothing; ``final`` in
        # ``final + ".part"`` is the target's own name and stays evidence.
        exclude |= names if ast.unparse(expr) in inside else names - own
    return intent_of(ctx.model, at, target, frozenset(exclude)).silent(ctx.options.strict)


def _file_not_worth_it(ctx: RuleContext, fn: FunctionFacts, file: WrittenFile) -> bool:
    """:func:`_not_worth_it` for a written file: judged by where it is published, if it is."""
    publishes = fn.publishes_of(file)
    if publishes:
        return all(_not_worth_it(ctx, p.call, p.target, p.source) for p in publishes)
    return _not_worth_it(ctx, file.node, file.path)


def _label(model: ModuleModel, node: ast.AST | None, limit: int = 40) -> str:
    text = model.text_of(node) if node is not None else "the file"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _callee(model: ModuleModel, call: ast.Call) -> str:
    return _label(model, call.func, 30)


def _simple(expr: ast.expr | None) -> bool:
    """A name, an attribute chain or a string literal: cheap and safe to evaluate again."""
    if isinstance(expr, ast.Name):
        return True
    if isinstance(expr, ast.Attribute):
        return _simple(expr.value)
    return isinstance(expr, ast.Constant) and isinstance(expr.value, str)


# ---------------------------------------------------------------------------- imports


def _module_available(model: ModuleModel, name: str, at: ast.AST) -> bool | None:
    """True when ``name`` is the module ``name`` at ``at``; None when it is unbound (an
    import can be added); False when it means something else."""
    bindings = model.bindings_of(name, at)
    if bindings is None:
        return None
    return bool(bindings) and all(b.kind == "import" and b.qualname == name for b in bindings)


def _import_edit(model: ModuleModel, names: list[str]) -> Edit | None:
    """Insert ``import <name>`` lines after the module's leading imports."""
    if not names:
        return None
    body = model.tree.body
    i = 0
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        i = 1
    last: ast.stmt | None = body[0] if i == 1 else None
    while i < len(body) and isinstance(body[i], (ast.Import, ast.ImportFrom)):
        last = body[i]
        i += 1
    lines = [f"import {n}" for n in names]
    if last is not None:
        return insert_after_statement(model, last, lines, "")
    first = body[0]
    pos = model.start(first)
    nl = model.source.newline
    return Edit(type(pos)(pos.line, 0), type(pos)(pos.line, 0), "".join(n + nl for n in lines))


def _need_modules(model: ModuleModel, at: ast.AST, *modules: str) -> tuple[bool, list[str]]:
    """Whether the modules are usable at ``at`` (possibly after adding imports), and which
    imports to add."""
    missing: list[str] = []
    for m in modules:
        state = _module_available(model, m, at)
        if state is False:
            return False, []
        if state is None:
            missing.append(m)
    return True, missing


def _fix(
    message: str,
    applicability: Applicability,
    model: ModuleModel,
    edits: list[Edit],
    imports: list[str],
) -> Fix:
    extra = _import_edit(model, imports)
    return Fix(message, applicability, tuple(edits) + ((extra,) if extra else ()))


# ---------------------------------------------------------------------------- shared facts


def _window_sync(fn: FunctionFacts, p: Publish) -> str | None:
    """How the published file's data is synced between its last write and the publish:
    ``file`` (an fsync of that file), ``global``/``unknown`` (os.sync, an fsync of a descriptor
    the model cannot name), ``none``; None when the publish is not of a file written here."""
    file = p.file
    if file is None or not file.written:
        return None
    last = file.last_write(p.seq)
    if last is None:
        return None
    if any(last.seq < e.seq < p.seq and e.kind in ("fsync", "maybe_fsync") for e in file.events):
        return "file"
    for s in fn.syncs_between(last.seq, p.seq):
        if s.scope in ("global", "unknown"):
            return s.scope
    return "none"


def _written_publish(p: Publish) -> bool:
    return p.file is not None and p.file.written and p.file.last_write(p.seq) is not None


def _statement_inserting_point(model: ModuleModel, node: ast.AST) -> ast.stmt | None:
    stmt = model.statement_of(node)
    if stmt is None or not stands_alone(model, stmt):
        return None
    return stmt


def _fsync_lines(file: WrittenFile, view: str, is_fd: bool) -> list[str]:
    if is_fd:
        return [f"os.fsync({view})"]
    return [f"{view}.flush()", f"os.fsync({view}.fileno())"]


def _flush_fsync_fix(
    model: ModuleModel, file: WrittenFile, publish: Publish | None, anchor: ast.AST
) -> Fix | None:
    """IO302's and IO307's fix: flush and fsync ``file`` before it is closed (and before
    ``publish``), importing ``os`` at ``anchor``'s module level if needed."""
    edit = _sync_before_close_edit(model, file, publish)
    if edit is None:
        return None
    ok, imports = _need_modules(model, anchor, "os")
    if not ok:
        return None
    return _fix(
        "Flush and fsync the file before it is closed",
        Applicability.UNSAFE,
        model,
        [edit],
        imports,
    )


def _sync_before_close_edit(
    model: ModuleModel, file: WrittenFile, publish: Publish | None
) -> Edit | None:
    """An edit inserting a flush + fsync of ``file`` right before it is closed (or before
    ``publish``, when the publish happens while the file is still open)."""
    w = file.with_stmt
    if w is not None and file.with_var is not None and not isinstance(w, ast.AsyncWith):
        lines = _fsync_lines(file, file.with_var, False)
        if publish is not None and any(a is w for a in model.ancestors(publish.call)):
            point = _statement_inserting_point(model, publish.call)
            return insert_before_statement(model, point, lines) if point is not None else None
        last = w.body[-1]
        if isinstance(last, _EXITS) or w.body[0].lineno <= w.lineno:
            return None
        if not stands_alone(model, last):
            return None
        indent = model.source.indentation(w.body[0].lineno)
        return insert_after_statement(model, last, lines, indent)
    close = file.close_event()
    if close is None or not isinstance(close.node, ast.Call) or close.view is None:
        return None
    if publish is not None and close.seq > publish.seq:
        return None
    stmt = model.parent(close.node)
    if not isinstance(stmt, ast.Expr) or not stands_alone(model, stmt):
        return None
    is_fd = model.call_qualname(close.node) == "os.close"
    return insert_before_statement(model, stmt, _fsync_lines(file, close.view, is_fd))


# ---------------------------------------------------------------------------- IO301


class FsyncWithoutFlush(Rule):
    code = "IO301"
    severity = "error"
    name = "fsync-without-flush"
    summary = "`os.fsync()` of a buffered file whose latest writes were never flushed."
    fix_applicability = Applicability.SAFE
    triggers = ("fsync", "fdatasync")

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        for fn in _facts(ctx):
            for s in fn.syncs:
                if s.file is None or s.maybe:
                    continue
                q = model.call_qualname(s.call)
                if q not in ("os.fsync", "os.fdatasync"):
                    continue
                before = [e for e in s.file.events if e.seq < s.seq]
                if not before:
                    continue
                last = before[-1]
                if last.kind != "write" or not last.buffered:
                    continue
                view = last.view
                name = f"`{view}`" if view else "the file object"
                message = (
                    f"`{q}()` runs while {name} may still hold the latest writes in its "
                    "user-space buffer, so they are not synced: after a power failure the file "
                    f"can be empty; call `{view or 'f'}.flush()` right before the fsync"
                )
                yield self.diagnostic(ctx, s.call, message, self._fix(model, s.call, view))

    def _fix(self, model: ModuleModel, call: ast.Call, view: str | None) -> Fix | None:
        stmt = model.parent(call)
        if view is None or not isinstance(stmt, ast.Expr) or not stands_alone(model, stmt):
            return None
        return Fix(
            f"Insert `{view}.flush()` before the fsync",
            Applicability.SAFE,
            (insert_before_statement(model, stmt, [f"{view}.flush()"]),),
        )


# ---------------------------------------------------------------------------- IO302


class PublishWithoutFsync(Rule):
    code = "IO302"
    severity = "error"
    name = "publish-without-fsync"
    summary = "A file is renamed into place before its data was fsynced."
    fix_applicability = Applicability.UNSAFE
    triggers = PUBLISH_TRIGGERS

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        once = OnePerTarget(model)
        for fn in _facts(ctx):
            for p in fn.publishes:
                if _window_sync(fn, p) != "none":
                    continue
                if _not_worth_it(ctx, p.call, p.target, p.source):
                    continue
                if not once.first(p.target, p.call):
                    continue
                src, api = _label(model, p.source), _callee(model, p.call)
                message = (
                    f"`{api}()` publishes `{src}` before its data is fsynced: after a power "
                    "failure the target can be empty or truncated (delayed allocation); flush "
                    "and `os.fsync()` the file before closing and publishing it"
                )
                yield self.diagnostic(ctx, p.call, message, self._fix(model, p))

    def _fix(self, model: ModuleModel, p: Publish) -> Fix | None:
        assert p.file is not None
        return _flush_fsync_fix(model, p.file, p, p.call)


# ---------------------------------------------------------------------------- IO303


def _dir_synced_after(fn: FunctionFacts, p: Publish) -> bool:
    return any(s.seq > p.seq and s.file is not p.file for s in fn.syncs)


def _synced_by_callers(model: ModuleModel, fn: FunctionFacts) -> bool:
    """A caller in this module syncs (presumably the directory) after calling ``fn``: one
    directory fsync for several replaced files is a legitimate design."""
    for call in model.calls_named(fn.name):
        func = call.func
        if not (
            (isinstance(func, ast.Name) and func.id == fn.name)
            or (isinstance(func, ast.Attribute) and func.attr == fn.name)
        ):
            continue
        unit = model.enclosing_function(call)
        if unit is None or unit is fn.node:
            continue
        after = (call.end_lineno or 0, call.end_col_offset or 0)
        for node in walk_local(unit.body):  # type: ignore[attr-defined]
            if isinstance(node, ast.Call) and (node.lineno, node.col_offset) >= after:
                name = (
                    node.func.attr
                    if isinstance(node.func, ast.Attribute)
                    else (node.func.id if isinstance(node.func, ast.Name) else "")
                )
                if is_fsync_call(model, node) or ("sync" in name.lower() and "async" not in name):
                    return True
    return False


class PublishWithoutDirFsync(Rule):
    code = "IO303"
    severity = "error"
    name = "publish-without-dir-fsync"
    summary = "A durable replace that never fsyncs the destination directory."
    fix_applicability = Applicability.UNSAFE
    triggers = PUBLISH_TRIGGERS

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        once = OnePerTarget(model)
        for fn in _facts(ctx):
            for p in fn.publishes:
                if _window_sync(fn, p) != "file" or _dir_synced_after(fn, p):
                    continue
                if windows_only(model, p.call):
                    continue
                if _synced_by_callers(model, fn):
                    continue
                if _not_worth_it(ctx, p.call, p.target, p.source):
                    continue
                if not once.first(p.target, p.call):
                    continue
                api, target = _callee(model, p.call), _label(model, p.target)
                message = (
                    f"the file is fsynced but the directory entry `{api}()` creates is not: "
                    f"after a power failure `{target}` can still be the old file or missing; "
                    "fsync the destination directory after the rename (POSIX)"
                )
                yield self.diagnostic(ctx, p.call, message, self._fix(model, p))

    def _fix(self, model: ModuleModel, p: Publish) -> Fix | None:
        stmt = model.parent(p.call)
        if not isinstance(stmt, ast.Expr) or not stands_alone(model, stmt):
            return None
        if not _simple(p.target):
            return None
        ok, imports = _need_modules(model, p.call, "os")
        if not ok:
            return None
        target = model.text_of(p.target)
        step = indent_unit(model, stmt)
        indent = model.source.indentation(model.start(stmt).line)
        lines = _dir_fsync_lines(model, f"os.path.dirname(os.path.abspath({target}))", step)
        return _fix(
            "Fsync the destination directory after the rename (skipped on Windows)",
            Applicability.UNSAFE,
            model,
            [insert_after_statement(model, stmt, lines, indent)],
            imports,
        )


def _dir_fsync_lines(model: ModuleModel, directory: str, step: str) -> list[str]:
    fd = _fresh(model, "_dir_fd")
    return [
        'if os.name != "nt":',
        f"{step}{fd} = os.open({directory}, os.O_RDONLY)",
        f"{step}try:",
        f"{step}{step}os.fsync({fd})",
        f"{step}finally:",
        f"{step}{step}os.close({fd})",
    ]


def _fresh(model: ModuleModel, base: str, taken: tuple[str, ...] = ()) -> str:
    from iolint.edits import fresh_name

    name = fresh_name(model, base)
    n = 2
    while name in taken:
        name = fresh_name(model, f"{base}{n}")
        n += 1
    return name


# ---------------------------------------------------------------------------- IO304


class TempFileOtherDirectory(Rule):
    code = "IO304"
    severity = "error"
    name = "temp-file-other-directory"
    summary = "A temp file made in the system temp directory is renamed onto its target."
    fix_applicability = Applicability.SAFE
    triggers = ("mkstemp", "NamedTemporaryFile", "mktemp")

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        for fn in _facts(ctx):
            seen: set[ast.Call] = set()
            for p in fn.publishes:
                file = p.file
                if file is None or file.temp is None or not file.temp.system_dir:
                    continue
                origin = file.temp
                if origin.call in seen:
                    continue
                seen.add(origin.call)
                api, target = _callee(model, p.call), _label(model, p.target)
                temp = _callee(model, origin.call)
                if p.api == "shutil.move":
                    outcome = "`shutil.move()` then silently falls back to a non-atomic copy"
                else:
                    outcome = f"`{api}()` then fails with EXDEV (invalid cross-device link)"
                message = (
                    f"`{temp}()` creates the file in the system temp directory, often another "
                    f"file system than `{target}`: {outcome}; create it next to the target "
                    f"with `dir=os.path.dirname({target})`"
                )
                yield self.diagnostic(ctx, origin.call, message, self._fix(model, p, origin.call))

    def _fix(self, model: ModuleModel, p: Publish, call: ast.Call) -> Fix | None:
        target = p.target
        if not isinstance(target, (ast.Name, ast.Attribute)) or not _simple(target):
            return None
        if not _bound_before(model, target, call):
            return None
        ok, imports = _need_modules(model, call, "os")
        if not ok:
            return None
        value = f"os.path.dirname({model.text_of(target)})"
        existing = next((k for k in call.keywords if k.arg == "dir"), None)
        dir_pos = 6 if call_qualname_is_named_temp(model, call) else 2
        if existing is None and len(call.args) > dir_pos:
            return None  # ``dir`` given positionally: a keyword too would be a TypeError
        if existing is not None:
            edit = Edit(model.start(existing.value), model.end(existing.value), value)
        else:
            args = [*call.args, *call.keywords]
            if args:
                last = max(args, key=lambda a: (model.end(a).line, model.end(a).column))
                pos = model.end(last)
                edit = Edit(pos, pos, f", dir={value}")
            else:
                end = model.end(call)
                pos = type(end)(end.line, end.column - 1)
                edit = Edit(pos, pos, f"dir={value}")
        return _fix(
            "Create the temp file in the target's directory",
            Applicability.SAFE,
            model,
            [edit],
            imports,
        )


def call_qualname_is_named_temp(model: ModuleModel, call: ast.Call) -> bool:
    return model.call_qualname(call) == "tempfile.NamedTemporaryFile"


def _bound_before(model: ModuleModel, expr: ast.expr, at: ast.AST) -> bool:
    """Every binding of the expression's base name precedes ``at``, so it can move there."""
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return False
    bindings = model.bindings_of(expr.id, at)
    if not bindings:
        return False
    here = (getattr(at, "lineno", 0), getattr(at, "col_offset", 0))
    scope = model.scope_of(at)
    for b in bindings:
        if b.kind == "param" or model.scope_of(b.node) is not scope:
            continue
        end = (getattr(b.node, "end_lineno", 0) or 0, getattr(b.node, "end_col_offset", 0) or 0)
        if end > here:
            return False
    return True


# ---------------------------------------------------------------------------- IO305


def _unlink_before(model: ModuleModel, fn: FunctionFacts, p: Publish) -> ast.stmt | None:
    """The statement right before the rename's statement, when it only removes the target
    (bare, under an ``if``, in a ``try`` that ignores errors, or under ``suppress``)."""
    stmt = model.statement_of(p.call)
    parent = model.parent(stmt) if stmt is not None else None
    if stmt is None or parent is None:
        return None
    target = ast.unparse(p.target)
    for body in _bodies_of(parent):
        for i, s in enumerate(body):
            if s is stmt and i > 0:
                prev = body[i - 1]
                inner = _only_statement(prev)
                if inner is None or not isinstance(inner, ast.Expr):
                    return None
                for u in fn.unlinks:
                    if u.call is inner.value and ast.unparse(u.path) == target:
                        return prev
                return None
    return None


def _bodies_of(node: ast.AST) -> Iterator[list[ast.stmt]]:
    for name in ("body", "orelse", "finalbody"):
        value = getattr(node, name, None)
        if isinstance(value, list):
            yield value
    for h in getattr(node, "handlers", ()):
        yield h.body


def _only_statement(s: ast.stmt) -> ast.stmt | None:
    if isinstance(s, ast.Expr):
        return s
    if isinstance(s, ast.If) and not s.orelse and len(s.body) == 1:
        return s.body[0]
    if isinstance(s, ast.With) and len(s.body) == 1:
        return s.body[0]
    if isinstance(s, ast.Try) and len(s.body) == 1 and not s.orelse and not s.finalbody:
        if all(all(isinstance(b, ast.Pass) for b in h.body) for h in s.handlers):
            return s.body[0]
    return None


class RenameNotReplace(Rule):
    code = "IO305"
    severity = "error"
    name = "rename-not-replace"
    summary = "`os.rename()` onto a file that may exist, or after removing the target."
    fix_applicability = Applicability.SAFE
    triggers = ("rename(",)

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        once = OnePerTarget(model)
        for fn in _facts(ctx):
            for p in fn.publishes:
                if p.api not in ("os.rename", "path.rename"):
                    continue
                if _not_worth_it(ctx, p.call, p.target, p.source):
                    continue
                if not once.first(p.target, p.call):
                    continue
                if reserved_temp_name(model, p.target):
                    continue  # mkstemp, close, remove, rename onto it: a name, not a file
                api, target = _callee(model, p.call), _label(model, p.target)
                unlink = _unlink_before(model, fn, p)
                if unlink is not None:
                    message = (
                        f"`{target}` is removed before `{api}()`: a crash in between leaves no "
                        "file at all; drop the removal and use `os.replace()`, which overwrites "
                        "atomically on every platform"
                    )
                elif (
                    _written_publish(p)
                    and may_run_on_windows(model, p.call, strict=ctx.options.strict)
                    and not gone_before(model, p.call, p.target)
                ):
                    message = (
                        f"`{api}()` raises FileExistsError on Windows when `{target}` exists; "
                        "use `os.replace()` (`Path.replace()`), which overwrites atomically "
                        "on every platform"
                    )
                else:
                    continue
                yield self.diagnostic(ctx, p.call, message, self._fix(model, p, unlink))

    def _fix(self, model: ModuleModel, p: Publish, unlink: ast.stmt | None) -> Fix | None:
        func = p.call.func
        if not isinstance(func, ast.Attribute):
            return None
        if p.api == "os.rename" and _module_available(model, "os", p.call) is not True:
            return None
        end = model.end(func)
        edits = [Edit(type(end)(end.line, end.column - len("rename")), end, "replace")]
        if unlink is not None:
            stmt = model.statement_of(p.call)
            assert stmt is not None
            if not stands_alone(model, unlink) or not stands_alone(model, stmt):
                return None
            start = model.start(unlink)
            edits.append(
                Edit(type(start)(start.line, 0), type(start)(model.end(unlink).line + 1, 0), "")
            )
        what = "`replace()`" + (" and remove the unlink before it" if unlink is not None else "")
        return Fix(f"Use {what}", Applicability.SAFE, tuple(edits))


# ---------------------------------------------------------------------------- IO306


def _unlinked_before(fn: FunctionFacts, file: WrittenFile) -> bool:
    """The path was removed earlier in the function: the write creates a new file (the removal
    opens its own window, which IO305's wording covers)."""
    keys = file.path_keys
    return any(u.seq < file.seq and ast.unparse(u.path) in keys for u in fn.unlinks)


def _published(fn: FunctionFacts, file: WrittenFile) -> bool:
    return bool(fn.publishes_of(file))


def _inplace_candidate(ctx: RuleContext, fn: FunctionFacts, file: WrittenFile) -> bool:
    model = ctx.model
    if file.temp is not None or _published(fn, file) or file.path is None:
        return False
    if looks_temporary(model, file.path) or is_device_path(model, file.path):
        return False
    if _passed_for_publishing(model, fn, file):
        return False
    if _is_descriptor(model, file.path) or _creates_missing(model, file):
        return False
    return file.written or file.truncates


def _is_descriptor(model: ModuleModel, path: ast.expr) -> bool:
    """``open(fd, "wb")`` wraps a descriptor that is already open: nothing is truncated."""
    kind = model.kind_of(path)
    return kind is not None and kind.category is Category.FD


_EXISTS_FUNCS = frozenset({"os.path.exists", "os.path.isfile", "os.path.lexists"})


def _existence_test(model: ModuleModel, test: ast.expr, path: ast.expr) -> bool | None:
    """True for ``exists(path)``, False for ``not exists(path)`` (also ``path.exists()``,
    ``path.is_file()``), None for any other test."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _existence_test(model, test.operand, path)
        return None if inner is None else not inner
    if not isinstance(test, ast.Call) or len(test.args) > 1:
        return None
    wanted = ast.dump(path)
    if model.call_qualname(test) in _EXISTS_FUNCS and test.args:
        return True if ast.dump(test.args[0]) == wanted else None
    func = test.func
    if isinstance(func, ast.Attribute) and func.attr in ("exists", "is_file") and not test.args:
        return True if ast.dump(func.value) == wanted else None
    return None


def _always_leaves(body: list[ast.stmt]) -> bool:
    """The statements never fall through (they end in ``raise``/``return``)."""
    if not body:
        return False
    last = body[-1]
    if isinstance(last, (ast.Raise, ast.Return)):
        return True
    if isinstance(last, (ast.With, ast.AsyncWith)):
        return _always_leaves(last.body)
    if isinstance(last, ast.If):
        return _always_leaves(last.body) and _always_leaves(last.orelse)
    return False


def _creates_missing(model: ModuleModel, file: WrittenFile) -> bool:
    """The write only runs when the file does not exist yet, so there is nothing to lose:
    under ``if not os.path.exists(path):``, or right after a ``try`` that leaves whenever the
    file could be read and catches FileNotFoundError."""
    path = file.path
    if path is None:
        return False
    child: ast.AST = file.node
    for anc in model.ancestors(file.node):
        if isinstance(anc, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            break
        if isinstance(anc, ast.If):
            exists = _existence_test(model, anc.test, path)
            if exists is not None:
                in_body = any(child is s for s in anc.body)
                if in_body != exists:  # body of `not exists(p)`, or else of `exists(p)`
                    return True
        child = anc
    stmt = model.statement_of(file.node)
    parent = model.parent(stmt) if stmt is not None else None
    for field_name in ("body", "orelse", "finalbody"):
        siblings = getattr(parent, field_name, None)
        if not isinstance(siblings, list) or stmt not in siblings:
            continue
        index = siblings.index(stmt)
        # The statement before, over asserts and docstring-like expressions that do no I/O.
        before = None
        for candidate in reversed(siblings[:index]):
            if isinstance(candidate, (ast.Assert, ast.Pass)) or (
                isinstance(candidate, ast.Expr) and isinstance(candidate.value, ast.Constant)
            ):
                continue
            before = candidate
            break
        if isinstance(before, ast.Try) and (
            _always_leaves(before.body) or _always_leaves(before.orelse)
        ):
            for handler in before.handlers:
                names = {model.qualname(t) for t in _handler_types(handler)}
                if names & {"builtins.FileNotFoundError"}:
                    return True
    return False


def _handler_types(handler: ast.ExceptHandler) -> list[ast.expr]:
    if handler.type is None:
        return []
    if isinstance(handler.type, ast.Tuple):
        return list(handler.type.elts)
    return [handler.type]


def _passed_for_publishing(model: ModuleModel, fn: FunctionFacts, file: WrittenFile) -> bool:
    """The path is a parameter and a caller in this module passes a temp path or publishes
    what it passed: the function writes a temp file for its caller."""
    node = fn.node
    if not isinstance(file.path, ast.Name) or not isinstance(
        node, (ast.FunctionDef, ast.AsyncFunctionDef)
    ):
        return False
    params = [a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)]
    if file.path.id not in params:
        return False
    bindings = model.bindings_of(file.path.id, file.path) or []
    if any(b.kind != "param" for b in bindings):
        return False
    index = params.index(file.path.id)
    is_method = isinstance(model.parent(node), ast.ClassDef)
    facts = model.fact(durability_facts)
    for call in model.calls_named(fn.name):
        arg = call_arg(call, index - (1 if is_method else 0), file.path.id)
        if arg is None:
            continue
        if looks_temporary(model, arg):
            return True
        unit = model.enclosing_function(call)
        caller = next((f for f in facts.functions if f.node is unit), None)
        if caller is not None and any(
            ast.unparse(p.source) == ast.unparse(arg) for p in caller.publishes
        ):
            return True
    return False


class NonAtomicOverwrite(Rule):
    code = "IO306"
    severity = "error"
    name = "non-atomic-overwrite"
    summary = "A save function truncates and rewrites its file in place."
    fix_applicability = Applicability.UNSAFE
    triggers = ("open(", "fdopen(", "write_text(", "write_bytes(")

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        once = OnePerTarget(model)
        for fn in _facts(ctx):
            if not _is_save_function(ctx, fn):
                continue
            by_name = bool(ctx.options.save_function_pattern().search(fn.name))
            for file in fn.files:
                if not file.truncates or fresh_path(model, file.path):
                    continue
                if next_free_name(model, file.path) or _unlinked_before(fn, file):
                    continue
                if not _inplace_candidate(ctx, fn, file):
                    continue
                if _not_worth_it(ctx, file.node, file.path):
                    continue
                if not by_name and not fn.rewrites_what_it_read(file):
                    # A save by read-modify-write: only the file it read and rewrites is the
                    # saved state; other files it writes (a new WHEEL beside it) are not.
                    continue
                if not once.first(file.path, file.node):
                    continue
                path = _label(model, file.path)
                message = (
                    f"`{fn.name}()` truncates `{path}` and rewrites it in place: a crash or "
                    "power failure mid-write leaves it empty or half-written; write a temp "
                    "file in the same directory, fsync it and `os.replace()` it onto the target"
                )
                yield self.diagnostic(ctx, file.node, message, _inplace_fix(model, file))


def _inplace_fix(model: ModuleModel, file: WrittenFile) -> Fix | None:
    w = file.with_stmt
    call = file.node
    if not isinstance(w, ast.With) or len(w.items) != 1 or w.items[0].context_expr is not call:
        return None
    var = w.items[0].optional_vars
    if not isinstance(var, ast.Name) or file.api != "open":
        return None
    if model.call_qualname(call) not in ("builtins.open", "io.open"):
        return None
    if not call.args or call.args[0] is not file.path or not _simple(file.path):
        return None
    if not stands_alone(model, w) or w.body[0].lineno <= w.lineno:
        return None
    if not _body_falls_through(w) or _rebinds(w.body, file.path):
        return None
    if any(model.start(use) > model.end(w) for use in model.uses_after(var.id, w.items[0])):
        return None
    ok, imports = _need_modules(model, w, "os", "tempfile")
    if not ok:
        return None
    target = model.text_of(file.path)
    dir_name = _fresh(model, "_target_dir")
    fd = _fresh(model, "_tmp_fd")
    tmp = _fresh(model, "_tmp_path")
    step = indent_unit(model, w)
    indent = model.source.indentation(w.lineno)
    body_indent = model.source.indentation(w.body[0].lineno)
    nl = model.source.newline
    before = insert_before_statement(
        model,
        w,
        [
            f"{dir_name} = os.path.dirname(os.path.abspath({target}))",
            f'{fd}, {tmp} = tempfile.mkstemp(dir={dir_name}, suffix=".tmp")',
        ],
    )
    swap = Edit(model.start(file.path), model.end(file.path), fd)
    tail_lines = [
        *(body_indent + line for line in _fsync_lines(file, var.id, False)),
        indent + f"os.replace({tmp}, {target})",
        *(indent + line for line in _dir_fsync_lines(model, dir_name, step)),
    ]
    end_line = model.end(w).line
    pos = type(model.end(w))(end_line, len(model.source.line(end_line)))
    tail = Edit(pos, pos, "".join(nl + line for line in tail_lines))
    return _fix(
        "Write a temp file in the same directory, fsync it and replace the target with it",
        Applicability.UNSAFE,
        model,
        [before, swap, tail],
        imports,
    )


def _body_falls_through(w: ast.With) -> bool:
    """No ``return``/``yield``/``break``/``continue`` leaves the block early (the replace after
    it would be skipped)."""
    loops = (ast.For, ast.AsyncFor, ast.While)
    stack: list[tuple[ast.AST, bool]] = [(s, False) for s in w.body]
    while stack:
        node, in_loop = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom, ast.Await)):
            return False
        if isinstance(node, (ast.Break, ast.Continue)) and not in_loop:
            return False
        inner = in_loop or isinstance(node, loops)
        stack.extend((c, inner) for c in ast.iter_child_nodes(node))
    return True


def _rebinds(body: list[ast.stmt], target: ast.expr) -> bool:
    key = expr_key(target)
    if key is None:
        return False
    base = key.split(".", 1)[0]
    for node in walk_local(body):
        if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Store):
            k = expr_key(node)
            if k is not None and k in (key, base):
                return True
    return False


# ---------------------------------------------------------------------------- IO307


class UnsyncedSave(Rule):
    code = "IO307"
    severity = "error"
    name = "unsynced-save"
    summary = "A save function appends to or creates a file and closes it without fsync."
    fix_applicability = Applicability.UNSAFE
    triggers = ("open(", "fdopen(")

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        once = OnePerTarget(model)
        for fn in _facts(ctx):
            if not _is_save_function(ctx, fn):
                continue
            for file in fn.files:
                if file.temp is not None or _published(fn, file) or file.api == "path.write":
                    continue
                if is_device_path(model, file.path) or looks_temporary(model, file.path):
                    continue
                fresh = file.truncates and fresh_path(model, file.path)
                if not (file.appends or file.exclusive or fresh) or not file.written:
                    continue
                close = file.close_event()
                if close is None:
                    continue
                synced = any(
                    e.kind in ("fsync", "maybe_fsync") and e.seq < close.seq for e in file.events
                ) or any(
                    s.scope in ("global", "unknown") for s in fn.syncs_between(file.seq, close.seq)
                )
                if synced or _not_worth_it(ctx, file.node, file.path):
                    continue
                if not once.first(file.path, file.node):
                    continue
                how = "appends to" if file.appends else "creates"
                message = (
                    f"`{fn.name}()` {how} `{_label(model, file.path)}` and closes it without "
                    "fsync: the data can vanish after a power failure although the save "
                    "returned; flush and `os.fsync()` the file before it is closed"
                )
                yield self.diagnostic(ctx, file.node, message, self._fix(model, file))

    def _fix(self, model: ModuleModel, file: WrittenFile) -> Fix | None:
        return _flush_fsync_fix(model, file, None, file.node)


# ---------------------------------------------------------------------------- IO308


class MacosFsyncIsNotFull(Rule):
    code = "IO308"
    severity = "note"
    name = "macos-fsync-is-not-full"
    summary = "On macOS `os.fsync()` does not flush the drive cache; `F_FULLFSYNC` does."
    fix_applicability = Applicability.DISPLAY_ONLY
    default_enabled = False
    triggers = ("fsync",)

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        for call in model.calls_named("fsync"):
            if model.call_qualname(call) != "os.fsync":
                continue
            if DARWIN not in reachable_platforms(model, call):
                continue
            unit = model.enclosing_function(call) or model.statement_of(call)
            if unit is not None and "F_FULLFSYNC" in model.text_of(unit):
                continue
            message = (
                "on macOS `os.fsync()` does not flush the drive's write cache, so the data "
                "can still be lost on power failure; use `fcntl.fcntl(fd, fcntl.F_FULLFSYNC)` "
                "there and fall back to `os.fsync()` only on ENOTSUP/EINVAL"
            )
            yield self.diagnostic(ctx, call, message)


# ---------------------------------------------------------------------------- IO309


class GlobalSync(Rule):
    code = "IO309"
    name = "global-sync"
    summary = "`os.sync()` flushes every file system of the machine to persist one file."
    fix_applicability = Applicability.DISPLAY_ONLY
    triggers = ("sync(",)

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for fn in _facts(ctx):
            for s in fn.syncs:
                if s.scope != "global":
                    continue
                written = [f for f in fn.files if f.written and f.seq < s.seq]
                if not written or all(_file_not_worth_it(ctx, fn, f) for f in written):
                    continue
                message = (
                    "`os.sync()` writes back every file system of the machine to persist a file "
                    "written here: slow on a busy host, and POSIX lets it return before the "
                    "data is on disk; fsync the file and its directory instead"
                )
                yield self.diagnostic(ctx, s.call, message)
