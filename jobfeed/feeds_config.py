"""Reading feeds.yaml (and --feed URLs) into validated FeedSpecs, with one clear error line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml
from pydantic import ValidationError

from jobfeed.models import FeedSpec


class ConfigError(Exception):
    """Bad configuration: the CLI prints the message as one line and exits 2."""


def load_feeds_file(path: Path) -> list[FeedSpec]:
    """Every feed listed in a feeds YAML file (enabled or not), validated."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read feeds file {path}: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"feeds file {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict) or not isinstance(data.get("feeds"), list):
        raise ConfigError(f"feeds file {path} must contain a top-level 'feeds:' list")
    specs = []
    for index, entry in enumerate(data["feeds"], start=1):
        if isinstance(entry, str):
            entry = {"url": entry}
        if not isinstance(entry, dict):
            raise ConfigError(f"feeds file {path}: entry {index} must be a mapping with 'url'")
        specs.append(_spec(entry, f"feeds file {path}: entry {index}"))
    _reject_duplicates(specs, str(path))
    return specs


def resolve_feeds(feeds_file: str | Path | None, urls: Sequence[str] | None, default_file: Path) -> list[FeedSpec]:
    """The enabled feeds of one run: explicit URLs win, else the feeds file (default from settings)."""
    if urls:
        specs = [_spec({"url": url}, f"--feed {url!r}") for url in urls]
        _reject_duplicates(specs, "--feed")
        return specs
    specs = load_feeds_file(Path(feeds_file) if feeds_file else default_file)
    enabled = [spec for spec in specs if spec.enabled]
    if not enabled:
        raise ConfigError("no enabled feeds to import")
    return enabled


def _spec(entry: dict, where: str) -> FeedSpec:
    try:
        return FeedSpec.model_validate(entry)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "entry"
        raise ConfigError(f"{where}: {field}: {first['msg']}") from None


def _reject_duplicates(specs: list[FeedSpec], where: str) -> None:
    seen: set[str] = set()
    for spec in specs:
        if spec.public_url in seen:  # stored by public URL: two feeds must not share one
            raise ConfigError(f"{where}: feed {spec.public_url} is listed twice")
        seen.add(spec.public_url)
