"""``iolint server`` driven by a real LSP client (pygls's) over stdio, as an editor drives it.

Each test starts ``python -m iolint server`` in a subprocess, opens documents, and checks what
comes back: diagnostics, code actions (whose edits are applied to the text with this file's own
LSP edit applier), the result of ``source.fixAll.iolint`` against ``iolint check --fix``, and
hovers. Every wait has a generous timeout and nothing depends on how fast the machine is.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any, Callable

import pytest

pytest.importorskip("pygls")

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

from iolint.docs import page_text
from iolint.registry import rule_by_code

TIMEOUT = 60.0  # seconds; far above what any step takes, so only a hang fails a test

BUGGY = textwrap.dedent(
    """\
    import os
    import socket


    def ping(fd, msg):
        s = socket.socket()
        s.send(msg)
        if os.read(fd, 1) == 0:
            return None
        return s
    """
)
BUGGY_FIXED = BUGGY.replace("s.send(", "s.sendall(").replace(
    "if os.read(fd, 1) == 0:", "if not os.read(fd, 1):"
)


# ----------------------------------------------------------------------------- LSP edits


def _offset(text: str, pos: lsp.Position) -> int:
    """Character offset of an LSP position (0-based line, UTF-16 code units)."""
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
    if pos.line >= len(starts):
        return len(text)
    offset = starts[pos.line]
    units = 0
    while units < pos.character and offset < len(text) and text[offset] not in "\r\n":
        units += len(text[offset].encode("utf-16-le")) // 2
        offset += 1
    return offset


def apply_text_edits(text: str, edits: Sequence[lsp.TextEdit]) -> str:
    """Apply LSP TextEdits, which all refer to the original text, as a client does."""
    spans = sorted(
        ((_offset(text, e.range.start), _offset(text, e.range.end), e.new_text) for e in edits),
        key=lambda s: (s[0], s[1]),
    )
    for (_, end, _), (start, _, _) in zip(spans, spans[1:]):
        assert end <= start, f"overlapping edits: {edits}"
    for start, end, new in reversed(spans):
        text = text[:start] + new + text[end:]
    return text


def edits_for(edit: lsp.WorkspaceEdit | None, uri: str) -> list[lsp.TextEdit]:
    assert edit is not None
    out: list[lsp.TextEdit] = []
    if edit.changes:
        out.extend(edit.changes.get(uri, []))
    for change in edit.document_changes or []:
        assert isinstance(change, lsp.TextDocumentEdit)
        assert change.text_document.uri == uri
        out.extend(e for e in change.edits if isinstance(e, lsp.TextEdit))
    return out


def utf16_col(line: str, chars: int) -> int:
    return len(line[:chars].encode("utf-16-le")) // 2


# ----------------------------------------------------------------------------- the session


class Session:
    """One server process, one client, the diagnostics it published and the open documents."""

    def __init__(self, client: LanguageClient, root: Path) -> None:
        self.client = client
        self.root = root
        self.published: list[lsp.PublishDiagnosticsParams] = []
        self.messages: list[lsp.ShowMessageParams] = []
        self.versions: dict[str, int] = {}
        self.texts: dict[str, str] = {}

    async def wait_for(self, what: str, predicate: Callable[[], Any]) -> Any:
        deadline = time.monotonic() + TIMEOUT
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.02)

    async def diagnostics(self, uri: str) -> list[lsp.Diagnostic]:
        """The diagnostics published for the document's current version."""
        version = self.versions[uri]

        def latest() -> lsp.PublishDiagnosticsParams | None:
            for p in reversed(self.published):
                if p.uri == uri and p.version == version:
                    return p
            return None

        found = await self.wait_for(f"diagnostics for {uri} v{version}", latest)
        return list(found.diagnostics)

    def open(self, path: Path, text: str) -> str:
        uri = path.resolve().as_uri()
        self.versions[uri] = 1
        self.texts[uri] = text
        self.client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                text_document=lsp.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=text
                )
            )
        )
        return uri

    def change(self, uri: str, text: str) -> None:
        self.versions[uri] += 1
        self.texts[uri] = text
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(
                    uri=uri, version=self.versions[uri]
                ),
                content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    async def code_actions(
        self, uri: str, rng: lsp.Range, only: list[str] | None = None
    ) -> list[lsp.CodeAction]:
        result = await asyncio.wait_for(
            self.client.text_document_code_action_async(
                lsp.CodeActionParams(
                    text_document=lsp.TextDocumentIdentifier(uri=uri),
                    range=rng,
                    context=lsp.CodeActionContext(diagnostics=[], only=only),
                )
            ),
            TIMEOUT,
        )
        actions = list(result or [])
        assert all(isinstance(a, lsp.CodeAction) for a in actions)
        return actions  # type: ignore[return-value]

    async def apply(self, uri: str, action: lsp.CodeAction) -> str:
        """Apply the action's edit to the document as the editor would, and send the change."""
        new = apply_text_edits(self.texts[uri], edits_for(action.edit, uri))
        self.change(uri, new)
        return new


