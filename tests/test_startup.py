"""What a lint-only run imports: the fix machinery (``iolint.fix``, ``iolint.fixes.*``,
libcst) only when a finding has a fix to build.

Every run pays for what it imports, and a warm run does little else, so the fix modules are
imported inside the functions that build a fix. Checked in a fresh interpreter (a subprocess),
since this test process has long imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_PROBE = """
import json, sys
from iolint.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("iolint", "libcst"))
print(json.dumps({"code": code, "modules": loaded}), file=sys.stderr)
"""

_FIX_MODULES = ("iolint.fix", "iolint.fixes", "libcst")


def _modules(*args: str, cwd: Path) -> tuple[int, set[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    return report["code"], set(report["modules"])


def _fix_modules(modules: set[str]) -> set[str]:
    return {m for m in modules if m in _FIX_MODULES or m.startswith(("iolint.fixes.", "libcst."))}


# Passes the trigger scan (it opens, writes and renames), so it is parsed and every
# durability and partial-I/O rule runs on it; it does everything right, so nothing is found.
_CLEAN = """\
import os


def save(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
"""

# IO305 with a safe fix: the rule builds it, so the fix modules load.
_FIXABLE = """\
import os


def publish(tmp, path):
    os.remove(path)
    os.rename(tmp, path)
"""


def test_lint_without_findings_imports_no_fix_module(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "clean.py").write_text(_CLEAN)
    for extra in (["--no-cache"], [], []):  # uncached, then filling and reading the cache
        code, modules = _modules("check", "--jobs", "1", *extra, "clean.py", cwd=tmp_path)
        assert code == 0
        assert "iolint.rules.durability" in modules  # the rules did run
        assert _fix_modules(modules) == set()


def test_fixable_finding_builds_its_fix(tmp_path: Path) -> None:
    """The other side: the probe sees fix modules when a fix is built (so the test above
    would notice an eager import)."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "fixable.py").write_text(_FIXABLE)
    code, modules = _modules("check", "--jobs", "1", "--no-cache", "fixable.py", cwd=tmp_path)
    assert code == 1
    assert "iolint.fixes.imports" in modules
