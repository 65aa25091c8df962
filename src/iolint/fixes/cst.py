"""libcst transforms for fixes that add statements, expressed as minimal text edits.

Detection runs on ``ast``; a fix that adds whole statements is built on the libcst tree of the
same text, so that indentation, comments and blank lines come out in the module's own layout
(libcst re-uses the block's indentation and the module's newline). The transformed module is
then diffed against the original, line by line, into the :class:`Edit` values that the JSON,
SARIF and LSP outputs carry. libcst is imported only here, and only when such a fix is built:
its import costs a lint-only run 0.1 s.
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
    # Blank lines between inserted statements and a following anchor (2 for a new top-level
    # function before another statement, as PEP 8 and the formatters want).
    separate: int = 0


def _top_level_span(model: ModuleModel, line: int) -> tuple[int, int] | None:
    """First and last line of the module-level statement (decorators included) that
    holds ``line``."""
    for stmt in model.tree.body:
        decorators: list[ast.expr] = getattr(stmt, "decorator_list", [])
        first = min([stmt.lineno, *(d.lineno for d in decorators)])
        last = stmt.end_lineno or stmt.lineno
        if first <= line <= last:
            return first, last
    return None


def statement_anchor(model: ModuleModel, stmt: ast.stmt) -> Position:
    """Where libcst says ``stmt`` starts: at its first decorator (the ``@``), if any."""
    decorators: list[ast.expr] = getattr(stmt, "decorator_list", [])
    if decorators:
        first = model.start(decorators[0])
        return Position(first.line, first.column - 1)
    return model.start(stmt)


def insert_statements(model: ModuleModel, insertions: Sequence[Insertion]) -> list[Edit] | None:
    """Edits inserting the statements; None when libcst cannot place one of them."""
    found = _transform_region(model, insertions)
    if found is None:
        return None
    first, old, new = found
    return [
        Edit(_shift(e.start, first), _shift(e.end, first), e.content) for e in diff_edits(old, new)
    ]


def _shift(pos: Position, first: int) -> Position:
    """A position in the region starting at line ``first``, as one in the module."""
    return Position(pos.line + first - 1, pos.column)


def inserted_text(model: ModuleModel, insertions: Sequence[Insertion]) -> str | None:
    """The module's text with the statements inserted; None when libcst cannot place one."""
    found = _transform_region(model, insertions)
    if found is None:
        return None
    first, old, new = found
    text = model.source.text
    start = model.source.offset(Position(first, 0))
    return text[:start] + new + text[start + len(old) :]


def _transform_region(
    model: ModuleModel, insertions: Sequence[Insertion]
) -> tuple[int, str, str] | None:
    """Parse only the module-level statements that hold the anchors (libcst takes ten times
    as long as ``ast`` to parse, and a fix in a 4000-line test module must not cost seconds),
    insert, and return the region's first line, old text and new text."""
    import libcst
    from libcst.metadata import MetadataWrapper, PositionProvider

    spans = [_top_level_span(model, i.anchor.line) for i in insertions]
    if not spans or any(span is None for span in spans):
        return None
    first = min(span[0] for span in spans if span is not None)
    last = max(span[1] for span in spans if span is not None)
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
    new_statements: dict[int, tuple[Insertion, list[libcst.BaseStatement]]] = {}
    wanted = {(i.anchor.line - first + 1, i.anchor.column): i for i in insertions}
    found: dict[tuple[int, int], libcst.CSTNode] = {}
    for node, rng in positions.items():
        key = (rng.start.line, rng.start.column)
        statement = (libcst.SimpleStatementLine, libcst.BaseCompoundStatement)
        if key in wanted and isinstance(node, statement):
            found[key] = node
    if len(found) != len(wanted):
        return None
    for key, node in found.items():
        ins = wanted[key]
        try:
            parsed = libcst.parse_module(nl.join(ins.lines) + nl, config=module.config_for_parsing)
        except Exception:
            return None
        new_statements[id(node)] = (ins, list(parsed.body))

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
                ins, statements = entry
                if ins.after:
                    out.extend([stmt, *statements])
                elif ins.separate:
                    # Blank lines above the anchor go above the new statements; its comments
                    # stay with it.
                    lines: list[libcst.EmptyLine] = list(getattr(stmt, "leading_lines", ()))
                    blank = 0
                    while blank < len(lines) and lines[blank].comment is None:
                        blank += 1
                    first = statements[0].with_changes(leading_lines=lines[:blank])
                    gap = [libcst.EmptyLine()] * ins.separate
                    anchor = stmt.with_changes(leading_lines=gap + lines[blank:])
                    out.extend([first, *statements[1:], anchor])
                else:
                    # Comments above the anchor stay above the inserted statements.
                    first = statements[0].with_changes(
                        leading_lines=getattr(stmt, "leading_lines", ())
                    )
                    out.extend([first, *statements[1:], stmt.with_changes(leading_lines=())])
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
    return first, old, new_module.code


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