def _capabilities(resolve: bool) -> lsp.ClientCapabilities:
    return lsp.ClientCapabilities(
        text_document=lsp.TextDocumentClientCapabilities(
            code_action=lsp.CodeActionClientCapabilities(
                code_action_literal_support=lsp.ClientCodeActionLiteralOptions(
                    code_action_kind=lsp.ClientCodeActionKindOptions(
                        value_set=[lsp.CodeActionKind.QuickFix, lsp.CodeActionKind.SourceFixAll]
                    )
                ),
                resolve_support=(
                    lsp.ClientCodeActionResolveOptions(properties=["edit"]) if resolve else None
                ),
            ),
            hover=lsp.HoverClientCapabilities(content_format=[lsp.MarkupKind.Markdown]),
            publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(version_support=True),
        ),
        workspace=lsp.WorkspaceClientCapabilities(
            workspace_edit=lsp.WorkspaceEditClientCapabilities(document_changes=True)
        ),
    )


@contextlib.asynccontextmanager
async def server(root: Path, *, resolve: bool = False) -> AsyncIterator[Session]:
    client = LanguageClient("iolint-tests", "1")
    session = Session(client, root)

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
        session.published.append(params)

    @client.feature(lsp.WINDOW_SHOW_MESSAGE)
    def on_message(params: lsp.ShowMessageParams) -> None:
        session.messages.append(params)

    @client.feature(lsp.WINDOW_LOG_MESSAGE)
    def on_log(params: lsp.LogMessageParams) -> None:
        pass

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    await client.start_io(sys.executable, "-m", "iolint", "server", cwd=str(root), env=env)
    try:
        result = await asyncio.wait_for(
            client.initialize_async(
                lsp.InitializeParams(
                    capabilities=_capabilities(resolve),
                    root_uri=root.resolve().as_uri(),
                    workspace_folders=[
                        lsp.WorkspaceFolder(uri=root.resolve().as_uri(), name=root.name)
                    ],
                )
            ),
            TIMEOUT,
        )
        assert result.server_info is not None and result.server_info.name == "iolint"
        client.initialized(lsp.InitializedParams())
        yield session
        await asyncio.wait_for(client.shutdown_async(None), TIMEOUT)
        client.exit(None)
        await asyncio.wait_for(client.stop(), TIMEOUT)
    finally:
        process = client._server
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def project(tmp_path: Path, config: str = "") -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nrequires-python = ">=3.9"\n' + config, encoding="utf-8"
    )
    return root


def whole(text: str) -> lsp.Range:
    lines = re.split(r"\r\n|\r|\n", text)
    return lsp.Range(
        start=lsp.Position(line=0, character=0),
        end=lsp.Position(line=len(lines) - 1, character=utf16_col(lines[-1], len(lines[-1]))),
    )


def at_line(text: str, needle: str) -> lsp.Range:
    """The range of the first occurrence of ``needle``."""
    for number, line in enumerate(text.splitlines()):
        col = line.find(needle)
        if col >= 0:
            return lsp.Range(
                start=lsp.Position(line=number, character=utf16_col(line, col)),
                end=lsp.Position(line=number, character=utf16_col(line, col + len(needle))),
            )
    raise AssertionError(f"{needle!r} not in text")


def by_code(diagnostics: list[lsp.Diagnostic]) -> dict[str, lsp.Diagnostic]:
    return {str(d.code): d for d in diagnostics}


