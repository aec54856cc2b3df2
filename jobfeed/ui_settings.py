"""Settings of the dashboard and the read API (access and display), apart from the pipeline's Settings.

A section of the one settings object: `jobfeed.settings.Settings` inherits these fields, and
get_ui_settings() returns that same object. Kept as its own class so tests can build it alone.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOOPBACK = "127.0.0.1"  # nothing is exposed beyond this machine unless an operator says so


class UiSettings(BaseSettings):
    """DASHBOARD_* and API_* settings (`.env.example` lists them)."""

    # env_ignore_empty: `DASHBOARD_TZ=` or `API_PORT=` copied from an example file mean "default"
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True)

    dashboard_host: str = Field(default=LOOPBACK, description="address `jobfeed dashboard` binds to")
    dashboard_port: int = Field(default=8501, ge=1, le=65535)
    dashboard_password: SecretStr | None = Field(default=None, description="asked before any page when set")
    dashboard_tz: str | None = Field(default=None, description="IANA zone for times; default: the browser's")
    dashboard_refresh_s: float = Field(default=5.0, ge=1, le=300, description="history refresh while runs are running")
    api_host: str = Field(default=LOOPBACK, description="address `jobfeed api` binds to")
    api_port: int = Field(default=8000, ge=1, le=65535)
    api_token: SecretStr | None = Field(default=None, description="bearer token required by /api/* when set")

    @field_validator("dashboard_tz")
    @classmethod
    def _check_tz(cls, value: str | None) -> str | None:
        if value and not is_zone(value):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)")
        return value or None


def is_zone(name: str | None) -> bool:
    """True for an IANA time-zone name this machine knows (Europe/Berlin, UTC, ...)."""
    if not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def get_ui_settings() -> UiSettings:
    """The process-wide settings (the one object, see jobfeed.settings.get_settings)."""
    from jobfeed.settings import get_settings  # late: settings.py imports this module

    return get_settings()


def reset_ui_settings() -> None:
    """Forget the cached settings (tests, after changing the environment)."""
    from jobfeed.settings import reset_settings

    reset_settings()
