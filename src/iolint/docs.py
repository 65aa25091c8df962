"""The rule pages (``rules/IOxxx.md``): where they are and what they say."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# What context silences the rule by default (and what strict mode brings back): every block of
# that section lints clean by default, and its first line ``# strict: IO302`` (or ``# strict:
# none``) names the codes strict mode reports on it.
SILENT = "When iolint stays silent"
SECTIONS = (
    "What it does",
    "Why is this bad?",
    "Example",
    "Use instead",
    SILENT,
    "Fix safety",
    "Options",
    "References",
)
_STRICT_LINE = re.compile(r"^#\s*strict:\s*(?P<codes>.*?)\s*$")
_FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def strict_codes(block: str) -> frozenset[str] | None:
    """The codes a silent-section block's first line says strict mode reports (``# strict:
    IO302, IO305``; ``# strict: none`` is the empty set); None without such a line."""
    first = block.split("\n", 1)[0]
    m = _STRICT_LINE.match(first.strip())
    if m is None:
        return None
    codes = m.group("codes").strip()
    if codes.lower() == "none":
        return frozenset()
    return frozenset(c.strip() for c in codes.split(",") if c.strip())


def docs_dir() -> Path | None:
    """Installed wheels carry the pages in ``iolint/docs``; a source checkout has ``rules/``."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "docs", here.parent.parent / "rules"):
        if candidate.is_dir():
            return candidate
    return None


def page_text(code: str) -> str | None:
    base = docs_dir()
    if base is None:
        return None
    path = base / f"{code.upper()}.md"
    return path.read_text(encoding="utf-8") if path.is_file() else None


@dataclass(frozen=True)
class Page:
    code: str
    title: str
    sections: dict[str, str]

    def code_blocks(self, section: str) -> list[str]:
        return _FENCE.findall(self.sections.get(section, ""))

    @property
    def summary(self) -> str:
        """The first paragraph of "What it does"."""
        body = self.sections.get("What it does", "").strip()
        return body.split("\n\n", 1)[0].replace("\n", " ")


def parse_page(code: str, text: str) -> Page:
    lines = text.splitlines()
    title = lines[0].lstrip("# ").strip() if lines else code
    sections: dict[str, str] = {}
    current: str | None = None
    buf: list[str] = []
    in_fence = False
    for line in lines[1:]:
        if line.startswith("```"):
            in_fence = not in_fence
        if not in_fence and line.startswith("## "):
            if current is not None:
                sections[current] = "\n".join(buf).strip() + "\n"
            current, buf = line[3:].strip(), []
        else:
            buf.append(line)
    if current is not None:
        sections[current] = "\n".join(buf).strip() + "\n"
    return Page(code, title, sections)


def load_page(code: str) -> Page | None:
    text = page_text(code)
    return parse_page(code, text) if text is not None else None
