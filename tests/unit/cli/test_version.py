"""One version string: the package metadata, `jobfeed --version` and the API's OpenAPI document agree."""

from __future__ import annotations

import importlib.metadata

from typer.testing import CliRunner

import jobfeed
from jobfeed.api.app import create_app
from jobfeed.cli import app


def test_version_is_the_same_everywhere() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"jobfeed {jobfeed.__version__}"
    assert importlib.metadata.version("jobfeed") == jobfeed.__version__  # pyproject reads jobfeed/__init__.py
    assert create_app().openapi()["info"]["version"] == jobfeed.__version__
