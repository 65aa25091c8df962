"""Property-based robustness: generated programs never crash the engine or any fixer.

Two sources of programs:

* hypothesmith: arbitrary valid Python (from the grammar and from libcst's node types), with a
  comment naming every rule's trigger words appended so that no rule is skipped by the trigger
  scan;
* a generator of I/O-shaped programs (writes, sends, reads in loops, EAGAIN/EINTR handlers,
  saves and publishes, in functions, methods, loops, ``try`` and ``with`` blocks, indented with
  spaces or tabs, with LF or CRLF line endings), which actually reaches the rules and fixers.

Properties: linting raises nothing and reports no internal error; every finding lies inside
the text; the flake8 plugin agrees with the engine; applying every fix (unsafe ones included)
gives code that parses, and fixing that result again changes nothing.

Example counts are modest so that the suite stays fast; raise them with
``IOLINT_HYPOTHESIS_EXAMPLES=1000``. Runs are derandomized (the same examples each time, so CI
cannot flake) unless ``IOLINT_HYPOTHESIS_RANDOM=1``.
"""

from __future__ import annotations

import ast
import os
import warnings
from collections.abc import Sequence

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iolint.diagnostics import Diagnostic
from iolint.engine import lint_text, triggered
from iolint.fix import fix_text, parses
from iolint.flake8_plugin import Flake8Plugin
from iolint.model.source import SourceText
from iolint.registry import all_rules
from iolint.rules.base import RuleOptions

pytestmark = pytest.mark.slow

RULES = [r() for r in all_rules()]
TRIGGER_COMMENT = "# " + " ".join(
    sorted({t.replace("*", "") for r in RULES for t in (*r.triggers, *r.also_triggers)})
)
EXAMPLES = int(os.environ.get("IOLINT_HYPOTHESIS_EXAMPLES", "40"))
PROFILE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("IOLINT_HYPOTHESIS_RANDOM") != "1",
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


def lint(text: str) -> Sequence[Diagnostic]:
    result = lint_text(text, "gen.py", RULES, RuleOptions())
    assert not result.internal_errors, (result.internal_errors, text)
    return result.diagnostics


