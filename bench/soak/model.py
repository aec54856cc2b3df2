"""The soak's model of what the feed server serves: feeds whose items are added, edited, reverted,
removed and re-added between runs, rendered to RSS deterministically.

An item's content is a pure function of (feed, item id, revision), so the oracle can say for any
version of a feed exactly which jobs it lists and with what content, without keeping bodies around.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

BASE_DATE = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # in the past: the normalizer keeps it


@dataclass(frozen=True)
class Version:
    """One version of a feed: its items (id -> revision), the body and its validators."""

    feed: str
    number: int
    items: dict[int, int]
    body: bytes
    etag: str
    modified: datetime

    def guid(self, item: int) -> str:
        return guid(self.feed, item)


def guid(feed: str, item: int) -> str:
    """An item's identity; unique across feeds (every feed is on the same host, i.e. one `source`)."""
    return f"soak-{feed}-{item}"


def title(feed: str, item: int, rev: int) -> str:
    return f"Soak {feed} job {item} rev {rev}"


def _item_xml(feed: str, item: int, rev: int) -> str:
    words = hashlib.sha1(f"{feed}:{item}:{rev}".encode()).hexdigest()
    return (
        f"<item><title>{escape(title(feed, item, rev))}</title>"
        f"<link>http://127.0.0.1/jobs/{feed}/{item}</link>"
        f'<guid isPermaLink="false">{guid(feed, item)}</guid>'
        f"<pubDate>{format_datetime(BASE_DATE - timedelta(minutes=item))}</pubDate>"
        f"<description><![CDATA[<p>Revision {rev} of job {item}: {words}</p>]]></description>"
        "</item>\n"
    )


def render(feed: str, items: dict[int, int]) -> bytes:
    """The RSS body of a feed listing `items` (sorted by id: the same items give the same bytes)."""
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>Soak feed {feed}</title><link>http://127.0.0.1/{feed}</link><description>soak</description>\n"
    )
    body = "".join(_item_xml(feed, item, rev) for item, rev in sorted(items.items()))
    return (head + body + "</channel></rss>\n").encode()


@dataclass
class FeedModel:
    """One feed's current items and its history of versions."""

    name: str
    items: dict[int, int]
    next_id: int
    removed: set[int] = field(default_factory=set)
    versions: list[Version] = field(default_factory=list)

    @property
    def current(self) -> Version:
        return self.versions[-1]

    def publish(self, now: datetime) -> Version:
        """Make the current items a new version (called when they changed)."""
        body = render(self.name, self.items)
        etag = '"' + hashlib.sha256(body).hexdigest()[:24] + '"'
        version = Version(self.name, len(self.versions), dict(self.items), body, etag, now)
        self.versions.append(version)
        return version

    def mutate(self, rng: random.Random, rates: Rates) -> dict[str, int]:
        """Change the feed the way a board does between two runs; returns what was done by kind."""
        done = dict.fromkeys(("added", "edited", "reverted", "removed", "readded"), 0)
        if rng.random() < rates.unchanged:
            return done
        for _ in range(rng.randint(0, rates.max_each)):
            self.items[self.next_id] = 0
            self.next_id += 1
            done["added"] += 1
        ids = sorted(self.items)
        for item in rng.sample(ids, min(len(ids), rng.randint(0, rates.max_each))):
            if self.items[item] > 0 and rng.random() < rates.revert:
                self.items[item] -= 1  # an edit taken back: the content of an earlier revision again
                done["reverted"] += 1
            else:
                self.items[item] += 1
                done["edited"] += 1
        ids = sorted(self.items)
        for item in rng.sample(ids, min(len(ids) - rates.min_items, rng.randint(0, rates.max_each))):
            del self.items[item]
            self.removed.add(item)
            done["removed"] += 1
        back = sorted(self.removed)
        for item in rng.sample(back, min(len(back), rng.randint(0, 1))):
            self.items[item] = 0  # listed again (its job was closed or is about to be): reopened
            self.removed.discard(item)
            done["readded"] += 1
        return done


@dataclass(frozen=True)
class Rates:
    """How much a feed changes between runs."""

    unchanged: float = 0.35  # share of feeds left as they were (a 304 next time)
    max_each: int = 3  # up to this many adds, edits and removals per changed feed
    revert: float = 0.25  # share of edits that take an earlier edit back
    min_items: int = 5


class Board:
    """Every feed of the soak: created from a seed, mutated between runs, one version per change."""

    def __init__(self, feeds: int, items: tuple[int, int], seed: int, rates: Rates = Rates()) -> None:
        self.rng = random.Random(seed)
        self.rates = rates
        self.feeds: dict[str, FeedModel] = {}
        self.stormed: dict[str, list[int]] = {}  # items the last storm edited, by feed
        now = datetime.now(UTC)
        for index in range(feeds):
            name = f"f{index:02d}"
            count = self.rng.randint(*items)
            model = FeedModel(name, dict.fromkeys(range(count), 0), count)
            model.publish(now)
            self.feeds[name] = model

    def mutate(self) -> dict[str, int]:
        """One round of changes over every feed; returns the totals by kind."""
        totals: dict[str, int] = {}
        now = datetime.now(UTC)
        for model in self.feeds.values():
            done = model.mutate(self.rng, self.rates)
            if any(done.values()) and model.items != model.current.items:
                model.publish(now)
            for kind, n in done.items():
                totals[kind] = totals.get(kind, 0) + n
        return totals

    def storm(self, fraction: float) -> int:
        """Edit `fraction` of every feed's items at once (a board's mass update); returns how many."""
        now = datetime.now(UTC)
        for model in self.feeds.values():
            ids = sorted(model.items)
            self.stormed[model.name] = self.rng.sample(ids, int(len(ids) * fraction))
            for item in self.stormed[model.name]:
                model.items[item] += 1
            model.publish(now)
        return sum(len(items) for items in self.stormed.values())

    def after_storm(self, fraction: float) -> dict[str, int]:
        """The next round after a storm: the board edits some stormed items again and takes others back
        (the writes of the storm may have failed: their dead letters must not win over these)."""
        done = {"edited again": 0, "taken back": 0}
        now = datetime.now(UTC)
        for feed, items in self.stormed.items():
            model = self.feeds[feed]
            for item in items:
                if item not in model.items or self.rng.random() >= 2 * fraction:
                    continue
                again = self.rng.random() < 0.5
                model.items[item] += 1 if again else -1
                done["edited again" if again else "taken back"] += 1
            model.publish(now)
        self.stormed.clear()
        return done

    def version(self, feed: str, etag: str) -> Version | None:
        """The version of `feed` with this ETag (what a 200 carried)."""
        return next((v for v in reversed(self.feeds[feed].versions) if v.etag == etag), None)
