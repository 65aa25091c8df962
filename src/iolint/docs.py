"""The rule pages (``rules/IOxxx.md``): where they are and what they say."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SECTIONS = (
    "What it does",
    "Why is this bad?",
    "Example",
    "Use instead",
    "Fix safety",
    "Options",
    "References",
)
_FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


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