def cli_fix(path: Path, text: str) -> str:
    """What ``iolint check --fix`` writes for ``text`` at ``path``."""
    path.write_text(text, encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "iolint", "check", "--fix", "--no-cache", str(path)],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    return path.read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- tests


def test_diagnostics_quick_fixes_and_clearing(tmp_path: Path) -> None:
    root = project(tmp_path)

    async def scenario() -> None:
        async with server(root) as s:
            uri = s.open(root / "buggy.py", BUGGY)
            diags = by_code(await s.diagnostics(uri))
            assert set(diags) == {"IO102", "IO105"}
            send = diags["IO102"]
            assert send.source == "iolint"
            assert send.code_description is None
            assert send.range == at_line(BUGGY, 's.send(msg)')
            assert (
                send.severity
                == {
                    "error": lsp.DiagnosticSeverity.Error,
                    "warning": lsp.DiagnosticSeverity.Warning,
                    "note": lsp.DiagnosticSeverity.Information,
                }[rule_by_code("IO102").severity]
            )  # type: ignore[union-attr]

            actions = await s.code_actions(uri, send.range, only=["quickfix"])
            titles = [a.title for a in actions]
            fix = next(a for a in actions if a.title.startswith("Fix IO102: "))
            assert fix.kind == lsp.CodeActionKind.QuickFix
            assert fix.is_preferred
            assert "Disable IO102 for this line" in titles
            # Only the finding under the cursor is offered, not the other one.
            assert not any("IO105" in t for t in titles)
            text = await s.apply(uri, fix)
            assert 's.sendall(msg)' in text
            assert set(by_code(await s.diagnostics(uri))) == {"IO105"}

            eof = by_code(await s.diagnostics(uri))["IO105"]
            actions = await s.code_actions(uri, eof.range)
            fix = next(a for a in actions if a.title.startswith("Fix IO105: "))
            text = await s.apply(uri, fix)
            assert text == BUGGY_FIXED
            assert await s.diagnostics(uri) == []

    run(scenario())


@pytest.mark.parametrize(
    "config",
    ["", '[tool.iolint]\nignore = ["IO105"]\n'],
    ids=["default-config", "pyproject-ignores-IO105"],
)
def test_fix_all_equals_cli_fix(tmp_path: Path, config: str) -> None:
    root = project(tmp_path, config)
    path = root / "pkg" / "buggy.py"
    path.parent.mkdir()

    async def scenario() -> str:
        async with server(root) as s:
            uri = s.open(path, BUGGY)
            codes = set(by_code(await s.diagnostics(uri)))
            # The document's pyproject.toml decides what is reported.
            assert codes == ({"IO102"} if config else {"IO102", "IO105"})
            # Asked for the parent kind, as VS Code's codeActionsOnSave "source.fixAll" does.
            actions = await s.code_actions(uri, whole(BUGGY), only=["source.fixAll"])
            assert [a.kind for a in actions] == ["source.fixAll.iolint"]
            assert actions[0].title == "Fix all safe iolint problems"
            fixed = await s.apply(uri, actions[0])
            remaining = set(by_code(await s.diagnostics(uri)))
            assert remaining == set()
            return fixed

    fixed = run(scenario())
    assert fixed == cli_fix(path, BUGGY)
    assert fixed != BUGGY


def test_fix_all_resolved_lazily(tmp_path: Path) -> None:
    root = project(tmp_path)

    async def scenario() -> None:
        async with server(root, resolve=True) as s:
            uri = s.open(root / "buggy.py", BUGGY)
            await s.diagnostics(uri)
            actions = await s.code_actions(uri, whole(BUGGY), only=["source.fixAll.iolint"])
            assert len(actions) == 1 and actions[0].edit is None
            resolved = await asyncio.wait_for(
                s.client.code_action_resolve_async(actions[0]), TIMEOUT
            )
            assert await s.apply(uri, resolved) == BUGGY_FIXED

    run(scenario())


