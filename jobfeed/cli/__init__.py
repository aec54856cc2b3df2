"""The `jobfeed` command: local stack, imports, logs (typer + rich, both shipped with Prefect)."""

from __future__ import annotations

import typer

from jobfeed import __version__
from jobfeed.cli import automations as cli_automations
from jobfeed.cli import db as cli_db
from jobfeed.cli import export as cli_export
from jobfeed.cli import imports as cli_imports
from jobfeed.cli import operate as cli_ops
from jobfeed.cli import provenance as cli_provenance
from jobfeed.cli import runs as cli_runs
from jobfeed.cli import stack_cmd as cli_stack
from jobfeed.cli import token as cli_token
from jobfeed.cli.common import JobfeedGroup, exit_now

app = typer.Typer(help="jobfeed: import job feeds into MongoDB with Prefect.", no_args_is_help=True, cls=JobfeedGroup)
stack_app = typer.Typer(help="Start/stop the local stack (Mongo-compatible server, Redis, Prefect server).")
app.add_typer(stack_app, name="stack")
db_app = typer.Typer(help="Prepare a MongoDB for jobfeed (indexes), e.g. an external one.", no_args_is_help=True)
app.add_typer(db_app, name="db")
token_app = typer.Typer(help="API tokens (JWT, signed with API_JWT_SECRET).", no_args_is_help=True)
app.add_typer(token_app, name="token")
automations_app = typer.Typer(help="Prefect automations built on jobfeed's events.", no_args_is_help=True)
app.add_typer(automations_app, name="automations")
archive_app = typer.Typer(help="The raw feed archive (ARCHIVE): bodies kept for replays.", no_args_is_help=True)
app.add_typer(archive_app, name="archive")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"jobfeed {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True, help="Print the version."),
) -> None:
    """jobfeed: import job feeds into MongoDB with Prefect."""


stack_app.command("up")(cli_stack.stack_up)
stack_app.command("down")(cli_stack.stack_down)
stack_app.command("status")(cli_stack.stack_status)
db_app.command("init")(cli_db.db_init)
token_app.command("create")(cli_token.token_create_cmd)
automations_app.command("install")(cli_automations.automations_install_cmd)
archive_app.command("prune")(cli_provenance.archive_prune_cmd)
automations_app.command("zombies")(cli_automations.automations_zombies_cmd)

# registration order is the order `jobfeed --help` lists them in
app.command("import")(cli_imports.import_cmd)
app.command("logs")(cli_imports.logs_cmd)
app.command("export")(cli_export.export_cmd)
app.command("demo")(cli_imports.demo_cmd)
app.command("dashboard")(cli_ops.dashboard_cmd)
app.command("api")(cli_ops.api_cmd)
app.command("redrive")(cli_imports.redrive_cmd)
app.command("replay")(cli_provenance.replay_cmd)
app.command("deploy")(cli_ops.deploy_cmd)
app.command("run-now")(cli_runs.run_now_cmd)
app.command("runs")(cli_runs.runs_cmd)
app.command("run")(cli_runs.run_cmd)
app.command("cancel")(cli_runs.cancel_cmd)
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
