"""``iolint server``: a language server on standard input/output, so editors get iolint's fixes
where the user types, not just its findings.

What it offers:

- diagnostics for every open Python document, computed from the editor's in-memory text with the
  settings of the closest ``pyproject.toml`` (the CLI's :class:`~iolint.config.ConfigResolver`),
  published on open and save at once and after a short pause in typing on change;
- code actions: each rule's fix as a ``quickfix`` (unsafe ones say so in their title, display-only
  advice comes without an edit), "Disable IOxxx for this line" (a ``# noqa`` comment, merged into
  one that is already there), and ``source.fixAll.iolint``, whose edit is exactly what
  ``iolint check --fix`` would write (it runs the same :func:`~iolint.runner.fix_source`);
- hover on a finding: the rule's documentation page.

Positions: iolint counts characters (code points) on 1-based lines; LSP counts 0-based lines and,
unless the client negotiates otherwise, UTF-16 code units, so a character outside the Basic
Multilingual Plane (an emoji) is two units. Every conversion goes through :class:`LineIndex`.

Documents are synchronized in full (not incrementally): pygls applies incremental changes with
``str.splitlines``, which also splits on form feeds and other characters that are not line breaks
for LSP or Python, and Python files do contain form feeds. A full copy per change is cheap next to
linting it.

Everything runs on the server's event loop thread, so the per-document state needs no lock.
pygls is an optional dependency (the ``lsp`` extra); only this module imports it.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import difflib
import logging
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from iolint import __version__
from iolint.config import ConfigError, ConfigResolver, Settings
from iolint.diagnostics import (
    Applicability,
    Diagnostic,
    Edit,
    ParseError,
    Position,
    fix_applies,
)
from iolint.docs import page_text
from iolint.model.source import DecodedSource, SourceText
from iolint.noqa import CommentLayout
from iolint.noqa_edits import noqa_edit
from iolint.registry import rule_by_code
from iolint.runner import fix_source, lint_source

logger = logging.getLogger("iolint.server")

SOURCE = "iolint"
FIX_ALL_KIND = f"{lsp.CodeActionKind.SourceFixAll.value}.iolint"
# Long enough to skip the keystrokes of a word, short enough to feel immediate.
DEBOUNCE_SECONDS = 0.3

_NEWLINE = re.compile(r"\r\n|\r|\n")  # LSP's line terminators, which are also Python's
_SEVERITY = {
    "error": lsp.DiagnosticSeverity.Error,
    "warning": lsp.DiagnosticSeverity.Warning,
    "info": lsp.DiagnosticSeverity.Information,
    "information": lsp.DiagnosticSeverity.Information,
    "note": lsp.DiagnosticSeverity.Information,
    "hint": lsp.DiagnosticSeverity.Hint,
}


# ----------------------------------------------------------------------------- positions


def _utf16_units(s: str) -> int:
    return len(s) + sum(1 for c in s if ord(c) > 0xFFFF)


def _utf8_units(s: str) -> int:
    # surrogatepass: text decoded from JSON may hold lone surrogates; count them, never raise.
    return len(s.encode("utf-8", "surrogatepass"))


def _unit_counter(encoding: str | None) -> Callable[[str], int]:
    if encoding == lsp.PositionEncodingKind.Utf8.value:
        return _utf8_units
    if encoding == lsp.PositionEncodingKind.Utf32.value:
        return len
    return _utf16_units  # LSP's default, and what every client supports


class LineIndex:
    """Converts between character offsets in a text, iolint positions and LSP positions."""

    def __init__(self, text: str, encoding: str | None = None) -> None:
        self.text = text
        self._source = SourceText(text)
        self._starts = [0, *(m.end() for m in _NEWLINE.finditer(text))]
        self._units = _unit_counter(encoding)

    def _line_end(self, line: int) -> int:
        """Offset of the end of a 0-based line's content (before its terminator)."""
        if line + 1 < len(self._starts):
            end = self._starts[line + 1]
            while end > self._starts[line] and self.text[end - 1] in "\r\n":
                end -= 1
            return end
        return len(self.text)

    def offset(self, pos: Position) -> int:
        """Offset of an iolint position, with the clamping the fixer applies."""
        return self._source.offset(pos)

    def to_lsp(self, offset: int) -> lsp.Position:
        offset = min(max(offset, 0), len(self.text))
        line = bisect.bisect_right(self._starts, offset) - 1
        return lsp.Position(
            line=line, character=self._units(self.text[self._starts[line] : offset])
        )

    def from_lsp(self, pos: lsp.Position) -> int:
        """Offset of an LSP position; a column past the end of its line means the line's end
        (as the protocol says), a line past the end means the end of the text."""
        if pos.line >= len(self._starts):
            return len(self.text)
        start, end = self._starts[pos.line], self._line_end(pos.line)
        units = 0
        for i in range(start, end):
            if units >= pos.character:
                return i
            units += self._units(self.text[i])
        return end

    def range(self, start: int, end: int) -> lsp.Range:
        return lsp.Range(start=self.to_lsp(start), end=self.to_lsp(end))

    def span(self, d: Diagnostic) -> tuple[int, int]:
        return self.offset(d.start), self.offset(d.end)

    def text_edit(self, edit: Edit) -> lsp.TextEdit:
        return lsp.TextEdit(
            range=self.range(self.offset(edit.start), self.offset(edit.end)),
            new_text=edit.content,
        )