def test_noqa_action_adds_and_merges(tmp_path: Path) -> None:
    root = project(tmp_path)
    text = BUGGY.replace('s.send(msg)', 's.send(msg)  # noqa: IO101').replace(
        "== 0:", "== 0:  # why not"
    )

    async def scenario() -> None:
        async with server(root) as s:
            uri = s.open(root / "buggy.py", text)
            diags = by_code(await s.diagnostics(uri))
            actions = await s.code_actions(uri, diags["IO102"].range)
            noqa = next(a for a in actions if a.title == "Disable IO102 for this line")
            new = await s.apply(uri, noqa)
            assert 's.send(msg)  # noqa: IO101, IO102\n' in new
            assert set(by_code(await s.diagnostics(uri))) == {"IO105"}

            eof = by_code(await s.diagnostics(uri))["IO105"]
            actions = await s.code_actions(uri, eof.range)
            noqa = next(a for a in actions if a.title == "Disable IO105 for this line")
            new = await s.apply(uri, noqa)
            assert "if os.read(fd, 1) == 0:  # why not  # noqa: IO105\n" in new
            assert await s.diagnostics(uri) == []

    run(scenario())


def test_hover_shows_the_rule_page(tmp_path: Path) -> None:
    root = project(tmp_path)

    async def scenario() -> None:
        async with server(root) as s:
            uri = s.open(root / "buggy.py", BUGGY)
            send = by_code(await s.diagnostics(uri))["IO102"]
            inside = lsp.Position(
                line=send.range.start.line, character=send.range.start.character + 3
            )
            hover = await asyncio.wait_for(
                s.client.text_document_hover_async(
                    lsp.HoverParams(
                        text_document=lsp.TextDocumentIdentifier(uri=uri), position=inside
                    )
                ),
                TIMEOUT,
            )
            assert hover is not None
            assert isinstance(hover.contents, lsp.MarkupContent)
            assert hover.contents.kind == lsp.MarkupKind.Markdown
            page = page_text("IO102")
            assert page is not None
            assert hover.contents.value == page.strip()
            assert hover.range == send.range

            nowhere = await asyncio.wait_for(
                s.client.text_document_hover_async(
                    lsp.HoverParams(
                        text_document=lsp.TextDocumentIdentifier(uri=uri),
                        position=lsp.Position(line=0, character=0),
                    )
                ),
                TIMEOUT,
            )
            assert nowhere is None

    run(scenario())


def test_non_bmp_characters_use_utf16_columns(tmp_path: Path) -> None:
    root = project(tmp_path)
    text = textwrap.dedent(
        """\
        import os


        def f(fd):
            if "\U0001f600" and os.read(fd, 1) == 0:
                return None
        """
    )
    line = text.splitlines()[4]

    async def scenario() -> None:
        async with server(root) as s:
            uri = s.open(root / "emoji.py", text)
            (diag,) = await s.diagnostics(uri)
            start = line.index("os.read")
            # The emoji is one character but two UTF-16 code units.
            assert diag.range.start == lsp.Position(line=4, character=start + 1)
            assert diag.range.end == lsp.Position(line=4, character=line.index(":") + 1)
            actions = await s.code_actions(uri, diag.range, only=["quickfix"])
            fix = next(a for a in actions if a.title.startswith("Fix IO105"))
            new = await s.apply(uri, fix)
            assert new == text.replace("os.read(fd, 1) == 0", "not os.read(fd, 1)")
            assert await s.diagnostics(uri) == []

    run(scenario())


def test_unsafe_fixes_are_labelled(tmp_path: Path) -> None:
    root = project(tmp_path)
    text = textwrap.dedent(
        """\
        import os
        import socket
        import struct


        def dump(fd: int, payload: bytes) -> None:
            os.write(fd, payload)


        def read_length(sock: socket.socket) -> int:
            (length,) = struct.unpack(">I", sock.recv(4))
            return length
        """
    )

    async def scenario() -> None:
        async with server(root) as s:
            uri = s.open(root / "mixed.py", text)
            diags = by_code(await s.diagnostics(uri))
            assert {"IO101", "IO103"} <= set(diags)

            actions = await s.code_actions(uri, diags["IO101"].range, only=["quickfix"])
            unsafe = next(a for a in actions if "IO101" in a.title and a.edit is not None)
            assert unsafe.title.startswith("Fix IO101 (unsafe): ")
            assert not unsafe.is_preferred

            # IO103's advice is its message: no fix to offer, only the noqa comment.
            actions = await s.code_actions(uri, diags["IO103"].range, only=["quickfix"])
            assert [a.title for a in actions] == ["Disable IO103 for this line"]

            # Unsafe fixes are not part of "fix all safe problems".
            fix_all = await s.code_actions(uri, whole(text), only=["source.fixAll"])
            assert fix_all == []

    run(scenario())


