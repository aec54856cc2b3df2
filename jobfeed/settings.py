"""One typed settings object, read from the environment and `.env`, built lazily by get_settings().

Nothing reads settings at import time: every caller asks get_settings() when it runs, so tests and
the CLI can set the environment first.
"""

from __future__ import annotations

import ipaddress
import logging
from functools import lru_cache
from pathlib import Path
from typing import Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from jobfeed import constants as C

LOCAL_MONGODB_URI = f"mongodb://127.0.0.1:{C.LOCAL_MONGO_PORT}/?directConnection=true&retryWrites=false"  # secantusdb presents itself as a replica set; retryable writes slow it down (notes/stack.md)
LOCAL_REDIS_URL = f"redis://127.0.0.1:{C.LOCAL_REDIS_PORT}/0"
LOCAL_PREFECT_API_URL = f"http://127.0.0.1:{C.LOCAL_PREFECT_PORT}/api"


LOOPBACK = "127.0.0.1"  # nothing is exposed beyond this machine unless an operator says so


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
    # one message per import run with its totals and failing feeds, through the channels above
    notify_run_summary: Literal["off", "failures", "always"] = Field(
        default="failures", description="run-summary message: never, when a feed or follow-up failed, every run"
    )
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"
    metrics_host: str = Field(default="127.0.0.1", description="0.0.0.0 only inside a container")
    metrics_port: int = Field(default=C.METRICS_PORT, ge=1, le=65_535)

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        level = value.strip().upper()
        if not isinstance(logging.getLevelName(level), int):
            raise ValueError(f"unknown log level {value!r} (DEBUG, INFO, WARNING, ERROR, CRITICAL)")
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

    @property
    def has_notify_channel(self) -> bool:
        """True when a webhook or e-mail is configured: someone can hear a notification."""
        return self.notify_webhook_url is not None or self.email_enabled


class UiSettings(BaseSettings):
    """DASHBOARD_* and API_* settings (`.env.example` lists them)."""

    # env_ignore_empty: `DASHBOARD_TZ=` or `API_PORT=` copied from an example file mean "default"
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True)

    dashboard_host: str = Field(default=LOOPBACK, description="address `jobfeed dashboard` binds to")
    dashboard_port: int = Field(default=8501, ge=1, le=65535)
    dashboard_password: SecretStr | None = Field(default=None, description="asked before any page when set")
    dashboard_tz: str | None = Field(default=None, description="IANA zone for times; default: the browser's")
    dashboard_refresh_s: float = Field(default=5.0, ge=1, le=300, description="history refresh while runs are running")
    dashboard_url: str | None = Field(
        default=None, description="public base URL of the dashboard, for links from Prefect"
    )
    api_host: str = Field(default=LOOPBACK, description="address `jobfeed api` binds to")
    api_port: int = Field(default=8000, ge=1, le=65535)
    api_token: SecretStr | None = Field(default=None, description="bearer token required by /api/* when set")
    # JWT bearer tokens with scopes (`read`, `runs:write`), jobfeed/api/auth.py: HS256 with the shared secret
    # (`jobfeed token create`), RS256/ES256 with an identity provider's public key (PEM text or a file path)
    api_jwt_secret: SecretStr | None = Field(default=None, description="HS256 key of `jobfeed token create`")
    api_jwt_public_key: str | None = Field(default=None, description="PEM (or its path) for RS256/ES256 tokens")
    api_jwt_audience: str | None = Field(default=None, description="required `aud` of JWTs, when set")
    api_jwt_issuer: str | None = Field(default=None, description="required `iss` of JWTs, when set")

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