def text_edits_between(old: str, new: str, index: LineIndex) -> list[lsp.TextEdit]:
    """Line-granular edits turning ``old`` into ``new``: only changed lines are replaced, so
    the editor keeps cursors, folds and marks everywhere else."""
    a = _lines(old)
    b = _lines(new)
    starts = [0]
    for line in a:
        starts.append(starts[-1] + len(line))
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    edits = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        edits.append(
            lsp.TextEdit(range=index.range(starts[i1], starts[i2]), new_text="".join(b[j1:j2]))
        )
    return edits


def _lines(text: str) -> list[str]:
    """Lines with their terminators, split where LSP splits them."""
    out, pos = [], 0
    for m in _NEWLINE.finditer(text):
        out.append(text[pos : m.end()])
        pos = m.end()
    if pos < len(text):
        out.append(text[pos:])
    return out


# ----------------------------------------------------------------------------- analysis


@dataclass(frozen=True)
class Analysis:
    """The result of linting one version of a document."""

    uri: str
    text: str
    path: Path | None
    settings: Settings | None = None
    diagnostics: tuple[Diagnostic, ...] = ()
    parse_error: ParseError | None = None
    # Why nothing was linted (a configuration error), shown to the user once.
    problem: str | None = None
    internal_errors: tuple[str, ...] = ()
    # The text ``source.fixAll.iolint`` produces, computed on first request.
    _fixed: list[str] = field(default_factory=list, compare=False, repr=False)

    @property
    def display(self) -> str:
        return str(self.path) if self.path is not None else self.uri

    def fixed_text(self) -> str:
        """What ``iolint check --fix`` would write for this text: the same function, the same
        settings (``unsafe-fixes`` included)."""
        if not self._fixed:
            if self.settings is None or not self.diagnostics:
                self._fixed.append(self.text)
            else:
                result = fix_source(
                    DecodedSource(text=self.text, encoding="utf-8", bom=False),
                    self.display,
                    self.settings,
                    self.path,
                    data=None,
                    write=False,
                    unsafe=self.settings.unsafe_fixes,
                )
                self._fixed.append(result.source if result.source is not None else self.text)
        return self._fixed[0]

    def has_fix_all(self) -> bool:
        unsafe = self.settings is not None and self.settings.unsafe_fixes
        return any(fix_applies(d, unsafe) for d in self.diagnostics)


def analyze(uri: str, text: str, fallback_root: Path) -> Analysis:
    """Lint ``text`` as the document ``uri`` with the settings the CLI would use for its path.

    Settings are resolved afresh each time (a few stat calls), so an edited ``pyproject.toml``
    applies at the next keystroke without restarting the server.
    """
    fs_path = to_fs_path(uri)
    path = Path(fs_path) if fs_path else None
    try:
        settings = ConfigResolver().for_path(path if path is not None else fallback_root)
    except ConfigError as exc:
        return Analysis(uri, text, path, problem=f"iolint: configuration error: {exc}")
    # As `iolint check --force-exclude`: an excluded file opened in the editor stays quiet,
    # like a file pre-commit passes.
    if path is not None and settings.is_excluded(path, any_component=True):
        return Analysis(uri, text, path, settings)
    result = lint_source(text, str(path) if path is not None else uri, settings, path)
    return Analysis(
        uri,
        text,
        path,
        settings,
        result.diagnostics,
        result.parse_error,
        internal_errors=result.internal_errors,
    )


