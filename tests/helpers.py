"""Shared test helpers: lint a snippet with the real engine and registry."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from pathlib import Path

from iolint.diagnostics import Diagnostic
from iolint.engine import lint_text
from iolint.registry import all_rules
from iolint.rules.base import RuleOptions

EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>IO\d{3}(?:\s*,\s*IO\d{3})*)")
STRICT = re.compile(r"#\s*strict:\s*(?P<codes>IO\d{3}(?:\s*,\s*IO\d{3})*)")


def lint(
    source: str,
    codes: Iterable[str] | None = None,
    options: RuleOptions | None = None,
    path: str = "snippet.py",
) -> list[Diagnostic]:
    """Lint dedented ``source`` with the rules whose code is in ``codes`` (default: every
    rule enabled by default)."""
    wanted = set(codes) if codes is not None else None
    rules = [
        r() for r in all_rules() if (r.default_enabled if wanted is None else r.code in wanted)
    ]
    result = lint_text(textwrap.dedent(source), path, rules, options or RuleOptions())
    assert not result.internal_errors, result.internal_errors
    assert result.parse_error is None, result.parse_error
    return list(result.diagnostics)


def codes_at(
    source: str, codes: Iterable[str] | None = None, **kw: object
) -> list[tuple[int, str]]:
    return [(d.start.line, d.code) for d in lint(source, codes, **kw)]  # type: ignore[arg-type]


def expected_markers(text: str, marker: re.Pattern[str] = EXPECT) -> set[tuple[int, str]]:
    """``# expect: IO101`` (or ``IO101, IO102``) on a line marks findings expected there;
    with ``marker=STRICT``, ``# strict: IO306`` marks findings expected only in strict mode."""
    out = set()
    for lineno, line in enumerate(text.splitlines(), 1):
        m = marker.search(line)
        if m:
            for code in re.split(r"\s*,\s*", m.group("codes")):
                out.add((lineno, code))
    return out


# IO102 on line 7 and IO105 on line 13, both with safe fixes: the socket is created in the
# function and nothing makes it non-blocking (IO102 -> sendall), and `data == 0` on bytes
# becomes `not data` (IO105). Shared by the configuration and pre-commit tests.
SAFELY_FIXABLE = textwrap.dedent(
    """\
    import os
    import socket


    def ping(host: str, payload: bytes) -> None:
        sock = socket.create_connection((host, 80))
        sock.send(payload)
        sock.close()


    def drain(fd: int) -> bytes:
        data = os.read(fd, 1024)
        if data == 0:
            return b""
        return data
    """
)


def write_project(root: Path, files: dict[str, str]) -> Path:
    """A project root (``pyproject.toml``) holding package ``pkg`` and ``files`` (relative
    path to text): what the project index needs to find a module's neighbours."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'fixture'\n")
    for name, text in {"pkg/__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root
