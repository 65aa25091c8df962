"""libcst transforms for fixes that add statements, expressed as minimal text edits.

Detection runs on ``ast``; a fix that adds whole statements is built on the libcst tree of the
same text, so that indentation, comments and blank lines come out in the module's own layout
(libcst re-uses the block's indentation and the module's newline). The transformed module is
then diffed against the original, line by line, into the :class:`Edit` values that the JSON,
SARIF and LSP outputs carry. libcst is imported only here, and only when such a fix is built:
its import costs a lint-only run 0.2 s of CPU per process.

A helper function added at module level (``separate`` set) needs no layout but the blank lines
PEP 8 wants around it; it is plain text, so that a fix that adds only a helper and renames a
call (IO306) never imports libcst.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from iolint.diagnostics import Edit, Position
from iolint.model import ModuleModel

if TYPE_CHECKING:
    import libcst

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


@dataclass(frozen=True)
class Insertion:
    """Statements (source lines without indentation) to put right before or after the
    statement that starts at ``anchor``."""

    anchor: Position
    lines: tuple[str, ...]
    after: bool
    # For a module-level definition put before a module-level anchor (after=False): the blank
    # lines around it (2, as PEP 8 and the formatters want).
    separate: int = 0


def _top_level_span(model: ModuleModel, line: int) -> tuple[int, int] | None:
    """First and last line of the module-level statement (decorators, and the comments and
    blank lines right above) that holds ``line``."""
    for stmt in model.tree.body:
        decorators: list[ast.expr] = getattr(stmt, "decorator_list", [])
        first = min([stmt.lineno, *(d.lineno for d in decorators)])
        last = stmt.end_lineno or stmt.lineno
        if first <= line <= last:
            # Comment lines right above belong to the statement (libcst's leading lines):
            # a helper inserted before it goes above them.
            while first > 1 and model.source.line(first - 1).lstrip()[:1] in ("#", ""):
                first -= 1
            return first, last
    return None


def statement_anchor(model: ModuleModel, stmt: ast.stmt) -> Position:
    """Where libcst says ``stmt`` starts: at its first decorator (the ``@``), if any."""
    decorators: list[ast.expr] = getattr(stmt, "decorator_list", [])
    if decorators:
        first = model.start(decorators[0])
        return Position(first.line, first.column - 1)
    return model.start(stmt)


def insert_statements(
    model: ModuleModel, insertions: Sequence[Insertion], text_edits: Sequence[Edit] = ()
) -> list[Edit] | None:
    """Edits inserting the statements, together with ``text_edits`` (positions in the
    original text, on lines the insertions leave as they are: imports, a renamed callee);
    None when libcst cannot place a statement or an edit falls on a changed line."""
    original = model.source.text
    plain = [_definition_edit(model, i) for i in insertions if i.separate]
    extra = _merge_insertions([*text_edits, *plain])
    if len(plain) == len(insertions):
        return extra
    groups: dict[tuple[int, int], list[Insertion]] = {}
    for ins in insertions:
        if ins.separate:
            continue
        span = _top_level_span(model, ins.anchor.line)
        if span is None:
            return None
        groups.setdefault(span, []).append(ins)
    text = original
    # Each module-level statement is transformed on its own, the last one first, so that
    # the offsets of the earlier ones stay valid.
    for span in sorted(groups, reverse=True):
        found = _transform_region(model, span, groups[span])
        if found is None:
            return None
        start, old, new = found
        text = text[:start] + new + text[start + len(old) :]
    if extra:
        moved = _map_edits(original, text, extra)
        if moved is None:
            return None
        text = _apply(text, moved)
    return diff_edits(original, text)


def _definition_edit(model: ModuleModel, ins: Insertion) -> Edit:
    """A module-level definition before the anchor and the comments right above it, with
    ``separate`` blank lines on both sides."""
    line = ins.anchor.line
    while line > 1 and model.source.line(line - 1).lstrip().startswith("#"):
        line -= 1
    above = line - 1
    while above >= 1 and not model.source.line(above).strip():
        above -= 1
    blank = line - 1 - above
    nl = model.source.newline
    lead = nl * (ins.separate - blank) if above >= 1 and blank < ins.separate else ""
    text = lead + "".join(text + nl for text in ins.lines) + nl * ins.separate
    return Edit(Position(line, 0), Position(line, 0), text)


def _merge_insertions(edits: Sequence[Edit]) -> list[Edit]:
    """Insertions at one point become one edit, in the given order (imports before the
    helper that uses them): two edits at one point would have no defined order."""
    out: list[Edit] = []
    for e in edits:
        same = next((i for i, o in enumerate(out) if o.start == o.end == e.start == e.end), None)
        if same is None:
            out.append(e)
        else:
            out[same] = Edit(e.start, e.end, out[same].content + e.content)
    return out


def _map_edits(old: str, new: str, edits: Sequence[Edit]) -> list[Edit] | None:
    """``edits`` on ``old`` as edits on ``new``, through the lines both texts share."""
    a, b = _LINE.findall(old), _LINE.findall(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    blocks = matcher.get_matching_blocks()
    # Lines inserted right before old line i: an insertion there goes before them (imports
    # added above a statement the fix also puts a helper above).
    inserted_before = {i1: j1 for tag, i1, _, j1, _ in matcher.get_opcodes() if tag == "insert"}

    def line(n: int, at_end: bool) -> int | None:
        index = n - 1
        for i, j, size in blocks:
            # A position at column 0 of the line after a block still belongs to it.
            if i <= index < i + size or (at_end and size and index == i + size):
                return j + (index - i) + 1
        return None

    out: list[Edit] = []
    for e in edits:
        if e.start == e.end and e.start.column == 0 and e.start.line - 1 in inserted_before:
            at = Position(inserted_before[e.start.line - 1] + 1, 0)
            out.append(Edit(at, at, e.content))
            continue
        start = line(e.start.line, False) if e.start.line <= len(a) else len(b) + 1
        end = line(e.end.line, e.end.column == 0) if e.end.line <= len(a) else len(b) + 1
        if start is None or end is None:
            return None
        out.append(Edit(Position(start, e.start.column), Position(end, e.end.column), e.content))
    return out


def _apply(text: str, edits: Sequence[Edit]) -> str:
    from iolint.fix import apply_edits

    return apply_edits(text, edits)


def _transform_region(
    model: ModuleModel, span: tuple[int, int], insertions: Sequence[Insertion]
) -> tuple[int, str, str] | None:
    """Parse only the module-level statements that hold the anchors (libcst takes ten times
    as long as ``ast`` to parse, and a fix in a 4000-line test module must not cost seconds),
    insert, and return the region's offset, old text and new text."""
    import libcst
    from libcst.metadata import MetadataWrapper, PositionProvider

    first, last = span
    text = model.source.text
    start = model.source.offset(Position(first, 0))
    end = len(text)
    if last < model.source.line_count:
        end = model.source.offset(Position(last + 1, 0))
    old = text[start:end]
    try:
        module = libcst.parse_module(old)
    except Exception:  # any parser failure means "no fix", never a crash
        return None
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    nl = module.default_newline
    # Statements to put before and after each anchor (an fsync before a publish and a
    # directory fsync after it share their anchor).
    new_statements: dict[int, tuple[list[libcst.BaseStatement], list[libcst.BaseStatement]]] = {}
    wanted: dict[tuple[int, int], list[Insertion]] = {}
    for ins in insertions:
        wanted.setdefault((ins.anchor.line - first + 1, ins.anchor.column), []).append(ins)
    found: dict[tuple[int, int], libcst.CSTNode] = {}
    for node, rng in positions.items():
        key = (rng.start.line, rng.start.column)
        statement = (libcst.SimpleStatementLine, libcst.BaseCompoundStatement)
        if key in wanted and isinstance(node, statement):
            found[key] = node
    if len(found) != len(wanted):
        return None
    for key, node in found.items():
        before: list[libcst.BaseStatement] = []
        after: list[libcst.BaseStatement] = []
        for ins in wanted[key]:
            try:
                code = nl.join(ins.lines) + nl
                parsed = libcst.parse_module(code, config=module.config_for_parsing)
            except Exception:
                return None
            (after if ins.after else before).extend(parsed.body)
        new_statements[id(node)] = (before, after)

    class _Insert(libcst.CSTTransformer):
        def _spread(
            self,
            original: Sequence[libcst.CSTNode],
            body: Sequence[libcst.CSTNode],
        ) -> list[libcst.CSTNode]:
            out: list[libcst.CSTNode] = []
            for before, stmt in zip(original, body):
                entry = new_statements.get(id(before))
                if entry is None:
                    out.append(stmt)
                    continue
                ahead, behind = entry
                if ahead:
                    # Comments above the anchor stay above the inserted statements.
                    leading = getattr(stmt, "leading_lines", ())
                    ahead = [ahead[0].with_changes(leading_lines=leading), *ahead[1:]]
                    stmt = stmt.with_changes(leading_lines=())
                out.extend([*ahead, stmt, *behind])
            return out

        def on_leave(  # type: ignore[override]
            self, original_node: libcst.CSTNode, updated_node: libcst.CSTNode
        ) -> libcst.CSTNode:
            if isinstance(original_node, (libcst.Module, libcst.IndentedBlock)) and isinstance(
                updated_node, (libcst.Module, libcst.IndentedBlock)
            ):
                body = self._spread(original_node.body, updated_node.body)
                return updated_node.with_changes(body=body)
            return updated_node

    # Positions were resolved on the same, uncopied tree, so the anchors are the transformer's
    # original nodes.
    new_module = wrapper.module.visit(_Insert())
    assert isinstance(new_module, libcst.Module)
    return start, old, new_module.code


def diff_edits(old: str, new: str) -> list[Edit]:
    """The line ranges that differ between two texts, as edits on ``old``."""
    a, b = _LINE.findall(old), _LINE.findall(new)

    def pos(index: int) -> Position:
        if index < len(a) or not a or a[-1].endswith(("\n", "\r")):
            return Position(index + 1, 0)
        return Position(len(a), len(a[-1]))

    edits: list[Edit] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            edits.append(Edit(pos(i1), pos(i2), "".join(b[j1:j2])))
    return edits