def test_unparsable_document_gets_one_note_and_recovers(tmp_path: Path) -> None:
    root = project(tmp_path)
    broken = BUGGY.replace("def ping(fd, msg):", "def ping(fd, msg:")

    async def scenario() -> None:
        async with server(root) as s:
            uri = s.open(root / "buggy.py", broken)
            (note,) = await s.diagnostics(uri)
            assert note.severity == lsp.DiagnosticSeverity.Information
            assert note.source == "iolint"
            assert note.code is None
            assert note.message.startswith("iolint cannot analyze this file: SyntaxError")
            assert await s.code_actions(uri, whole(broken)) == []
            s.change(uri, BUGGY)
            assert set(by_code(await s.diagnostics(uri))) == {"IO102", "IO105"}
            # Text that not even the tokenizer accepts, with a NUL byte.
            s.change(uri, 'import os\nos.read(0, 1) == 0\nx = """\n\0')
            (note,) = await s.diagnostics(uri)
            assert note.severity == lsp.DiagnosticSeverity.Information

    run(scenario())


def test_a_burst_of_changes_ends_with_the_latest_text(tmp_path: Path) -> None:
    root = project(tmp_path)

    async def scenario() -> None:
        async with server(root) as s:
            uri = s.open(root / "buggy.py", BUGGY)
            await s.diagnostics(uri)
            # Keystrokes faster than the debounce: whatever was linted in between, the last
            # publication is for the last text. (How many were skipped depends on timing, so
            # it is not asserted.)
            for i in range(5):
                s.change(uri, BUGGY + f"# {i}\n")
            s.change(uri, BUGGY_FIXED)
            assert await s.diagnostics(uri) == []
            await asyncio.sleep(1.0)  # anything still pending would arrive now
            last = [p for p in s.published if p.uri == uri][-1]
            assert last.version == s.versions[uri] and last.diagnostics == []


def test_configuration_error_is_shown_not_fatal(tmp_path: Path) -> None:
    root = project(tmp_path, '[tool.iolint]\nselect = ["NOPE1"]\n')

    async def scenario() -> None:
        async with server(root) as s:
            uri = s.open(root / "buggy.py", BUGGY)
            assert await s.diagnostics(uri) == []
            message = await s.wait_for("a configuration message", lambda: s.messages)
            assert message[0].type == lsp.MessageType.Error
            assert "NOPE1" in message[0].message
            # Fixed on disk: the next lint picks the new settings up without a restart.
            (root / "pyproject.toml").write_text("[tool.iolint]\n", encoding="utf-8")
            s.change(uri, BUGGY + "\n")
            assert set(by_code(await s.diagnostics(uri))) == {"IO102", "IO105"}
            assert len(s.messages) == 1  # once, not at every change
            # Broken again: said again.
            (root / "pyproject.toml").write_text(
                '[tool.iolint]\nselect = ["NOPE2"]\n', encoding="utf-8"
            )
            s.change(uri, BUGGY)
            assert await s.diagnostics(uri) == []
            await s.wait_for("a second message", lambda: len(s.messages) == 2)
            assert "NOPE2" in s.messages[1].message

    run(scenario())


