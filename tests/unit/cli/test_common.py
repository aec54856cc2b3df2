"""What every command shares: an unknown option is answered with every option of its command."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from jobfeed.cli import app


@pytest.mark.parametrize(
    ("args", "command", "wrong", "hint", "options"),
    [
        (["import", "--bogus"], "import", "--bogus", "", ["--feeds-file", "--feed", "--json", "--verbose/-v", "--help"]),
        (["import", "--fee", "x"], "import", "--fee", " Did you mean --feed?", ["--feeds-file", "--feed", "--json"]),
        (["stack", "up", "--wrkers", "2"], "stack up", "--wrkers", " Did you mean --workers?",
         ["--prefect/--no-prefect", "--worker"]),
    ],
)  # fmt: skip
def test_an_unknown_option_lists_every_option(
    args: list[str], command: str, wrong: str, hint: str, options: list[str]
) -> None:
    result = CliRunner().invoke(app, args, prog_name="jobfeed", env={"COLUMNS": "400"}, terminal_width=400)
    assert result.exit_code == 2
    text = " ".join(result.output.replace("│", " ").split())  # the error panel, unwrapped
    assert f"No such option: {wrong}.{hint} Options of `jobfeed {command}`: " in text
    for option in options:
        assert option in text
