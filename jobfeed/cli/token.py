"""`jobfeed token create`: an HS256 JWT for the API, signed with API_JWT_SECRET (scopes `read`, `runs:write`)."""

from __future__ import annotations

from datetime import timedelta

import typer

from jobfeed.cli.common import EXIT_USAGE, err, load_settings


def token_create_cmd(
    scope: list[str] = typer.Option(["read"], "--scope", help="read or runs:write; repeatable"),
    ttl: str = typer.Option("30d", "--ttl", help="lifetime, e.g. 12h, 30d"),
    subject: str = typer.Option(..., "--subject", help="who the token is for (its `sub`)"),
) -> None:
    """Print a signed token; give it as `Authorization: Bearer <token>`."""
    from jobfeed.api.auth import ALL_SCOPES, issue_token
    from jobfeed.models import parse_duration

    settings = load_settings()
    if settings.api_jwt_secret is None:
        err.print("[red]API_JWT_SECRET is not set: it signs the tokens (and the API checks them with it)[/red]")
        raise typer.Exit(EXIT_USAGE)
    unknown = sorted(set(scope) - {s.value for s in ALL_SCOPES})
    if unknown:
        err.print(f"[red]--scope: unknown {', '.join(unknown)} (known: read, runs:write)[/red]")
        raise typer.Exit(EXIT_USAGE)
    try:
        lifetime = timedelta(seconds=parse_duration(ttl))
    except ValueError as exc:
        err.print(f"[red]--ttl: {exc}[/red]")
        raise typer.Exit(EXIT_USAGE) from None
    token = issue_token(settings.api_jwt_secret.get_secret_value(), subject=subject, scopes=scope, ttl=lifetime,
                        audience=settings.api_jwt_audience, issuer=settings.api_jwt_issuer)  # fmt: skip
    print(token)  # plain stdout, no rich markup or wrapping: scripts capture it
