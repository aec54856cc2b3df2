"""Operations settings (notifications, metrics endpoint, log format), read from the environment and `.env`.

A section of the one settings object: `jobfeed.settings.Settings` inherits these fields, and
get_ops_settings() returns that same object. Kept as its own class so tests can build it alone.
"""

from __future__ import annotations

import logging
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from jobfeed import constants as C


class OpsSettings(BaseSettings):
    """Who hears about failing feeds, when feeds are disabled, where metrics are served, how logs look."""

    # env_ignore_empty: `NOTIFY_WEBHOOK_URL=` in a .env means "not configured", not an empty URL
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True)

    # a Slack/Teams/Mattermost incoming-webhook URL carries its token in the path: a secret
    notify_webhook_url: SecretStr | None = Field(default=None, description="Slack-compatible incoming webhook")
    notify_fail_after: int = Field(default=C.NOTIFY_FAIL_AFTER, ge=1, le=10_000)
    auto_disable_after: int = Field(default=C.AUTO_DISABLE_AFTER, ge=0, le=10_000, description="0 = never")
    notify_timeout_s: float = Field(default=C.NOTIFY_TIMEOUT_S, gt=0, le=120)
    smtp_host: str | None = Field(default=None, description="e-mail notifications are sent when this is set")
    smtp_port: int = Field(default=C.SMTP_PORT, ge=1, le=65_535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str | None = None
    smtp_to: str = Field(default="", description="comma-separated recipients")
    smtp_starttls: bool = Field(default=True, description="upgrade the connection with STARTTLS (required when on)")
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"
    metrics_host: str = Field(default="127.0.0.1", description="0.0.0.0 only inside a container")
    metrics_port: int = Field(default=C.METRICS_PORT, ge=1, le=65_535)

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        level = value.strip().upper()
        if not isinstance(logging.getLevelName(level), int):
            raise ValueError(f"unknown log level {value!r} (DEBUG, INFO, WARNING, ERROR, CRITICAL)")  # noqa: TRY004 - pydantic wants ValueError
        return level

    @model_validator(mode="after")
    def _check_smtp(self) -> Self:
        if self.smtp_host and not (self.smtp_from and self.smtp_recipients):
            raise ValueError("SMTP_HOST is set: SMTP_FROM and SMTP_TO are needed too")
        if self.smtp_password and not self.smtp_user:
            raise ValueError("SMTP_PASSWORD is set without SMTP_USER")
        return self

    @property
    def smtp_recipients(self) -> tuple[str, ...]:
        """SMTP_TO split on commas."""
        return tuple(part.strip() for part in self.smtp_to.split(",") if part.strip())

    @property
    def email_enabled(self) -> bool:
        """True when e-mail notifications are configured (SMTP_HOST set)."""
        return bool(self.smtp_host)


def get_ops_settings() -> OpsSettings:
    """The process-wide settings (the one object, see jobfeed.settings.get_settings)."""
    from jobfeed.settings import get_settings  # late: settings.py imports this module

    return get_settings()


def reset_ops_settings() -> None:
    """Forget the cached settings (tests, CLI after changing the environment)."""
    from jobfeed.settings import reset_settings

    reset_settings()