def to_lsp_diagnostic(d: Diagnostic, index: LineIndex) -> lsp.Diagnostic:
    # No codeDescription: the rule pages are not published at a URL (hover shows them).
    return lsp.Diagnostic(
        range=index.range(*index.span(d)),
        message=d.message,
        severity=_SEVERITY.get(d.severity, lsp.DiagnosticSeverity.Warning),
        code=d.code,
        source=SOURCE,
    )


def parse_error_diagnostic(error: ParseError, index: LineIndex) -> lsp.Diagnostic:
    """One informational note, so that a user whose file iolint cannot parse (a syntax newer
    than the Python running the server, or code mid-edit) knows why iolint is silent. It is
    not an error: the editor's Python language server already reports syntax errors."""
    start = index.offset(Position(error.line, error.column))
    end = index.offset(Position(error.line, 1 << 30))  # the end of that line
    return lsp.Diagnostic(
        range=index.range(start, max(start, end)),
        message=f"iolint cannot analyze this file: {error.message}",
        severity=lsp.DiagnosticSeverity.Information,
        source=SOURCE,
    )


def lsp_diagnostics(analysis: Analysis, index: LineIndex) -> list[lsp.Diagnostic]:
    if analysis.parse_error is not None:
        return [parse_error_diagnostic(analysis.parse_error, index)]
    return [to_lsp_diagnostic(d, index) for d in analysis.diagnostics]


def quick_fix_action(
    uri: str,
    d: Diagnostic,
    index: LineIndex,
    workspace_edit: Callable[[str, list[lsp.TextEdit]], lsp.WorkspaceEdit],
) -> lsp.CodeAction | None:
    """The quick fix for one finding: its edits, labelled "(unsafe)" when they may change what
    the program does; display-only advice as an action with no edit."""
    fix = d.fix
    if fix is None:
        return None
    diagnostics = [to_lsp_diagnostic(d, index)]
    kind = lsp.CodeActionKind.QuickFix
    if fix.applicability is Applicability.DISPLAY_ONLY or not fix.edits:
        # Advice the fixer never applies: listed so the user can read it, with nothing to do.
        return lsp.CodeAction(
            title=f"{d.code}: {fix.message} (no automatic fix)", kind=kind, diagnostics=diagnostics
        )
    unsafe = fix.applicability is Applicability.UNSAFE
    label = f"Fix {d.code} (unsafe)" if unsafe else f"Fix {d.code}"
    return lsp.CodeAction(
        title=f"{label}: {fix.message}",
        kind=kind,
        diagnostics=diagnostics,
        is_preferred=not unsafe,
        edit=workspace_edit(uri, [index.text_edit(e) for e in fix.edits]),
    )


# ----------------------------------------------------------------------------- the server


def _kind_wanted(kind: str, only: Sequence[str] | None) -> bool:
    """Kinds are hierarchical: asking for ``source.fixAll`` includes ``source.fixAll.iolint``."""
    if only is None:
        return True
    return any(kind == o or kind.startswith(o + ".") for o in only)


def _overlaps(span: tuple[int, int], lo: int, hi: int) -> bool:
    return span[0] <= hi and lo <= span[1]


class IolintLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "iolint", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Full
        )
        self._analyses: dict[str, Analysis] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._shown_problems: dict[str, str] = {}

    # -- state

    def _fallback_root(self) -> Path:
        root = self.workspace.root_path
        return Path(root) if root else Path.cwd()

    def _encoding(self) -> str | None:
        encoding = self.workspace.position_encoding
        return str(encoding.value if isinstance(encoding, lsp.PositionEncodingKind) else encoding)

    def _open_text(self, uri: str) -> tuple[str, int | None] | None:
        # get_text_document would read an unopened file from disk: only open ones count.
        if uri not in self.workspace.text_documents:
            return None
        doc = self.workspace.get_text_document(uri)
        return doc.source, doc.version

    def analysis(self, uri: str) -> Analysis | None:
        """The analysis of the document's current text (cached while the text is unchanged)."""
        opened = self._open_text(uri)
        if opened is None:
            return None
        text = opened[0]
        cached = self._analyses.get(uri)
        if cached is not None and cached.text == text:
            return cached
        result = analyze(uri, text, self._fallback_root())
        self._analyses[uri] = result
        for message in result.internal_errors:
            logger.error("internal error (please report): %s", message)
        # A problem is shown once per document, not at every keystroke, and again if it comes
        # back after being fixed.
        if result.problem is None:
            self._shown_problems.pop(uri, None)
        elif self._shown_problems.get(uri) != result.problem:
            self._shown_problems[uri] = result.problem
            self.window_show_message(
                lsp.ShowMessageParams(type=lsp.MessageType.Error, message=result.problem)
            )
        return result

    def forget(self, uri: str) -> None:
        self.cancel_pending(uri)
        self._analyses.pop(uri, None)
        self._shown_problems.pop(uri, None)
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )

    # -- diagnostics

    def cancel_pending(self, uri: str) -> None:
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()

    def schedule(self, uri: str, delay: float) -> None:
        self.cancel_pending(uri)
        loop = asyncio.get_running_loop()
        self._timers[uri] = loop.call_later(delay, self.publish, uri)

    def publish(self, uri: str) -> None:
        self.cancel_pending(uri)
        opened = self._open_text(uri)
        if opened is None:
            return
        try:
            analysis = self.analysis(uri)
            diagnostics = (
                lsp_diagnostics(analysis, LineIndex(analysis.text, self._encoding()))
                if analysis is not None
                else []
            )
        except Exception:  # a bug here must not take the editor's session down
            logger.exception("iolint failed on %s", uri)
            diagnostics = []
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=opened[1])
        )

    # -- code actions

    def _workspace_edit(self, uri: str, edits: list[lsp.TextEdit]) -> lsp.WorkspaceEdit:
        caps = self.client_capabilities.workspace
        versioned = bool(
            caps is not None
            and caps.workspace_edit is not None
            and caps.workspace_edit.document_changes
        )
        opened = self._open_text(uri)
        if versioned and opened is not None:
            # With the version, a client refuses an edit computed for text it no longer has.
            doc = lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=opened[1])
            return lsp.WorkspaceEdit(
                document_changes=[lsp.TextDocumentEdit(text_document=doc, edits=edits)]
            )
        return lsp.WorkspaceEdit(changes={uri: edits})

    def _client_resolves_edits(self) -> bool:
        td = self.client_capabilities.text_document
        support = td.code_action.resolve_support if td and td.code_action else None
        return support is not None and "edit" in support.properties

    def code_actions(self, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
        uri = params.text_document.uri
        analysis = self.analysis(uri)
        if analysis is None or analysis.settings is None:
            return None
        index = LineIndex(analysis.text, self._encoding())
        lo, hi = index.from_lsp(params.range.start), index.from_lsp(params.range.end)
        only = params.context.only
        actions: list[lsp.CodeAction] = []
        if _kind_wanted(lsp.CodeActionKind.QuickFix.value, only):
            here = [d for d in analysis.diagnostics if _overlaps(index.span(d), lo, hi)]
            for d in here:
                action = quick_fix_action(uri, d, index, self._workspace_edit)
                if action is not None:
                    actions.append(action)
            if here:
                actions.extend(self._noqa_actions(uri, here, analysis.text, index))
        if _kind_wanted(FIX_ALL_KIND, only) and analysis.has_fix_all():
            action = self._fix_all_action(uri, analysis)
            if action is not None:
                actions.append(action)
        return actions

    def _noqa_actions(
        self, uri: str, diagnostics: Iterable[Diagnostic], text: str, index: LineIndex
    ) -> list[lsp.CodeAction]:
        comments = CommentLayout.build(text)
        if comments is None:
            return []
        source = SourceText(text)
        actions = []
        seen: set[tuple[int, str]] = set()
        for d in diagnostics:
            if (d.start.line, d.code) in seen:
                continue
            seen.add((d.start.line, d.code))
            edit = noqa_edit(d.start.line, [d.code], source, comments)
            if edit is None:
                continue
            actions.append(
                lsp.CodeAction(
                    title=f"Disable {d.code} for this line",
                    kind=lsp.CodeActionKind.QuickFix,
                    diagnostics=[to_lsp_diagnostic(d, index)],
                    edit=self._workspace_edit(uri, [index.text_edit(edit)]),
                )
            )
        return actions

    def _fix_all_title(self, analysis: Analysis) -> str:
        if analysis.settings is not None and analysis.settings.unsafe_fixes:
            return "Fix all iolint problems (unsafe fixes enabled by the configuration)"
        return "Fix all safe iolint problems"

    def _fix_all_action(self, uri: str, analysis: Analysis) -> lsp.CodeAction | None:
        title = self._fix_all_title(analysis)
        if self._client_resolves_edits():
            # Fixing re-lints and re-parses; a client that asks on every cursor move should
            # not pay for it until the user picks the action.
            return lsp.CodeAction(title=title, kind=FIX_ALL_KIND, data={"uri": uri})
        edit = self._fix_all_edit(uri, analysis)
        if edit is None:
            return None
        return lsp.CodeAction(title=title, kind=FIX_ALL_KIND, edit=edit)

    def _fix_all_edit(self, uri: str, analysis: Analysis) -> lsp.WorkspaceEdit | None:
        fixed = analysis.fixed_text()
        if fixed == analysis.text:
            return None
        index = LineIndex(analysis.text, self._encoding())
        return self._workspace_edit(uri, text_edits_between(analysis.text, fixed, index))

    def resolve_code_action(self, action: lsp.CodeAction) -> lsp.CodeAction:
        data: Any = action.data
        if action.kind != FIX_ALL_KIND or not isinstance(data, dict):
            return action
        uri = data.get("uri")
        if not isinstance(uri, str):
            return action
        analysis = self.analysis(uri)
        if analysis is not None:
            action.edit = self._fix_all_edit(uri, analysis) or lsp.WorkspaceEdit(changes={})
        return action

    # -- hover

    def hover(self, params: lsp.HoverParams) -> lsp.Hover | None:
        analysis = self.analysis(params.text_document.uri)
        if analysis is None:
            return None
        index = LineIndex(analysis.text, self._encoding())
        at = index.from_lsp(params.position)
        hits = [d for d in analysis.diagnostics if _overlaps(index.span(d), at, at)]
        if not hits:
            return None
        pages = []
        for code in dict.fromkeys(d.code for d in hits):
            page = page_text(code)
            if page is None:
                rule = rule_by_code(code)
                page = f"# {code} {rule.name if rule else ''}\n\n{rule.summary if rule else ''}\n"
            pages.append(page.strip())
        td = self.client_capabilities.text_document
        formats = td.hover.content_format if td and td.hover else None
        kind = (
            lsp.MarkupKind.PlainText
            if formats and lsp.MarkupKind.Markdown not in formats
            else lsp.MarkupKind.Markdown
        )
        return lsp.Hover(
            contents=lsp.MarkupContent(kind=kind, value="\n\n---\n\n".join(pages)),
            range=index.range(*index.span(hits[0])),
        )


def create_server() -> IolintLanguageServer:
    server = IolintLanguageServer()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: IolintLanguageServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: IolintLanguageServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, DEBOUNCE_SECONDS)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: IolintLanguageServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: IolintLanguageServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(
            code_action_kinds=[lsp.CodeActionKind.QuickFix, FIX_ALL_KIND],
            resolve_provider=True,
        ),
    )
    def code_action(
        ls: IolintLanguageServer, params: lsp.CodeActionParams
    ) -> list[lsp.CodeAction] | None:
        return ls.code_actions(params)

    @server.feature(lsp.CODE_ACTION_RESOLVE)
    def code_action_resolve(ls: IolintLanguageServer, action: lsp.CodeAction) -> lsp.CodeAction:
        return ls.resolve_code_action(action)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: IolintLanguageServer, params: lsp.HoverParams) -> lsp.Hover | None:
        return ls.hover(params)

    @server.feature(lsp.SHUTDOWN)
    def shutdown(ls: IolintLanguageServer, params: None) -> None:
        for uri in list(ls._timers):
            ls.cancel_pending(uri)

    return server


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(
        prog="iolint server",
        description="Run the iolint language server on standard input and output.",
    )
    parser.add_argument(
        "--stdio", action="store_true", help="talk over stdin/stdout (the default and only way)"
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        help="what the server logs to standard error",
    )
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:
        return 2 if exc.code not in (0, None) else 0
    # Standard output carries the protocol: logs go to standard error only.
    logging.basicConfig(stream=sys.stderr, level=args.log_level, format="%(name)s: %(message)s")
    create_server().start_io()
    return 0
