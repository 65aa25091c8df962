"""flake8-compatible suppression comments: ``# noqa``, ``# noqa: IO101,IO3``, ``# flake8: noqa``."""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass

from iolint.diagnostics import Diagnostic

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


def _comments(text: str) -> Iterable[tuple[int, str]]:
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                yield tok.start[0], tok.string
    except (tokenize.TokenError, SyntaxError, IndentationError):
        # The text parsed as a module, so this is rare; fall back to a plain scan.
        for i, line in enumerate(text.splitlines(), 1):
            if "#" in line:
                yield i, line[line.index("#") :]


def parse_noqa(text: str) -> NoqaMap:
    by_line: dict[int, Suppression] = {}
    whole: Suppression | None = None
    if "noqa" not in text.lower():
        return NoqaMap(by_line, None)
    for line, comment in _comments(text):
        fm = _FILE.search(comment)
        if fm:
            codes = _codes(fm.group("codes"))
            # flake8 ignores a file-level noqa that lists codes (it would silence the whole
            # file by mistake); iolint follows ruff and honours the codes there.
            whole = Suppression(codes if whole is None or codes is not None else whole.codes)
            continue
        m = _INLINE.search(comment)
        if m:
            by_line[line] = Suppression(_codes(m.group("codes")))
    return NoqaMap(by_line, whole)


def filter_noqa(text: str, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    if not diagnostics:
        return diagnostics
    noqa = parse_noqa(text)
    return [d for d in diagnostics if not noqa.suppresses(d)]
