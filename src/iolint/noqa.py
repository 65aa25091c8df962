"""flake8-compatible suppression comments: ``# noqa``, ``# noqa: IO101,IO3``, ``# flake8: noqa``.

A comment covers the lines flake8 joins with it: a statement whose line ends inside a
multi-line string or after a backslash takes its ``# noqa`` on the last line of that run (the
only place a comment can go), and the comment there covers every line of the run. ruff puts
``--add-noqa`` comments at the same place.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass

from iolint.diagnostics import Diagnostic

# tokenize splits lines on "\n" only; one "\n" per terminator keeps numbers and columns.
_NEWLINE = re.compile(r"\r\n|\r")

# The same grammar as flake8: codes are letters followed by digits, separated by commas or
# spaces, and match by prefix (``IO3`` covers ``IO301``).
_INLINE = re.compile(
    r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE
)
_FILE = re.compile(
    r"#\s*(?:flake8|iolint)[:=]\s*noqa(?P<sep>:\s?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Suppression:
    codes: frozenset[str] | None  # None: every code

    def covers(self, code: str) -> bool:
        return self.codes is None or any(code.startswith(c) for c in self.codes)


@dataclass(frozen=True)
class NoqaMap:
    by_line: dict[int, Suppression]
    whole_file: Suppression | None

    def suppresses(self, d: Diagnostic) -> bool:
        if self.whole_file is not None and self.whole_file.covers(d.code):
            return True
        s = self.by_line.get(d.start.line)
        return s is not None and s.covers(d.code)


def _codes(text: str | None) -> frozenset[str] | None:
    if not text:
        return None
    return frozenset(c.upper() for c in re.split(r"[,\s]+", text.strip()) if c)


@dataclass(frozen=True)
class CommentLayout:
    """The comments of a text and where each line's comment goes."""

    comments: dict[int, tuple[int, str]]  # line -> (column, text) of the comment on it
    comment_line: dict[int, int]  # line -> the line whose comment covers it

    def target(self, line: int) -> int:
        """The line where a comment about ``line`` goes (``line`` itself, except in a run of
        lines joined by a multi-line string or a backslash: the run's last line)."""
        return self.comment_line.get(line, line)

    def covered(self, line: int) -> range:
        """The lines a comment on ``line`` covers."""
        end = self.target(line)
        start = end
        while self.comment_line.get(start - 1) == end:
            start -= 1
        return range(start, end + 1)

    @classmethod
    def build(cls, text: str) -> CommentLayout | None:
        """flake8's grouping: the lines from a token after a line break to the next line break
        token (NEWLINE or NL) form a run. None when the text does not tokenize."""
        comments: dict[int, tuple[int, str]] = {}
        comment_line: dict[int, int] = {}
        first: int | None = None
        last = 0
        try:
            for tok in tokenize.generate_tokens(io.StringIO(_NEWLINE.sub("\n", text)).readline):
                if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                    continue
                if tok.type == tokenize.COMMENT:
                    comments[tok.start[0]] = (tok.start[1], tok.string)
                first = tok.start[0] if first is None else min(first, tok.start[0])
                last = max(last, tok.end[0])
                if tok.type in (tokenize.NEWLINE, tokenize.NL):
                    for line in range(first, last + 1):
                        comment_line[line] = last
                    first, last = None, 0
        except (tokenize.TokenError, SyntaxError, IndentationError):
            return None
        return cls(comments, comment_line)


def _plain_comments(text: str) -> Iterable[tuple[int, str]]:
    # The text parsed as a module, so this is rare: a plain scan, one line per comment.
    for i, line in enumerate(text.splitlines(), 1):
        if "#" in line:
            yield i, line[line.index("#") :]


def parse_noqa(text: str) -> NoqaMap:
    by_line: dict[int, Suppression] = {}
    whole: Suppression | None = None
    if "noqa" not in text.lower():
        return NoqaMap(by_line, None)
    layout = CommentLayout.build(text)
    if layout is None:
        found: Iterable[tuple[int, str]] = _plain_comments(text)
    else:
        found = ((line, comment) for line, (_, comment) in sorted(layout.comments.items()))
    for line, comment in found:
        fm = _FILE.search(comment)
        if fm:
            codes = _codes(fm.group("codes"))
            # flake8 ignores a file-level noqa that lists codes (it would silence the whole
            # file by mistake); iolint follows ruff and honours the codes there.
            whole = Suppression(codes if whole is None or codes is not None else whole.codes)
            # A line directive may follow it in the same comment (``--add-noqa`` appends one).
            comment = comment[fm.end() :]
        m = _INLINE.search(comment)
        if m:
            suppression = Suppression(_codes(m.group("codes")))
            for covered in layout.covered(line) if layout is not None else (line,):
                by_line[covered] = suppression
    return NoqaMap(by_line, whole)


def filter_noqa(text: str, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    if not diagnostics:
        return diagnostics
    noqa = parse_noqa(text)
    return [d for d in diagnostics if not noqa.suppresses(d)]
