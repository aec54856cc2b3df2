"""The `jobfeed` command: local stack, imports, logs (typer + rich, both shipped with Prefect)."""

from __future__ import annotations

import typer

from jobfeed.cli import imports as cli_imports
from jobfeed.cli import operate as cli_ops
from jobfeed.cli import stack_cmd as cli_stack
from jobfeed.cli.common import exit_now

app = typer.Typer(help="jobfeed: import job feeds into MongoDB with Prefect.", no_args_is_help=True)
stack_app = typer.Typer(help="Start/stop the local stack (Mongo-compatible server, Redis, Prefect server).")
app.add_typer(stack_app, name="stack")

stack_app.command("up")(cli_stack.stack_up)
stack_app.command("down")(cli_stack.stack_down)
stack_app.command("status")(cli_stack.stack_status)

# registration order is the order `jobfeed --help` lists them in
app.command("import")(cli_imports.import_cmd)
app.command("logs")(cli_imports.logs_cmd)
app.command("demo")(cli_imports.demo_cmd)
app.command("dashboard")(cli_ops.dashboard_cmd)
app.command("api")(cli_ops.api_cmd)
app.command("redrive")(cli_imports.redrive_cmd)
app.command("deploy")(cli_ops.deploy_cmd)
app.command("run-now")(cli_ops.run_now_cmd)
app.command("pause")(cli_ops.pause_cmd)
app.command("resume")(cli_ops.resume_cmd)


def main() -> None:
    """The `jobfeed` command (console script and `python -m jobfeed`); see cli_common.exit_now."""
    try:
        app(prog_name="jobfeed")
    except SystemExit as exc:
        if exc.code is not None and not isinstance(exc.code, int):
            raise  # sys.exit("message"): let Python print it
        exit_now(exc.code or 0)
