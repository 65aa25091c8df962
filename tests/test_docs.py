"""Every registered rule has a page, and the page's examples are true."""

from __future__ import annotations

import pytest
from helpers import lint

from iolint.docs import SECTIONS, SILENT, load_page, strict_codes
from iolint.registry import all_rules
from iolint.rules.base import RuleOptions

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
    order = list(page.sections)
    assert order.index(SILENT) == order.index("Use instead") + 1, f"{code}: '{SILENT}' misplaced"
    assert order.index("Fix safety") == order.index(SILENT) + 1, f"{code}: '{SILENT}' misplaced"


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


@pytest.mark.parametrize("code", CODES)
def test_silent_examples_are_silent_by_default_and_strict_says_what_comes_back(code: str) -> None:
    """Each block of "When iolint stays silent" lints clean by default; strict mode reports
    exactly the codes its first line ``# strict: ...`` names."""
    page = load_page(code)
    assert page is not None
    blocks = page.code_blocks(SILENT)
    assert blocks, f"{code}: the '{SILENT}' section has no python block"
    for block in blocks:
        wanted = strict_codes(block)
        assert wanted is not None, f"{code}: block does not start with '# strict: ...':\n{block}"
        rules = _default_and(code)
        found = [(d.start.line, d.code) for d in lint(block, rules)]
        assert found == [], f"{code}: a silent example is not silent: {found}\n{block}"
        strict = {d.code for d in lint(block, rules, RuleOptions(strict=True))}
        assert strict == wanted, f"{code}: strict mode reports {sorted(strict)}:\n{block}"
