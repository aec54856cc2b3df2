"""scripts/changelog_section.py: the release notes of a tag are its CHANGELOG.md section (a fixture changelog)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from scripts.changelog_section import SectionError, section, version_of
from tests.support.paths import FIXTURES, ROOT

CHANGELOG = FIXTURES / "changelog" / "CHANGELOG.md"
SCRIPT = ROOT / "scripts" / "changelog_section.py"


def test_a_keep_a_changelog_section_up_to_the_next_heading() -> None:
    notes = section(CHANGELOG.read_text(), "v1.2.0")
    assert notes == (
        "### Added\n- `jobfeed run-now --watch --timeout`.\n\n"
        "### Fixed\n- The dashboard's history table shows whole feed names.\n"
    )


def test_other_heading_spellings_and_link_definitions_left_out() -> None:
    assert section(CHANGELOG.read_text(), "1.1.0") == "Only one line here, with a [link](https://example.org/notes).\n"
    last = section(CHANGELOG.read_text(), "v0.9.0")  # the last section: its link definitions are not notes
    assert last == "### Removed\n- The old importer.\n"


@pytest.mark.parametrize(("tag", "problem"), [("v3.0.0", "no section for 3.0.0"), ("v1.0.0", "is empty"),
                                              ("v1.2", "no section for 1.2")])  # fmt: skip
def test_missing_or_empty_sections_are_errors(tag: str, problem: str) -> None:
    with pytest.raises(SectionError, match=problem):
        section(CHANGELOG.read_text(), tag)


def test_version_of_a_tag() -> None:
    assert [version_of(t) for t in ("v1.2.0", "1.2.0", "V2.0.0", " v0.1.0-rc1 ", "vendor")] == [
        "1.2.0", "1.2.0", "2.0.0", "0.1.0-rc1", "vendor"
    ]  # fmt: skip


def test_the_command_as_the_release_job_runs_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(SCRIPT), *args], check=False, capture_output=True, text=True,
                              timeout=60, cwd=tmp_path)  # fmt: skip

    ok = run("v1.2.0", "--changelog", str(CHANGELOG))
    assert (ok.returncode, ok.stdout) == (0, section(CHANGELOG.read_text(), "v1.2.0"))
    missing = run("v9.9.9", "--changelog", str(CHANGELOG))
    assert missing.returncode == 1 and missing.stdout == "" and "no section for 9.9.9" in missing.stderr
    no_file = run("v1.2.0", "--changelog", str(tmp_path / "CHANGELOG.md"))
    assert no_file.returncode == 1 and "cannot read" in no_file.stderr


def test_the_project_changelog_has_notes_for_this_version() -> None:
    import jobfeed

    notes = section((ROOT / "CHANGELOG.md").read_text(), jobfeed.__version__)
    assert notes.strip() and "## [Unreleased]" in (ROOT / "CHANGELOG.md").read_text()
