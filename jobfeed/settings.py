"""One typed settings object, read from the environment and `.env`, built lazily by get_settings()."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from jobfeed import constants as C
from jobfeed.ops_settings import OpsSettings
from jobfeed.ui_settings import UiSettings

LOCAL_MONGODB_URI = (
    f"mongodb://127.0.0.1:{C.LOCAL_MONGO_PORT}/?directConnection=true&retryWrites=false"
)  # secantusdb presents itself as a replica set; retryable writes slow it down (notes/stack.md)
LOCAL_REDIS_URL = f"redis://127.0.0.1:{C.LOCAL_REDIS_PORT}/0"
LOCAL_PREFECT_API_URL = f"http://127.0.0.1:{C.LOCAL_PREFECT_PORT}/api"


class Settings(OpsSettings, UiSettings):
    """Everything jobfeed reads from its environment. `.env.example` lists every name.

    The operations fields (notifications, metrics, logs) and the dashboard/API fields are declared in
    jobfeed/ops_settings.py and jobfeed/ui_settings.py and inherited, so there is one object:
    get_settings().
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