def test_server_without_pygls_says_how_to_install_it() -> None:
    code = (
        "import sys; sys.modules['pygls'] = None; "
        "from iolint.cli import main; sys.exit(main(['server']))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    assert proc.returncode == 2
    assert "iolint[lsp]" in proc.stderr
    assert proc.stdout == ""


# ----------------------------------------------------------------------------- units


def test_line_index_counts_code_units_per_encoding() -> None:
    from iolint.diagnostics import Position
    from iolint.server import LineIndex

    text = 'a = "\U0001f600é"; b\r\nsecond\x0cline\rthird'
    b = text.index("b")
    for encoding, col in (("utf-16", 11), ("utf-8", 14), ("utf-32", 10), (None, 11)):
        index = LineIndex(text, encoding)
        assert index.to_lsp(b) == lsp.Position(line=0, character=col), encoding
        assert index.from_lsp(lsp.Position(line=0, character=col)) == b
    index = LineIndex(text)
    # A form feed is not a line break for LSP or Python; a lone "\r" is.
    third = text.index("third")
    assert index.to_lsp(third) == lsp.Position(line=2, character=0)
    assert index.offset(Position(3, 0)) == third
    # Past the end of a line: the line's end; past the last line: the end of the text.
    assert index.from_lsp(lsp.Position(line=0, character=99)) == text.index("\r\n")
    assert index.from_lsp(lsp.Position(line=9, character=0)) == len(text)


@pytest.mark.parametrize(
    "old,new",
    [
        ("a\nb\nc\n", "a\nB\nc\n"),
        ("a\r\nb\r\n", "a\r\nb\r\nc\r\n"),
        ("x = '\U0001f600'\ny\n", "y\n"),
        ("no newline", "no newline at all"),
        ("", "new\n"),
    ],
)
def test_text_edits_between_rebuild_the_new_text(old: str, new: str) -> None:
    from iolint.server import LineIndex, text_edits_between

    edits = text_edits_between(old, new, LineIndex(old))
    assert apply_text_edits(old, edits) == new


@pytest.mark.parametrize(
    "source,line,expected",
    [
        ("f(1)\n", 1, "f(1)  # noqa: IO101\n"),
        ("f(1)   \n", 1, "f(1)  # noqa: IO101\n"),
        ("f(1)  # type: ignore\n", 1, "f(1)  # type: ignore  # noqa: IO101\n"),
        ("f(1)  # noqa:IO3\n", 1, "f(1)  # noqa:IO3, IO101\n"),
        ("f(1)  # NOQA: E501 more words\n", 1, "f(1)  # NOQA: E501, IO101 more words\n"),
        # The line ends inside a string or a backslash: the directive goes on the last line of
        # the run, where flake8 and iolint look for it.
        ('f("""a\nb""")\n', 1, 'f("""a\nb""")  # noqa: IO101\n'),
        ("f(1, \\\n  2)\n", 1, "f(1, \\\n  2)  # noqa: IO101\n"),
        ("f(1)  # noqa\n", 1, None),  # a bare noqa already silences everything
        ("f(1)  # noqa: IO1\n", 1, None),  # a prefix already covers the code
        # flake8 wants one space after the hash: a directive spelled otherwise is respelled.
        ("f(1)  #noqa:E501\n", 1, "f(1)  # noqa: E501, IO101\n"),
        ("f(1)  # type: int #NOQA:E501 why\n", 1, "f(1)  # type: int # noqa: E501, IO101 why\n"),
    ],
)
def test_noqa_edit(source: str, line: int, expected: str | None) -> None:
    from iolint.fix import apply_edits
    from iolint.model.source import SourceText
    from iolint.noqa import CommentLayout
    from iolint.noqa_edits import noqa_edit

    comments = CommentLayout.build(source)
    assert comments is not None
    edit = noqa_edit(line, ["IO101"], SourceText(source), comments)
    if expected is None:
        assert edit is None
    else:
        assert edit is not None
        assert apply_edits(source, [edit]) == expected


def test_display_only_fix_is_offered_without_an_edit() -> None:
    from iolint.diagnostics import Applicability, Diagnostic, Edit, Fix, Position
    from iolint.server import LineIndex, quick_fix_action

    def no_edit(uri: str, edits: list[lsp.TextEdit]) -> lsp.WorkspaceEdit:
        raise AssertionError("display-only advice must not carry an edit")

    edit = Edit(Position(1, 0), Position(1, 1), "y")
    d = Diagnostic(
        "IO103",
        "short-read",
        "m",
        Position(1, 0),
        Position(1, 1),
        Fix("Loop until 4 bytes arrived", Applicability.DISPLAY_ONLY, (edit,)),
    )
    action = quick_fix_action("file:///x.py", d, LineIndex("x\n"), no_edit)
    assert action is not None
    assert action.title == "IO103: Loop until 4 bytes arrived (no automatic fix)"
    assert action.edit is None and action.command is None
    assert action.kind == lsp.CodeActionKind.QuickFix
