"""IO5xx: open flags (seek-to-end appends that race, ``O_CREAT`` without a mode)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from iolint.diagnostics import Applicability, Diagnostic, Edit, Fix, Position
from iolint.model import ModuleModel
from iolint.model.consequence import created_empty
from iolint.model.flagbits import sets_flag
from iolint.model.kinds import Category, call_arg, literal_int
from iolint.model.platform import windows_only
from iolint.model.scopes import walk_local
from iolint.model.writes import FILE_WRITE_METHODS, known_file, object_key, scope_body
from iolint.rules.base import Rule, RuleContext

_SEEK_END = frozenset({"os.SEEK_END", "io.SEEK_END"})
# Identifiers that suggest the writers are serialized by a lock (flock, lockf, a mutex, a lock
# file): with one, seek-then-write is not a race.
_LOCKISH = re.compile(r"(^|_)(f?lock|lockf|locks|locked|locking|filelock|acquire|portalocker)($|_)")


def _is_seek_end(model: ModuleModel, offset: ast.expr | None, whence: ast.expr | None) -> bool:
    if literal_int(offset) != 0 or whence is None:
        return False
    return literal_int(whence) == 2 or model.qualname(whence) in _SEEK_END


def _fd_opened_for_shared_writes(model: ModuleModel, fd: ast.expr) -> bool:
    """``fd`` comes from ``os.open`` with write access and neither ``O_APPEND`` (no race),
    ``O_TRUNC`` nor ``O_EXCL`` (the opener starts the file afresh and owns its end)."""
    kind = model.kind_of(fd)
    if kind is None or kind.category is not Category.FD or not isinstance(kind.origin, ast.Call):
        return False
    origin = kind.origin
    if model.call_qualname(origin) != "os.open":
        return False
    flags = call_arg(origin, 1, "flags")
    if flags is None:
        return False
    if not any(model.mentions(flags, f"os.{f}") for f in ("O_WRONLY", "O_RDWR")):
        return False
    return not any(model.mentions(flags, f"os.{f}") for f in ("O_APPEND", "O_TRUNC", "O_EXCL"))


def _file_opened_for_shared_writes(mode: str | None) -> bool:
    """``"r+"``: writable, not truncated, not appending. Files opened with ``"w"``/``"x"``
    were emptied or created by this opener, which owns their end; ``"a"`` never races."""
    return mode is not None and mode.startswith("r") and "+" in mode and "a" not in mode


def _pos(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


def _exclusive_branches(model: ModuleModel, a: ast.AST, b: ast.AST) -> bool:
    """``a`` and ``b`` sit in the two branches of one ``if``."""
    a_chain = [a, *model.ancestors(a)]
    b_chain = [b, *model.ancestors(b)]
    b_ids = {id(n) for n in b_chain}
    for i, node in enumerate(a_chain):
        if id(node) in b_ids:
            if isinstance(node, ast.If) and i > 0:
                a_child = a_chain[i - 1]
                b_child = b_chain[b_chain.index(node) - 1]
                return _in_block(a_child, node.body) != _in_block(b_child, node.body)
            return False
    return False


def _in_block(node: ast.AST, block: list[ast.stmt]) -> bool:
    return any(s is node for s in block)


class AppendRace(Rule):
    code = "IO501"
    name = "append-race"
    summary = "Seeking to the end and then writing races with other appenders; use append mode."
    fix_applicability = Applicability.DISPLAY_ONLY
    triggers = ("seek(", "lseek(")

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        for call in model.calls_named("seek", "lseek"):
            target = self._seek_end_target(model, call)
            if target is None:
                continue
            obj, is_fd = target
            if not self._next_event_is_write(model, call, obj, is_fd) or self._locked(model, call):
                continue
            spelled = model.text_of(obj)
            how = "os.open(..., os.O_APPEND)" if is_fd else 'mode "a"'
            message = (
                f"`{model.text_of(call)}` then a write on `{spelled}`: another writer can "
                "append between the seek and the write, and one record overwrites the other; "
                f"open with {how}, where every write lands at the end atomically"
            )
            yield self.diagnostic(ctx, call, message)

    @staticmethod
    def _seek_end_target(model: ModuleModel, call: ast.Call) -> tuple[ast.expr, bool] | None:
        if any(isinstance(a, ast.Starred) for a in call.args):
            return None
        q = model.call_qualname(call)
        if q == "os.lseek":
            if len(call.args) != 3 or not _is_seek_end(model, call.args[1], call.args[2]):
                return None
            fd = call.args[0]
            return (fd, True) if _fd_opened_for_shared_writes(model, fd) else None
        func = call.func
        if q is not None or not isinstance(func, ast.Attribute) or func.attr != "seek":
            return None
        if not _is_seek_end(model, call_arg(call, 0, "offset"), call_arg(call, 1, "whence")):
            return None
        kind = known_file(model, func.value)
        if kind is None or not _file_opened_for_shared_writes(kind.mode):
            return None
        return func.value, False

    @staticmethod
    def _next_event_is_write(
        model: ModuleModel, seek: ast.Call, obj: ast.expr, is_fd: bool
    ) -> bool:
        """The first operation on ``obj`` after the seek (source order, same function) writes
        at the current position; another seek or a truncate in between ends the race."""
        key = object_key(obj)
        events: list[tuple[tuple[int, int], str, ast.Call]] = []
        for node in walk_local(scope_body(model, seek)):
            if not isinstance(node, ast.Call) or node is seek or _pos(node) <= _pos(seek):
                continue
            kind = _event_kind(model, node, key, is_fd)
            if kind is not None:
                events.append((_pos(node), kind, node))
        if not events:
            return False
        _, kind, node = min(events, key=lambda e: e[0])
        return kind == "write" and not _exclusive_branches(model, seek, node)

    @staticmethod
    def _locked(model: ModuleModel, seek: ast.Call) -> bool:
        for node in walk_local(scope_body(model, seek)):
            name = (
                node.id
                if isinstance(node, ast.Name)
                else node.attr
                if isinstance(node, ast.Attribute)
                else None
            )
            if name is not None and _LOCKISH.search(name.lower()):
                return True
        return False


def _event_kind(model: ModuleModel, call: ast.Call, key: str, is_fd: bool) -> str | None:
    q = model.call_qualname(call)
    if is_fd:
        target = call_arg(call, 0) if q is not None and q.startswith("os.") else None
        if target is None or object_key(target) != key:
            return None
        if q in ("os.write", "os.writev"):
            return "write"
        if q in ("os.lseek", "os.ftruncate"):
            return "move"
        return None
    func = call.func
    if q == "builtins.print":
        target = next((k.value for k in call.keywords if k.arg == "file"), None)
        return "write" if target is not None and object_key(target) == key else None
    if q is not None or not isinstance(func, ast.Attribute) or object_key(func.value) != key:
        return None
    if func.attr in FILE_WRITE_METHODS:
        return "write"
    if func.attr in ("seek", "truncate"):
        return "move"
    return None


def _flags_mention_creat(model: ModuleModel, flags: ast.expr) -> bool:
    if sets_flag(model, flags, "os.O_CREAT"):
        return True
    if isinstance(flags, ast.Name):
        # ``flags = os.O_WRONLY | os.O_CREAT`` bound once in the same scope.
        scope = model.scope_of(flags)
        bindings = scope.bindings.get(flags.id, [])
        return (
            len(bindings) == 1
            and bindings[0].kind == "assign"
            and bindings[0].index is None
            and bindings[0].value is not None
            and sets_flag(model, bindings[0].value, "os.O_CREAT")
        )
    return False


class CreatDefaultMode(Rule):
    code = "IO502"
    name = "creat-default-mode"
    summary = "`os.open` with `O_CREAT` and no mode creates world-executable files (0o777)."
    fix_applicability = Applicability.SAFE
    triggers = ("O_CREAT",)

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        model = ctx.model
        for call in model.calls_named("open"):
            if model.call_qualname(call) != "os.open":
                continue
            if any(isinstance(a, ast.Starred) for a in call.args) or any(
                k.arg is None for k in call.keywords
            ):
                continue
            if len(call.args) > 2 or any(k.arg == "mode" for k in call.keywords):
                continue
            flags = call_arg(call, 1, "flags")
            if flags is None or not _flags_mention_creat(model, flags):
                continue
            if windows_only(model, call):
                continue  # mode bits are POSIX advice: Windows ignores all but read-only
            if not ctx.options.strict and created_empty(model, call):
                continue  # a lock or marker file: nobody reads or runs it
            if _removed_in_same_function(model, call) and not ctx.options.strict:
                continue
            message = (
                "`os.open(..., O_CREAT)` without a mode creates the file with mode 0o777 minus "
                "the umask, so it is executable (0o755 by default); pass `0o666` like `open()` "
                "does, or tighter"
            )
            yield self.diagnostic(ctx, call, message, self._fix(model, call, flags))

    @staticmethod
    def _fix(model: ModuleModel, call: ast.Call, flags: ast.expr) -> Fix | None:
        """A positional ``0o666`` right after positional flags (before any keyword), else
        ``mode=0o666`` after the last argument."""
        if len(call.args) == 2 and call.args[1] is flags:
            after: ast.AST = flags
            content = ", 0o666"
            following = [k for k in call.keywords if _pos_end(model, k) > _pos_end(model, flags)]
            boundary = (
                model.source.offset(model.start(min(following, key=lambda k: _pos_end(model, k))))
                if following
                else model.source.offset(model.end(call)) - 1  # the call's own ")"
            )
        else:
            after = max([*call.args, *call.keywords], key=lambda n: _pos_end(model, n))
            content = ", mode=0o666"
            boundary = model.source.offset(model.end(call)) - 1
        offset = _past_closing_parens(model, model.source.offset(model.end(after)), boundary)
        if offset is None:
            return None
        at = _position(model, offset)
        content = _one_per_line(model, call, after, content)
        return Fix(
            "Pass mode `0o666` (what `open()` uses)", Applicability.SAFE, (Edit(at, at, content),)
        )


def _one_per_line(model: ModuleModel, call: ast.Call, last: ast.AST, content: str) -> str:
    """``, 0o666`` on a line of its own when the call has one argument per line (black's
    layout with a magic trailing comma), so that the formatter leaves the fixed call as it
    is."""
    start = model.start(last)
    own_line = not model.source.line(start.line)[: start.column].strip()
    if not own_line or model.start(call).line == start.line:
        return content
    indent = model.source.indentation(start.line)
    return "," + model.source.newline + indent + content[2:]


def _past_closing_parens(model: ModuleModel, start: int, boundary: int) -> int | None:
    """Where an argument really ends: after the ``)`` of ``(A | B)`` (the ast range stops
    inside the parentheses). None when a comment or anything unexpected sits before the
    next comma or the call's end."""
    segment = model.source.text[start:boundary]
    run = re.match(r"[\s)]*", segment)
    assert run is not None
    if segment[run.end() :].strip() not in ("", ","):
        return None
    closing = run.group().rfind(")")
    return start + closing + 1 if closing >= 0 else start


def _position(model: ModuleModel, offset: int) -> Position:
    text = model.source.text
    line = (
        text.count("\n", 0, offset)
        + text.count("\r", 0, offset)
        - text.count("\r\n", 0, offset)
        + 1
    )
    line_start = max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1
    return Position(line, offset - line_start)


def _pos_end(model: ModuleModel, node: ast.AST) -> tuple[int, int]:
    end = model.end(node)
    return (end.line, end.column)


__all__ = ["AppendRace", "CreatDefaultMode"]


def _removed_in_same_function(model: ModuleModel, call: ast.Call) -> bool:
    """The created path is removed later in the same function (``os.unlink(path)``): a probe
    file (can this directory be written?) that nobody will ever execute or read."""
    path = call_arg(call, 0, "path")
    func = model.enclosing_function(call)
    if path is None or func is None:
        return False
    spelled = ast.dump(path)
    for node in walk_local([func]):
        if (
            isinstance(node, ast.Call)
            and node.args
            and model.call_qualname(node) in ("os.unlink", "os.remove")
            and ast.dump(node.args[0]) == spelled
            and (node.lineno, node.col_offset) > (call.lineno, call.col_offset)
        ):
            return True
    return False
