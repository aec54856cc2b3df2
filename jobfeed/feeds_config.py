"""Reading feeds.yaml (and --feed URLs) into validated FeedSpecs, with one clear error line."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from jobfeed.models import FeedSpec, format_duration, parse_duration

HOURLY = "hourly"  # the deployment of feeds without a schedule (and of `interval: 60m`), contract name
HOURLY_CRON = "0 * * * *"


@dataclass(frozen=True)
class ScheduleGroup:
    """One deployment `import-feeds/<name>`: its schedule (a cron or an interval) and the feeds it imports."""

    name: str
    cron: str | None
    interval_s: int | None
    feeds: tuple[FeedSpec, ...]


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
        raise ConfigError(f"feeds file {path} is not valid YAML{_yaml_where(exc)}") from None
    if not isinstance(data, dict) or not isinstance(data.get("feeds"), list):
        raise ConfigError(f"feeds file {path} must contain a top-level 'feeds:' list")
    specs = []
    for index, raw in enumerate(data["feeds"], start=1):
        entry = {"url": raw} if isinstance(raw, str) else raw  # a bare URL is short for {url: ...}
        if not isinstance(entry, dict):
            raise ConfigError(f"feeds file {path}: entry {index} must be a mapping with 'url' or 'kind'")
        specs.append(_spec(entry, f"feeds file {path}: entry {index}"))
    _reject_duplicates(specs, str(path))
    return specs


def _yaml_where(exc: yaml.YAMLError) -> str:
    """` at line L, column C: <problem> (<context> from line L2)` of a YAML error (PyYAML counts from 0)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is None:
        return f": {problem}"
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    started = f" ({context} that starts at line {context_mark.line + 1})" if context and context_mark else ""
    return f" at line {mark.line + 1}, column {mark.column + 1}: {problem}{started}"


def resolve_feeds(feeds_file: str | Path | None, urls: Sequence[str] | None, default_file: Path) -> list[FeedSpec]:
    """The enabled feeds of one run: explicit feeds win, else the feeds file (default from settings).

    An explicit entry that names a feed of the file (its URL, public URL or name) is that feed, with its
    name, kind and real URL: deployments and the runs API pass public URLs, which hold no secrets. Any
    other entry is a bare feed URL.
    """
    path = Path(feeds_file) if feeds_file else default_file
    if urls:
        known = feed_index(_listed_or_none(path))
        specs = [known.get(url.strip()) or _spec({"url": url}, f"--feed {url!r}") for url in urls]
        _reject_duplicates(specs, "--feed")
        return specs
    specs = load_feeds_file(path)
    enabled = [spec for spec in specs if spec.enabled]
    if not enabled:
        raise ConfigError("no enabled feeds to import")
    return enabled


def feed_index(specs: Iterable[FeedSpec]) -> dict[str, FeedSpec]:
    """Each feed under its URL, public URL and name (a name shared by two feeds names neither)."""
    specs = list(specs)
    names = Counter(spec.name for spec in specs)
    index: dict[str, FeedSpec] = {}
    for spec in specs:
        index.update({spec.url: spec, spec.public_url: spec})
        if names[spec.name] == 1:
            index.setdefault(spec.name, spec)
    return index


def _listed_or_none(path: Path) -> list[FeedSpec]:
    """The feeds of the file, or none when it is missing or broken: explicit URLs must not depend on it."""
    try:
        return load_feeds_file(path)
    except ConfigError:
        return []


def _spec(entry: dict[str, Any], where: str) -> FeedSpec:
    try:
        return FeedSpec.model_validate(entry)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = first["msg"].removeprefix("Value error, ")  # a check of the whole entry (kind, board key)
        field = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{where}: {field}: {message}" if field else f"{where}: {message}") from None


def _reject_duplicates(specs: list[FeedSpec], where: str) -> None:
    seen: set[str] = set()
    for spec in specs:
        if spec.public_url in seen:  # stored by public URL: two feeds must not share one
            raise ConfigError(f"{where}: feed {spec.public_url} is listed twice")
        seen.add(spec.public_url)


def schedule_name(spec: FeedSpec) -> str:
    """The deployment a feed belongs to: `hourly`, `every-<n><unit>` or `cron-<8 hex of sha1(expression)>`."""
    if spec.interval is not None:
        seconds = parse_duration(spec.interval)
        return HOURLY if seconds == 3600 else f"every-{format_duration(seconds)}"
    if spec.schedule is not None and spec.schedule != HOURLY_CRON:  # validated: normalized already
        return "cron-" + hashlib.sha1(spec.schedule.encode()).hexdigest()[:8]
    return HOURLY


def schedule_groups(specs: Iterable[FeedSpec]) -> list[ScheduleGroup]:
    """One group per distinct schedule of the enabled feeds; `hourly` always comes first (maybe empty)."""
    members: dict[str, list[FeedSpec]] = {HOURLY: []}
    first: dict[str, FeedSpec] = {}
    for spec in specs:
        if spec.enabled:
            name = schedule_name(spec)
            members.setdefault(name, []).append(spec)
            first.setdefault(name, spec)
    groups = []
    for name, feeds in members.items():
        model = first.get(name)
        if name == HOURLY or model is None:
            cron, interval_s = HOURLY_CRON, None
        elif model.interval is not None:
            cron, interval_s = None, parse_duration(model.interval)
        else:
            cron, interval_s = model.schedule, None
        groups.append(ScheduleGroup(name, cron, interval_s, tuple(feeds)))
    return groups


def select_feeds(path: Path, wanted: Sequence[str]) -> tuple[list[FeedSpec], list[int]]:
    """The feeds of the file named (by name, URL or public URL) in `wanted`, and the positions of the
    entries that name none (the runs API and `run-now --feed` refuse those)."""
    index = feed_index(load_feeds_file(path))
    found, unknown = [], []
    for position, entry in enumerate(wanted):
        spec = index.get(entry.strip())
        if spec is None:
            unknown.append(position)
        elif spec not in found:
            found.append(spec)
    return found, unknown
