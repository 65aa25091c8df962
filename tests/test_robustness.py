"""Hostile and unusual input: deep nesting, huge files, encodings, BOMs, form feeds, line
endings, tabs, backslash continuations, the newest syntax, and directories holding broken files.

Whatever the input, iolint must not raise: a file it cannot analyze is a parse error with a
clear message, and the findings it reports point at the offending call.
"""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from iolint.config import Settings
from iolint.diagnostics import Diagnostic
from iolint.engine import LintResult, lint_text, parse
from iolint.fix import fix_text, parses
from iolint.flake8_plugin import Flake8Plugin
from iolint.registry import all_rules
from iolint.rules.base import RuleOptions
from iolint.runner import process_path

RULES = [r() for r in all_rules()]  # every rule, opt-in ones included
WRITE = "os.write(fd, data)"


def run(text: str) -> LintResult:
    result = lint_text(text, "t.py", RULES, RuleOptions())
    assert not result.internal_errors, result.internal_errors
    return result


def findings(text: str, code: str = "IO101") -> list[tuple[int, int]]:
    result = run(text)
    assert result.parse_error is None, result.parse_error
    return [(d.start.line, d.start.column) for d in result.diagnostics if d.code == code]


def where(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """(1-based line, 0-based character column) of the ``nth`` occurrence of ``needle``."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    seen = 0
    for i, line in enumerate(lines, 1):
        col = line.find(needle)
        while col >= 0:
            if seen == nth:
                return i, col
            seen += 1
            col = line.find(needle, col + 1)
    raise AssertionError(f"{needle!r} not in text")


def fix_all(text: str) -> str:
    """Every fixer, unsafe ones included; the result must parse and be a fixed point."""

    def relint(t: str) -> list[Diagnostic]:
        return list(run(t).diagnostics)

    out = fix_text(text, relint, unsafe=True).text
    assert parses(out, with_libcst=False), out
    assert fix_text(out, relint, unsafe=True).text == out
    return out


# ----------------------------------------------------------------------------- nesting


def test_deeply_nested_blocks() -> None:
    depth = 90  # CPython allows 100 indentation levels
    lines = ["import os", "def f(fd, data):"]
    lines += ["    " * (i + 1) + "if data:" for i in range(depth)]
    lines.append("    " * (depth + 1) + WRITE)
    text = "\n".join(lines) + "\n"
    assert findings(text) == [(depth + 3, 4 * (depth + 1))]
    fixed = fix_all(text)
    assert "memoryview" in fixed


def test_deeply_nested_functions_and_classes() -> None:
    lines = ["import os"]
    for i in range(40):
        kw = "class" if i % 2 else "def"
        lines.append("    " * i + (f"class C{i}:" if kw == "class" else f"def f{i}(fd, data):"))
    lines.append("    " * 40 + WRITE)
    text = "\n".join(lines) + "\n"
    assert findings(text) == [(42, 160)]
    fix_all(text)


@pytest.mark.parametrize(
    "expr",
    [
        "(" * 150 + "x" + ")" * 150,  # near the parser's limit of nested brackets
        "(" * 250 + "x" + ")" * 250,  # beyond it: a syntax error
        "[" * 150 + "]" * 150,
        "f(" * 150 + ")" * 150,
        " + ".join(["x"] * 30000),  # a 30000-deep left-leaning BinOp tree
        "x" + ".a" * 30000,
        "not " * 5000 + "x",
        "lambda: " * 500 + "x",
    ],
    ids=["parens", "too-many-parens", "lists", "calls", "binop", "attributes", "nots", "lambdas"],
)
def test_deep_expressions_do_not_crash(expr: str) -> None:
    text = f"import os\ndef f(fd, data):\n    {WRITE}\n    y = {expr}\n"
    result = run(text)
    if result.parse_error is None:
        assert [(d.start.line, d.code) for d in result.diagnostics] == [(3, "IO101")]
    else:
        # Too deep for the parser (or for the analysis): a clear message, never a traceback.
        assert result.parse_error.message.split(":")[0] in (
            "SyntaxError",
            "RecursionError",
            "MemoryError",
            "file too deeply nested to analyze",
        )
    # The flake8 plugin gets a tree from flake8 when CPython could build one.
    tree = parse(text, "t.py")
    if not hasattr(tree, "message"):
        list(Flake8Plugin(tree, "t.py", text.splitlines(keepends=True)).run())


def test_huge_file() -> None:
    n = 20000
    chunks = ["import os\n"]
    for i in range(n):
        chunks.append(f"\n\ndef f{i}(fd, data):\n    {WRITE}\n    return {i}\n")
    text = "".join(chunks)
    assert len(text.splitlines()) > 5 * n
    found = findings(text)
    assert len(found) == n
    assert found[0] == (5, 4)
    assert found[-1] == (5 + 5 * (n - 1), 4)


def test_very_long_line() -> None:
    text = "import os\ndef f(fd, data):\n    x = " + "1 + " * 20000 + "1; " + WRITE + "\n"
    result = run(text)
    if result.parse_error is None:
        assert findings(text) == [where(text, WRITE)]


# ----------------------------------------------------------------------------- encodings


def write_file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


LATIN1 = (
    "# -*- coding: latin-1 -*-\n"
    "import os\n"
    "\n"
    "def f(fd, data):\n"
    "    s = '\xe9t\xe9'; os.write(fd, data)\n"
)


def test_latin1_with_coding_cookie(tmp_path: Path) -> None:
    path = write_file(tmp_path, "legacy.py", LATIN1.encode("latin-1"))
    result = process_path(path, Settings())
    assert result.parse_error is None
    # Columns count characters, not bytes of either encoding.
    assert [(d.start.line, d.start.column) for d in result.diagnostics] == [where(LATIN1, WRITE)]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"import os\ndef f(fd, data):\n    s = '\xff\xfe'\n    os.write(fd, data)\n", "decode"),
        (b"# coding: no-such-codec\nimport os\nos.write(1, b'ab')\n", "unknown encoding"),
        (codecs.BOM_UTF8 + b"# coding: latin-1\nimport os\nos.write(1, b'ab')\n", "encoding"),
        (b"import os\nos.write(1, b'ab')\n\x00\x00\x00", "null bytes"),
    ],
    ids=["invalid-utf8", "unknown-codec", "bom-vs-cookie", "nul-bytes"],
)
def test_undecodable_or_binary_source_is_a_clear_parse_error(
    tmp_path: Path, data: bytes, message: str
) -> None:
    path = write_file(tmp_path, "bad.py", data)
    result = process_path(path, Settings())
    assert result.parse_error is not None
    assert message in result.parse_error.message
    assert result.diagnostics == ()


def test_utf8_bom(tmp_path: Path) -> None:
    text = "import os; os.write(1, data)\ndef f(fd, data):\n    os.write(fd, data)\n"
    path = write_file(tmp_path, "bom.py", codecs.BOM_UTF8 + text.encode())
    result = process_path(path, Settings())
    # The BOM is not a character of the first line: columns are not shifted by it.
    assert [(d.start.line, d.start.column) for d in result.diagnostics] == [(1, 11), (3, 4)]


def test_non_ascii_before_the_call() -> None:
    text = "import os\ndef f(fd, data):\n    s = '日本語 €'; os.write(fd, data)\n"
    assert findings(text) == [where(text, WRITE)]
    tree = parse(text, "t.py")
    plugin = Flake8Plugin(tree, "t.py", text.splitlines(keepends=True))  # type: ignore[arg-type]
    assert [(line, col) for line, col, *_ in plugin.run()] == [where(text, WRITE)]


# ----------------------------------------------------------------------------- layout


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_line_endings_and_fixes_keep_them(eol: str) -> None:
    text = eol.join(
        [
            "import os",
            "def f(fd, data):",
            "    " + WRITE,
            "def pump(fd):",
            "    while True:",
            "        chunk = os.read(fd, 10)",
            "        print(chunk)",
            "",
        ]
    )
    result = run(text)
    got = {(d.code, d.start.line, d.start.column) for d in result.diagnostics}
    assert ("IO101", 3, 4) in got and ("IO104", 6, 16) in got
    fixed = fix_all(text)
    others = [e for e in ("\r\n", "\n", "\r") if e != eol]
    assert not any(e in fixed.replace(eol, "") for e in others), repr(fixed)


def test_form_feeds() -> None:
    text = "import os\n\x0c\ndef f(fd, data):\n    x = 1  \x0c\n    " + WRITE + "\n\x0c\n"
    assert findings(text) == [where(text, WRITE)]
    fix_all(text)


def test_tabs() -> None:
    text = "import os\ndef f(fd, data):\n\tif data:\n\t\t" + WRITE + "\n\telse:\n\t\tpass\n"
    assert findings(text) == [(4, 2)]
    fixed = fix_all(text)
    assert "\t\twhile" in fixed or "memoryview" not in fixed


def test_backslash_continuations() -> None:
    text = textwrap.dedent(
        """\
        import os
        def f(fd, data):
            x = 1; \\
            os.write(fd, data)
            if data: os.write(fd, \\
                data)
            os.write(fd,
                     data)
        """
    )
    assert findings(text) == [(4, 4), (5, 13), (7, 4)]
    fix_all(text)


def test_no_trailing_newline_and_empty_files() -> None:
    assert run("").diagnostics == ()
    assert run("\n\n").diagnostics == ()
    assert run("# os.write only in a comment").diagnostics == ()
    text = "import os\ndef f(fd, data):\n    " + WRITE
    assert findings(text) == [(3, 4)]
    fix_all(text)


# ----------------------------------------------------------------------------- syntax


NEW_SYNTAX = [
    (
        (3, 10),
        """\
        import os
        def f(fd, data, cmd):
            match cmd:
                case {"op": "write", **rest} if rest:
                    os.write(fd, data)
                case [first, *_] | (first,):
                    pass
                case Point(x=0) as p:
                    pass
                case _:
                    pass
        """,
    ),
    (
        (3, 10),
        """\
        import os
        def f(fd, data, a, b):
            with (open(a) as x, open(b) as y):
                os.write(fd, data)
        """,
    ),
    (
        (3, 11),
        """\
        import os
        def f(fd, data):
            try:
                os.write(fd, data)
            except* OSError as group:
                pass
        """,
    ),
    (
        (3, 12),
        """\
        import os
        type Buffer[T] = list[T]
        def f[T: bytes, *Ts, **P](fd: int, data: T) -> None:
            os.write(fd, data)
        class Pump[T]:
            def run(self, fd: int, data: T) -> None:
                os.write(fd, data)
        """,
    ),
    (
        (3, 12),
        """\
        import os
        def f(fd, data, names):
            s = f"{'-'.join(f"{n!r:>{len(names)}}" for n in names)}"
            os.write(fd, data)
        """,
    ),
    (
        (3, 13),
        """\
        import os
        def f[T = bytes](fd: int, data: T) -> None:
            os.write(fd, data)
        """,
    ),
]


@pytest.mark.parametrize(
    "version, source",
    NEW_SYNTAX,
    ids=["match", "paren-with", "except-star", "type-params", "pep701-fstring", "type-defaults"],
)
def test_newest_syntax(version: tuple[int, int], source: str) -> None:
    if sys.version_info < version:
        pytest.skip(f"needs Python {version[0]}.{version[1]}")
    text = textwrap.dedent(source)
    expected = [where(text, WRITE, i) for i in range(text.count(WRITE))]
    assert findings(text) == expected
    fix_all(text)


def test_syntax_newer_than_the_interpreter_is_a_parse_error() -> None:
    text = "import os\ntype X = int\nos.write(1, b'ab')\n"
    result = run(text)
    if sys.version_info < (3, 12):
        assert result.parse_error is not None
        assert result.parse_error.message.startswith("SyntaxError")
    else:
        assert result.parse_error is None


# ----------------------------------------------------------------------------- directories


BUGGY = "import os\n\n\ndef f(fd, data):\n    os.write(fd, data)\n"


@pytest.fixture()
def messy_dir(tmp_path: Path) -> Path:
    (tmp_path / "good.py").write_text(BUGGY)
    (tmp_path / "syntax_error.py").write_text("import os\ndef f(:\n    os.write(1, b'ab')\n")
    # Binary junk that still mentions a trigger word, so the trigger scan does not skip it.
    (tmp_path / "binary.py").write_bytes(
        b"\x7fELF\x02\x01\x01\x00\x00\x00os.write\xff\xfe\x00\x89PNG\r\n\x1a\n" * 64
    )
    (tmp_path / "nul.py").write_bytes(b"import os\nos.write(1, b'ab')\n\x00\n")
    (tmp_path / "empty.py").write_bytes(b"")
    (tmp_path / "dir.py").mkdir()  # a directory with a Python suffix
    (tmp_path / "dir.py" / "inner.py").write_text(BUGGY)
    (tmp_path / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    return tmp_path


def iolint_cmd() -> list[str]:
    script = Path(sys.executable).parent / "iolint"
    return [str(script)] if script.exists() else [sys.executable, "-m", "iolint"]


def test_cli_on_a_directory_with_broken_files(messy_dir: Path) -> None:
    def check(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*iolint_cmd(), "check", "--no-cache", *args, "."],
            cwd=messy_dir,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "NO_COLOR": "1"},
        )

    r = check()
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    assert r.returncode == 1, r.stderr
    for name in ("syntax_error.py", "binary.py", "nul.py", "dangling.py"):
        assert f"Failed to parse {name}" in r.stderr, r.stderr
    found = sorted(line.split(":")[0] for line in r.stdout.splitlines() if " IO101 " in line)
    assert found == sorted(["good.py", os.path.join("dir.py", "inner.py")])

    r = check("--output-format", "json", "--exit-non-zero-on-parse-error")
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert {Path(i["filename"]).name for i in json.loads(r.stdout)} == {"good.py", "inner.py"}


def _nul_is_value_error() -> bool:
    try:
        compile("\0", "<nul>", "exec")
    except ValueError:
        return True
    except SyntaxError:
        return False
    return False


def test_flake8_on_a_directory_with_broken_files(messy_dir: Path) -> None:
    (messy_dir / "dangling.py").unlink()  # flake8 itself reports it as E902 and exits 1 anyway
    if _nul_is_value_error():
        # Before Python 3.11.4 compile() raises ValueError on NUL bytes and flake8 itself dies
        # on such a file (it only catches SyntaxError) before any plugin runs.
        (messy_dir / "nul.py").unlink()
        binary = messy_dir / "binary.py"
        binary.write_bytes(binary.read_bytes().replace(b"\x00", b""))
    r = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "IO,E9", str(messy_dir)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in r.stderr, r.stderr
    assert "failed during execution" not in r.stdout + r.stderr
    io = sorted(
        Path(line.split(":")[0]).name for line in r.stdout.splitlines() if " IO101 " in line
    )
    assert io == ["good.py", "inner.py"]
    assert "syntax_error.py" in r.stdout  # E999, from flake8 itself


def test_flake8_plugin_never_raises() -> None:
    import ast

    tree = ast.parse(BUGGY)
    # No lines and a file that does not exist: the plugin reads nothing and reports nothing.
    assert list(Flake8Plugin(tree, "/nonexistent/x.py", None).run()) == []
    # Lines that disagree with the tree (flake8 could hand either): no exception.
    list(Flake8Plugin(tree, "x.py", ["garbage\n"]).run())
    list(Flake8Plugin(ast.parse("x = 1"), "x.py", BUGGY.splitlines(keepends=True)).run())
    list(Flake8Plugin(ast.Expression(body=ast.Constant(1)), "x.py", []).run())
