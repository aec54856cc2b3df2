"""Settings of the dashboard and the read API (access and display), apart from the pipeline's Settings.

Kept in their own class so the lead can merge them into `jobfeed.settings.Settings` later without the
pipeline reading secrets it never needs. Same rules: environment wins over `.env`, built lazily.
"""

from __future__ import annotations

from functools import lru_cache
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


@lru_cache(maxsize=1)
def get_ui_settings() -> UiSettings:
    """The process-wide UI settings, built on first use (tests set the environment first)."""
    return UiSettings()


def reset_ui_settings() -> None:
    """Forget the cached UI settings (tests, after changing the environment)."""
    get_ui_settings.cache_clear()
