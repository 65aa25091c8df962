"""Source text handling: decoding bytes, line tables and ast offset conversion."""

from __future__ import annotations

import codecs
import io
import re
import tokenize
from dataclasses import dataclass
from functools import cached_property

from iolint.diagnostics import Position

# Python's own line terminators. str.splitlines() also splits on form feeds and other
# characters, which would disagree with ast line numbers.
_NEWLINE = re.compile(r"\r\n|\r|\n")


class DecodeError(Exception):
    """The bytes of a file are not text in its declared encoding."""


@dataclass(frozen=True)
class DecodedSource:
    text: str
    encoding: str
    bom: bool

    def encode(self, text: str) -> bytes:
        data = text.encode(self.encoding)
        return codecs.BOM_UTF8 + data if self.bom else data


def decode_source(data: bytes) -> DecodedSource:
    """Decode Python source bytes the way the interpreter does (PEP 263, BOM)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise DecodeError(str(exc)) from exc
    bom = data.startswith(codecs.BOM_UTF8)
    if bom:
        data = data[len(codecs.BOM_UTF8) :]
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise DecodeError(f"cannot decode as {encoding}: {exc}") from exc
    return DecodedSource(text=text, encoding=encoding, bom=bom)


@dataclass
class SourceText:
    """A module's text with the line table that ast positions refer to."""

    text: str

    @cached_property
    def _line_starts(self) -> list[int]:
        # Built on first use: most files the rules look at have no finding, and then no
        # position is ever converted (a quarter of a million lines on the standard library).
        starts = [0]
        starts.extend(m.end() for m in _NEWLINE.finditer(self.text))
        return starts

    @property
    def line_count(self) -> int:
        return len(self._line_starts)

    def line(self, lineno: int) -> str:
        """The text of a 1-based line, without its terminator."""
        if lineno < 1 or lineno > len(self._line_starts):
            return ""
        start = self._line_starts[lineno - 1]
        end = self._line_starts[lineno] if lineno < len(self._line_starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    @cached_property
    def newline(self) -> str:
        m = _NEWLINE.search(self.text)
        return m.group(0) if m else "\n"

    def offset(self, pos: Position) -> int:
        """Absolute character offset of a position."""
        line = min(max(pos.line, 1), len(self._line_starts))
        return min(self._line_starts[line - 1] + pos.column, len(self.text))

    def char_column(self, lineno: int, byte_col: int) -> int:
        """Convert an ast ``col_offset`` (UTF-8 bytes) to a character column."""
        line = self.line(lineno)
        if line.isascii():
            return byte_col
        return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))

    def indentation(self, lineno: int) -> str:
        line = self.line(lineno)
        return line[: len(line) - len(line.lstrip(" \t"))]
