"""`python -m jobfeed` = the `jobfeed` command."""

from jobfeed.cli import app

app(prog_name="jobfeed")