def check_program(text: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return  # only programs this interpreter accepts are interesting here
    diagnostics = lint(text)
    source = SourceText(text)
    for d in diagnostics:
        assert 1 <= d.start.line <= source.line_count, (d, text)
        assert 0 <= d.start.column <= len(source.line(d.start.line)), (d, text)
        assert (d.start.line, d.start.column) <= (d.end.line, d.end.column), (d, text)

    # flake8 hands the plugin the same tree and lines: same findings (before noqa filtering).
    plugin = Flake8Plugin(tree, "gen.py", text.splitlines(keepends=True))
    by_plugin = sorted((line, col, msg.split()[0]) for line, col, msg, _ in plugin.run())
    unfiltered = lint_text(text, "gen.py", RULES, RuleOptions(), noqa=False).diagnostics
    assert by_plugin == sorted((d.start.line, d.start.column, d.code) for d in unfiltered)

    outcome = fix_text(text, lint, unsafe=True)
    fixed = outcome.text
    if outcome.fixed:
        assert parses(fixed, with_libcst=False), (text, fixed)
    again = fix_text(fixed, lint, unsafe=True)
    assert again.text == fixed, (text, fixed, again.text)


# ----------------------------------------------------------------------------- hypothesmith


@PROFILE
@given(hypothesmith.from_grammar())
def test_grammar_programs(code: str) -> None:
    check_program(code + "\n" + TRIGGER_COMMENT + "\n")


@PROFILE
@given(hypothesmith.from_node())
def test_node_programs(code: str) -> None:
    check_program(code + "\n" + TRIGGER_COMMENT + "\n")


def test_trigger_comment_wakes_every_rule() -> None:
    assert triggered(TRIGGER_COMMENT, RULES) == RULES


# ----------------------------------------------------------------------------- I/O programs

SIMPLE = [
    "os.write(fd, data)",
    "n = os.write(fd, data)",
    "os.write(fd, b'x')",
    "os.pwrite(fd, data, 0)",
    "sock.send(data)",
    "self.sock.send(data)",
    "sock.sendall(data)",
    "data = os.read(fd, 1024)",
    "data = sock.recv(4096)",
    "sock.recv_into(buf, 16)",
    "(size,) = struct.unpack('>I', sock.recv(4))",
    "head = os.read(fd, 8)[0:4]",
    "if os.read(fd, 1) == 0:\n    pass",
    "if os.write(fd, data) == -1:\n    pass",
    "f.write(data)",
    "f.flush()",
    "os.fsync(f.fileno())",
    "os.fdatasync(fd)",
    "os.sync()",
    "os.replace(tmp, path)",
    "os.rename(tmp, path)",
    "shutil.move(tmp, path)",
    "os.unlink(path)",
    "fd2, tmp = tempfile.mkstemp()",
    "f = open(path, 'w')",
    "f = open(path, 'wb', buffering=0)",
    "open(path, 'w').write(text)",
    "json.dump(obj, open(path, 'w'))",
    "fd = os.open(path, os.O_WRONLY | os.O_CREAT)",
    "fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)",
    "os.set_blocking(fd, False)",
    "sock.setblocking(False)",
    "sock.settimeout(0)",
    "f.seek(0, 2)",
    "os.lseek(fd, 0, os.SEEK_END)",
    "os.close(fd)",
    "f.close()",
    "time.sleep(0.1)",
    "sel.select()",
    "pass",
    "print(data)",
    "data = b''",
    "path.write_text(text)",
]
LOOP_ONLY = ["break", "continue", "if not data:\n    break", "if data == b'':\n    break"]
HANDLERS = [
    "except BlockingIOError:\n    {body}",
    "except InterruptedError:\n    {body}",
    "except OSError as e:\n    if e.errno == errno.EINTR:\n        {body}\n    raise",
    "except OSError as e:\n"
    "    if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK):\n"
    "        {body}\n"
    "    raise",
    "except OSError:\n    pass",
    "except Exception:\n    raise",
    "except:\n    {body}",
]
HEADERS = [
    "while True:",
    "while data:",
    "for chunk in chunks:",
    "if data:",
    "with open(path, 'w') as f:",
    "with open(path, 'wb', buffering=0) as f:",
    "with open(tmp, 'wb') as f:",
    "with tempfile.NamedTemporaryFile('wb', delete=False) as f:",
    "with contextlib.suppress(OSError):",
    "try:",
]
FUNCTIONS = [
    "def save(path, data, tmp, fd, sock, f, text, obj, buf, chunks, sel):",
    "def pump(fd, sock, data, f, buf, chunks, sel, path, tmp, text, obj):",
    "async def serve(fd, sock, data, f, buf, chunks, sel, path, tmp, text, obj):",
    "def write_state(path, data, tmp, fd, sock, f, text, obj, buf, chunks, sel):",
]
PRELUDE = (
    "import contextlib\nimport errno\nimport json\nimport os\nimport shutil\nimport socket\n"
    "import struct\nimport tempfile\nimport time\n"
)


@st.composite
def block(draw: st.DrawFn, depth: int, in_loop: bool) -> list[str]:
    """A list of source lines (indented with four spaces per level, re-indented later)."""
    n = draw(st.integers(1, 4))
    lines: list[str] = []
    for _ in range(n):
        choices = SIMPLE + (LOOP_ONLY if in_loop else [])
        if depth < 3 and draw(st.integers(0, 2)) == 0:
            header = draw(st.sampled_from(HEADERS))
            loop = in_loop or header.startswith(("while", "for"))
            body = draw(block(depth + 1, loop))
            lines.append(header)
            lines.extend("    " + ln for ln in body)
            if header == "try:":
                handler = draw(st.sampled_from(HANDLERS))
                inner = draw(st.sampled_from(["continue", "pass"] if loop else ["pass"]))
                lines.extend(handler.format(body=inner).split("\n"))
            elif header.startswith("if") and draw(st.booleans()):
                lines.append("else:")
                lines.extend("    " + ln for ln in draw(block(depth + 1, loop)))
        else:
            lines.extend(draw(st.sampled_from(choices)).split("\n"))
    return lines


@st.composite
def io_program(draw: st.DrawFn) -> str:
    units = []
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.integers(0, 3)) == 0:
            body = ["self.sock = socket.socket()", "self.fd = os.open(path, os.O_RDONLY)"]
            method = draw(block(1, False))
            units.append(
                ["class Conn:", "    def __init__(self, path):"]
                + ["        " + ln for ln in body]
                + ["", "    def run(self, fd, sock, data, f, buf, chunks, sel, path, tmp, text):"]
                + ["        " + ln for ln in method]
            )
        else:
            head = draw(st.sampled_from(FUNCTIONS))
            units.append([head] + ["    " + ln for ln in draw(block(1, False))])
    indent = draw(st.sampled_from(["    ", "\t", "  "]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    out = []
    for unit in units:
        out.append("")
        for ln in unit:
            stripped = ln.lstrip(" ")
            level = (len(ln) - len(stripped)) // 4
            out.append(indent * level + stripped)
    text = PRELUDE + "\n".join(out) + "\n"
    return text.replace("\n", newline)


@PROFILE
@given(io_program())
def test_io_programs(code: str) -> None:
    assert parses(code, with_libcst=False), code
    check_program(code)


@settings(PROFILE, max_examples=max(EXAMPLES // 4, 5))
@given(io_program())
def test_io_programs_reach_the_rules(code: str) -> None:
    """A sanity check of the generator itself: its programs do get findings and fixes."""
    assert triggered(code, RULES)
    lint(code)