class Settings(OpsSettings, UiSettings):
    """Everything jobfeed reads from its environment. `.env.example` lists every name.

    The operations fields (notifications, metrics, logs) and the dashboard/API fields are declared
    above as sections and inherited, so there is one object: get_settings(). The sections stay
    classes of their own so that tests can build one alone.
    """

    # env_ignore_empty: `FETCH_ALLOW_HOSTS=` or `PREFECT_API_URL=` copied from .env.example mean "default"
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True)

    mongodb_uri: str = Field(default=LOCAL_MONGODB_URI, description="MongoDB connection string")
    mongodb_db: str = Field(default="jobfeed", min_length=1)
    redis_url: str = Field(default=LOCAL_REDIS_URL)
    feeds_file: Path = Field(default=Path("feeds.yaml"))
    batch_size: int = Field(default=C.BATCH_SIZE, ge=1, le=10_000)
    max_concurrency: int = Field(default=C.MAX_CONCURRENCY, ge=1, le=64)
    http_timeout_s: float = Field(default=C.HTTP_TOTAL_TIMEOUT_S, gt=0, le=600)
    max_feed_bytes: int = Field(default=C.MAX_FEED_BYTES, ge=1024)
    fetch_allow_hosts: str = Field(
        default="", description="comma-separated hosts/CIDRs allowed although loopback/private"
    )
    lock_ttl_s: int = Field(
        default=C.LOCK_TTL_S, ge=5, le=24 * 3600, description="how long a feed lock holds without release"
    )
    close_after_misses: int = Field(
        default=C.CLOSE_AFTER_MISSES, ge=1, le=1000, description="consecutive snapshots a job may miss before it closes"
    )
    retry_backoff_s: float = Field(
        default=C.RETRY_BACKOFF_S, ge=0, le=60, description="first retry delay; doubles each retry"
    )
    work_pool: str = Field(default="local-process", min_length=1, description="Prefect work pool of the deployment")
    schedule_timezone: str = Field(default="UTC", description="time zone of the hourly cron schedule")
    prefect_api_url: str | None = Field(default=None, description="Prefect's own; None = local stack or ephemeral")
    prefect_ui_url: str | None = Field(default=None, description="links from the dashboard to flow runs")
    state_dir: Path = Field(default=Path(".jobfeed"), alias="JOBFEED_STATE_DIR")
    spool_dir: Path | None = Field(
        default=None, description="working files of running imports (feed bodies, job batches); None = system temp"
    )
    # set: every import run also writes an export of the jobs there (a follow-up, docs/architecture.md)
    export_dir: Path | None = Field(
        default=None, description="`jobfeed export` without --out writes here (unset: the current directory)"
    )
    export_format: Literal["parquet", "csv", "jsonl"] = Field(default="parquet", description="of the run's export")
    # the raw feed archive (docs/provenance.md): every parsed body, gzip-compressed, by its SHA-256
    archive: Literal["gridfs", "dir", "off"] = Field(
        default="gridfs",
        description="where parsed feed bodies are kept: GridFS bucket feed_bodies, ARCHIVE_DIR, or not",
    )
    archive_dir: Path | None = Field(default=None, description="ARCHIVE=dir: the directory; None = <state dir>/archive")
    archive_keep_days: int = Field(
        default=C.ARCHIVE_KEEP_DAYS, ge=0, le=36_500, description="age after which unused bodies are pruned"
    )

    @field_validator("fetch_allow_hosts")
    @classmethod
    def _check_allow_hosts(cls, value: str) -> str:
        for entry in _split_csv(value):
            if "/" in entry:
                ipaddress.ip_network(entry, strict=False)  # raises ValueError -> a clear settings error
        return value

    @field_validator("schedule_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo

        ZoneInfo(value)  # raises for an unknown zone -> a clear settings error
        return value

    @property
    def archive_path(self) -> Path:
        """ARCHIVE_DIR, else `archive` in the local state directory (JOBFEED_STATE_DIR)."""
        return self.archive_dir or self.state_dir / "archive"

    @property
    def allow_hosts(self) -> tuple[str, ...]:
        """FETCH_ALLOW_HOSTS as a tuple of lower-cased hosts and CIDRs."""
        return tuple(entry.lower() for entry in _split_csv(self.fetch_allow_hosts))


def _split_csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built on first use (so tests and the CLI can set the env first)."""
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests and the CLI call this after changing the environment)."""
    get_settings.cache_clear()
