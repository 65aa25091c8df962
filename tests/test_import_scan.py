"""The text scan that tells whether a module may read project facts (``import_scan``)."""

from __future__ import annotations

import pytest

from iolint.import_scan import imports_project_module


@pytest.mark.parametrize(
    ("text", "reaches"),
    [
        ("x = 1\n", False),
        ("import os\nimport os.path as osp, shutil\n", False),
        ("from __future__ import annotations\nfrom collections import abc\n", False),
        ("if TYPE_CHECKING:\n    from typing import Any\n", False),
        # A relative import names a project module; so does any non-stdlib name.
        ("from . import helpers\n", True),
        ("from .store import save\n", True),
        ("import os\nimport mypkg.files\n", True),
        ("import os, requests\n", True),
        ("def f():\n    from mypkg import tmp\n", True),
        ("import os; import mypkg\n", True),
        ("x = 1; import mypkg\n", True),
        ("try: import ujson as json\nexcept ImportError: import json\n", True),
        # What the scan cannot read counts as "it may".
        ("import os; import sys\n", True),
        ("import os, \\\n    mypkg\n", True),
        ('"""Usage:\nimport the data, then save it.\n"""\n', True),
    ],
)
def test_imports_project_module(text: str, reaches: bool) -> None:
    assert imports_project_module(text) is reaches


@pytest.mark.parametrize(
    ("module", "reaches"),
    [
        (None, True),
        ("mypkg.store", True),
        # A relative import inside a package named like a standard-library one stays in it.
        ("email.parser", False),
    ],
)
def test_relative_imports_stay_in_their_package(module: str | None, reaches: bool) -> None:
    assert imports_project_module("from .feedparser import FeedParser\n", module) is reaches
