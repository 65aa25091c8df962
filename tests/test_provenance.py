"""Developer tooling (``model/provenance.py``): judged by the module's place, so tested with
paths rather than fixture files (fixtures are linted under their bare name)."""

from __future__ import annotations

from helpers import lint

from iolint.rules.base import RuleOptions

SYNC_TOOL = """
def save_pins(requirements, pins):
    with requirements.open("w") as f:
        f.write("\\n".join(pins))
"""

STUB_GENERATOR = """
def generate_stub(signatures):
    stub = __file__ + "i"
    with open(stub) as f:
        lines = f.read().splitlines()
    lines[2:] = signatures
    with open(stub, "w") as f:
        f.write("\\n".join(lines))


if __name__ == "__main__":
    generate_stub([])
"""


def _codes(source: str, path: str, strict: bool = False) -> list[str]:
    return [d.code for d in lint(source, ["IO306"], RuleOptions(strict=strict), path=path)]


def test_a_tools_directory_is_developer_tooling() -> None:
    assert _codes(SYNC_TOOL, "pkg/_tools/sync_requirements.py") == []
    assert _codes(SYNC_TOOL, "pkg/_tools/sync_requirements.py", strict=True) == ["IO306"]


def test_the_same_code_elsewhere_is_reported() -> None:
    assert _codes(SYNC_TOOL, "pkg/requirements.py") == ["IO306"]
    # ``scripts`` directories often hold the console entry points users run: not tooling.
    assert _codes(SYNC_TOOL, "pkg/scripts/pins.py") == ["IO306"]


def test_a_script_rewriting_its_own_package_source_is_tooling() -> None:
    assert _codes(STUB_GENERATOR, "pkg/bindings.py") == []
    assert _codes(STUB_GENERATOR, "pkg/bindings.py", strict=True) == ["IO306"]


def test_a_source_rewrite_without_a_script_entry_is_reported() -> None:
    library = STUB_GENERATOR.split("if __name__")[0]
    assert _codes(library, "pkg/bindings.py") == ["IO306"]


QUEUED_JOB = """
import json
import os


def save_job(jobs_dir, job_id, job):
    path = os.path.join(jobs_dir, job_id)
    with open(path + ".tmp", "w") as f:
        f.write(json.dumps(job))
    os.replace(path + ".tmp", path)
"""


def test_a_job_store_is_not_a_status_file() -> None:
    """Queued jobs are the only record of work to do: loud even in a module named status."""
    found = lint(QUEUED_JOB, ["IO302"], path="queue/status.py")
    assert [d.code for d in found] == ["IO302"]
