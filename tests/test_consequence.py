"""Consequence (second edition): what the partial-I/O and close rules stay silent about, and
what strict mode brings back.

In the fixture files, ``# strict: IOxxx`` marks a finding that only strict mode reports (true
but harmless there); ``# expect: IOxxx`` marks one reported in both modes. The default-mode
check lives in ``test_fixtures.py`` (where a ``# strict:`` line must stay silent); this file
checks strict mode for the rules whose consequence this module models.
"""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import pytest
from helpers import codes_at, expected_markers, lint

from iolint.model.consequence import SMALL_WRITE, payload_bound
from iolint.model.module import ModuleModel
from iolint.model.source import SourceText
from iolint.rules.base import RuleOptions

FIXTURES = Path(__file__).parent / "fixtures"
CODES = ("IO101", "IO102", "IO103", "IO104", "IO201", "IO403")
FILES = sorted(p for code in CODES for p in FIXTURES.glob(f"{code}*.py"))
STRICT = re.compile(r"#\s*strict:\s*(?P<codes>IO\d{3}(?:\s*,\s*IO\d{3})*)")
STRICT_OPTIONS = RuleOptions(strict=True)


def strict_markers(text: str) -> set[tuple[int, str]]:
    out = set()
    for lineno, line in enumerate(text.splitlines(), 1):
        m = STRICT.search(line)
        if m:
            out.update((lineno, c) for c in re.split(r"\s*,\s*", m.group("codes")))
    return out


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_strict_mode_brings_back_the_harmless_findings(path: Path) -> None:
    code = path.name[:5]
    text = path.read_text(encoding="utf-8")
    expected = {m for m in expected_markers(text) | strict_markers(text) if m[1] == code}
    found = {
        (d.start.line, d.code) for d in lint(text, [code], STRICT_OPTIONS, path=path.name)
    }
    assert found == expected, (
        f"missing: {sorted(expected - found)}; unexpected: {sorted(found - expected)}"
    )


def test_every_consequence_rule_has_strict_only_cases() -> None:
    marked = set()
    for path in FILES:
        marked |= {c for _, c in strict_markers(path.read_text(encoding="utf-8"))}
    # IO403 silences only what is wrong (never reported, not even in strict mode); the others
    # also silence what is true but harmless, or what the model cannot prove (IO104:
    # ``readline()`` on a receiver not known to be a file or pipe; IO103: a fill-to-n loop
    # over-reading from a descriptor that may be a regular file, short only at its end).
    assert marked == {"IO101", "IO102", "IO103", "IO104", "IO201"}


def _bound(source: str) -> int | None:
    """The bound of the expression on the last line of ``source``."""
    text = textwrap.dedent(source)
    model = ModuleModel(ast.parse(text), SourceText(text), "snippet.py")
    last = model.tree.body[-1]
    assert isinstance(last, ast.Expr)
    return payload_bound(model, last.value)


@pytest.mark.parametrize(
    ("source", "bound"),
    [
        ('b"abc"', 3),
        ('"héllo"', 6),  # str counts in UTF-8 bytes
        ("IAC = bytes([255])\nDO = bytes([253])\nLINEMODE = b'\\x22'\nIAC + DO + LINEMODE", 3),
        ("import os\nstr(os.getpid())", 21),
        ("import os\n('%d\\n' % os.getpid()).encode()", 24),
        ("import os\nf'{os.getpid()}:{len(b\"x\")}'", 43),
        ("def f(pid):\n    pass\n'{0}\\n'.format(pid).encode('utf-8')", 22),
        ("def f(password):\n    pass\n(password + '\\n').encode()", 257),
        ("import struct\nstruct.pack('>BBBH', 1, 2, 3, 4)", 5),
        ("'abc'.encode('utf-16')", 12),
        ("b'x' * 100", 100),
    ],
)
def test_payloads_bounded_by_construction(source: str, bound: int) -> None:
    assert _bound(source) == bound


@pytest.mark.parametrize(
    "source",
    [
        "def f(data):\n    pass\ndata",
        "def f(err):\n    pass\nf'error: {err}'.encode()",
        "import traceback\ntraceback.format_exc().encode()",
        "def f(name, value):\n    pass\nb'%s:%d' % (name, value)",
        "'%f' % 1e300",
    ],
)
def test_unbounded_payloads(source: str) -> None:
    assert _bound(source) is None


def test_the_limit_is_posix_pipe_buf_minimum() -> None:
    at_limit = f"import os\ndef f(fd):\n    os.write(fd, b'x' * {SMALL_WRITE})\n"
    over = f"import os\ndef f(fd):\n    os.write(fd, b'x' * {SMALL_WRITE + 1})\n"
    assert codes_at(at_limit, ["IO101"]) == []
    assert codes_at(at_limit, ["IO101"], options=STRICT_OPTIONS) == [(3, "IO101")]
    assert codes_at(over, ["IO101"]) == [(3, "IO101")]


def test_scripts_in_a_test_directory_are_test_code() -> None:
    # A helper script that a test spawns and that echoes a line back: the write is module-level
    # code, not a ``test*`` function, but it only serves the tests.
    script = "import os, sys\nline = sys.stdin.buffer.readline()\nos.write(1, line * 3)\n"
    found = lint(script, ["IO101"], RuleOptions(), path="proj/tests/echo_child.py")
    assert [d.code for d in found] == []
    strict = lint(script, ["IO101"], STRICT_OPTIONS, path="proj/tests/echo_child.py")
    assert [d.code for d in strict] == ["IO101"]
    # The same script shipped with the program is a finding.
    assert [d.code for d in lint(script, ["IO101"], RuleOptions(), path="proj/echo.py")] == [
        "IO101"
    ]
