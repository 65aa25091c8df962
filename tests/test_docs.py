"""Every registered rule has a page, and the page's examples are true."""

from __future__ import annotations

import pytest
from helpers import lint

from iolint.docs import SECTIONS, load_page
from iolint.registry import all_rules

CODES = [r.code for r in all_rules()]


def _default_and(code: str) -> list[str]:
    """The rules a user gets by default, plus the page's own rule (which may be opt-in)."""
    return [r.code for r in all_rules() if r.default_enabled or r.code == code]


@pytest.mark.parametrize("code", CODES)
def test_page_exists_with_all_sections(code: str) -> None:
    page = load_page(code)
    assert page is not None, f"rules/{code}.md is missing"
    assert page.title.startswith(code), page.title
    for section in SECTIONS:
        assert section in page.sections, f"{code}: no '## {section}' section"
        assert page.sections[section].strip(), f"{code}: '## {section}' is empty"


@pytest.mark.parametrize("code", CODES)
def test_example_triggers_the_rule(code: str) -> None:
    page = load_page(code)
    assert page is not None
    blocks = page.code_blocks("Example")
    assert blocks, f"{code}: the Example section has no python block"
    for block in blocks:
        found = [d.code for d in lint(block, _default_and(code))]
        assert code in found, f"{code}: Example does not trigger it:\n{block}"


@pytest.mark.parametrize("code", CODES)
def test_use_instead_is_clean(code: str) -> None:
    page = load_page(code)
    assert page is not None
    blocks = page.code_blocks("Use instead")
    assert blocks, f"{code}: the Use instead section has no python block"
    for block in blocks:
        found = [(d.start.line, d.code) for d in lint(block, _default_and(code))]
        assert found == [], f"{code}: Use instead is not clean: {found}\n{block}"
