"""Data quality of a feed's bodies: field coverage, shape, and drift from the feed's baseline (pure vocabulary).

Every ImportLog of a parsed body carries the body's `fieldCoverage` (share of items with a non-empty
title, company, ...) and `shape` (format, item element, namespace URIs, share of items carrying each
element name). `detect_drift` compares them with the feed's baseline, its last up to BASELINE_RUNS
earlier runs that parsed a body, and names what moved as `Drift` values; `unreported` keeps the ones the
previous parsed run did not already have, so that a drift is notified once, not on every run it lasts.
Nothing here does I/O: the pipeline counts (jobfeed/pipeline/profile.py), the store reads and writes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from statistics import median
from typing import Any, TypeVar

# The Job fields whose coverage is measured, in this order everywhere (stored names).
COVERAGE_FIELDS: tuple[str, ...] = (
    "title",
    "company",
    "location",
    "publishedAt",
    "descriptionHtml",
    "jobType",
    "category",
    "url",
)
BASELINE_RUNS = 5  # the baseline: a feed's last up to 5 earlier runs that parsed a body (at least 1)
COVERAGE_DROP = 0.2  # coverage_drop: a field's share falls this much (or more) below the baseline median
ELEMENT_PRESENT = 0.5  # element_missing: in >= half of the baseline's items, in < half of the body's
MAX_ELEMENTS = 200  # element names kept per shape (the most frequent): a hostile feed cannot grow a log
MAX_NAMESPACES = 50
MAX_NAME_CHARS = 100
DIGITS = 4  # shares are stored rounded to 4 decimals
_EPSILON = 1e-9  # 0.8 - 0.6 is 0.20000000000000007: compare shares with a little slack

# Stored field names (ImportLog extensions and the shape sub-document).
FIELD_COVERAGE = "fieldCoverage"
SHAPE = "shape"
DRIFT = "drift"


class DriftKind(StrEnum):
    """What moved between a feed's baseline and its latest body (contract: ImportLog.drift[].kind)."""

    COVERAGE_DROP = "coverage_drop"  # field = a COVERAGE_FIELDS name; before = baseline median, now = share
    ELEMENT_MISSING = "element_missing"  # field = element name; before = baseline share, now = share
    FORMAT_CHANGED = "format_changed"  # field = "format"; before / now = FeedFormat values
    ITEM_ELEMENT_CHANGED = "item_element_changed"  # field = "itemElement"; before / now = element names
    NAMESPACE_CHANGED = "namespace_changed"  # field = "namespaces"; before / now = sorted URI lists


DriftValue = float | str | list[str] | None


@dataclass(frozen=True, slots=True)
class Drift:
    """One finding: `kind` of change on `field`, from the baseline's value `before` to the body's `now`."""

    kind: DriftKind
    field: str
    before: DriftValue
    now: DriftValue

    @property
    def key(self) -> tuple[str, str]:
        """What makes two drifts "the same drift" (the values may move while it lasts)."""
        return (self.kind.value, self.field)

    def to_doc(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "field": self.field, "before": self.before, "now": self.now}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Drift:
        return cls(DriftKind(doc["kind"]), str(doc.get("field") or ""), doc.get("before"), doc.get("now"))

    @property
    def text(self) -> str:
        """One line for a notification or a table: `element_missing company: 1.0 → 0.0`."""
        return f"{self.kind.value} {self.field}: {show_value(self.before)} → {show_value(self.now)}"


def show_value(value: DriftValue) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return "—" if value is None else str(value)


def drifts_from(docs: Iterable[Mapping[str, Any]] | None) -> list[Drift]:
    """The Drift values of a stored `drift` list (unknown kinds are skipped: a newer writer's)."""
    found = []
    for doc in docs or []:
        try:
            found.append(Drift.from_doc(doc))
        except (KeyError, ValueError):
            continue
    return found


@dataclass(frozen=True, slots=True)
class Shape:
    """What a body looked like: its format, item element, declared namespaces, and element shares per item.

    `namespaces` is None when the root element could not be read for them (never compared then); a JSON
    body has none. `elements` maps an item's element (or JSON key) name to the share of items that carry it.
    """

    format: str
    item_element: str | None
    namespaces: tuple[str, ...] | None
    items: int
    elements: Mapping[str, float] = field(default_factory=dict)

    def to_doc(self) -> dict[str, Any]:
        # element names become values, never keys: a JSON key may hold "." or start with "$"
        ordered = sorted(self.elements.items(), key=lambda pair: (-pair[1], pair[0]))
        return {
            "format": self.format,
            "itemElement": self.item_element,
            "namespaces": None if self.namespaces is None else list(self.namespaces),
            "items": self.items,
            "elements": [{"name": name, "share": share} for name, share in ordered],
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Shape:
        namespaces = doc.get("namespaces")
        return cls(
            format=str(doc.get("format") or ""),
            item_element=doc.get("itemElement"),
            namespaces=None if namespaces is None else tuple(str(uri) for uri in namespaces),
            items=int(doc.get("items") or 0),
            elements={str(e["name"]): float(e["share"]) for e in doc.get("elements") or [] if "name" in e},
        )


@dataclass(frozen=True, slots=True)
class Profile:
    """A parsed body's shape and field coverage (None when no item's fields were read, e.g. every posting
    of a job board was unchanged and decided from its list entry alone)."""

    shape: Shape
    coverage: Mapping[str, float] | None = None

    def to_fields(self, drift: Sequence[Drift]) -> dict[str, Any]:
        """The ImportLog fields of a parsed body: fieldCoverage, shape and drift."""
        return {
            FIELD_COVERAGE: None if self.coverage is None else dict(self.coverage),
            SHAPE: self.shape.to_doc(),
            DRIFT: [d.to_doc() for d in drift],
        }

    @classmethod
    def from_log(cls, doc: Mapping[str, Any]) -> Profile | None:
        """The profile stored on an ImportLog document; None for a log of no parsed body (or an older one)."""
        shape = doc.get(SHAPE)
        if not isinstance(shape, Mapping):
            return None
        coverage = doc.get(FIELD_COVERAGE)
        return cls(
            Shape.from_doc(shape),
            {str(k): float(v) for k, v in coverage.items()} if isinstance(coverage, Mapping) else None,
        )


def share(count: int, total: int) -> float:
    """count / total rounded to DIGITS (0.0 for no items)."""
    return round(count / total, DIGITS) if total else 0.0


def element_shares(counts: Mapping[str, int], items: int) -> dict[str, float]:
    """Share per element name, for the MAX_ELEMENTS most frequent names (attribute and text keys left out)."""
    names = [(name, n) for name, n in counts.items() if name and name[0] not in "@#" and len(name) <= MAX_NAME_CHARS]
    names.sort(key=lambda pair: (-pair[1], pair[0]))
    return {name: share(n, items) for name, n in names[:MAX_ELEMENTS]}


# --- Drift -------------------------------------------------------------------------------------


def detect_drift(now: Profile, baseline: Sequence[Profile]) -> list[Drift]:
    """What moved between the baseline (newest first, up to BASELINE_RUNS profiles) and this body.

    The baseline's value of a format, item element or namespace set is the one most of its runs had (a
    tie: the older), so a change is reported on the run that brings it and, like a coverage median, for
    as long as it does not hold the baseline's majority. Elements are compared only with baseline runs of
    the same format and item element (a new format renames everything: `format_changed` says it once).
    """
    runs = list(baseline[:BASELINE_RUNS])
    if not runs:
        return []
    found: list[Drift] = []
    shape = now.shape
    settled_format = _settled([run.shape.format for run in runs])
    if settled_format != shape.format:
        found.append(Drift(DriftKind.FORMAT_CHANGED, "format", settled_format, shape.format))
    settled_item = _settled([run.shape.item_element for run in runs])
    if settled_item != shape.item_element:
        found.append(Drift(DriftKind.ITEM_ELEMENT_CHANGED, "itemElement", settled_item, shape.item_element))
    found += _namespace_drift(shape, runs)
    found += _coverage_drift(now, runs)
    found += _element_drift(shape, [run.shape for run in runs])
    return found


def unreported(drift: Sequence[Drift], previous: Sequence[Drift]) -> list[Drift]:
    """The drifts the previous parsed run did not have (by kind and field): those are notified."""
    known = {d.key for d in previous}
    return [d for d in drift if d.key not in known]


T = TypeVar("T")


def _settled(values: Sequence[T]) -> T:
    """The value most runs had; on a tie the one the oldest of them had (values are newest first)."""
    counts = Counter(values)
    top = max(counts.values())
    return next(value for value in reversed(values) if counts[value] == top)


def _namespace_drift(shape: Shape, runs: Sequence[Profile]) -> list[Drift]:
    known = [run.shape.namespaces for run in runs if run.shape.namespaces is not None]
    if shape.namespaces is None or not known:
        return []
    counts = Counter(uri for uris in known for uri in set(uris))
    expected = sorted(uri for uri, n in counts.items() if n * 2 >= len(known))  # in at least half the runs
    now = sorted(set(shape.namespaces))
    if expected == now:
        return []
    return [Drift(DriftKind.NAMESPACE_CHANGED, "namespaces", expected, now)]


def _coverage_drift(now: Profile, runs: Sequence[Profile]) -> list[Drift]:
    if now.coverage is None:
        return []
    found = []
    for name in COVERAGE_FIELDS:
        values = [run.coverage[name] for run in runs if run.coverage is not None and name in run.coverage]
        if not values:
            continue
        before = round(median(values), DIGITS)
        current = now.coverage.get(name, 0.0)
        if before - current >= COVERAGE_DROP - _EPSILON:
            found.append(Drift(DriftKind.COVERAGE_DROP, name, before, current))
    return found


def _element_drift(shape: Shape, runs: Sequence[Shape]) -> list[Drift]:
    alike = [run for run in runs if run.items and (run.format, run.item_element) == (shape.format, shape.item_element)]
    total = sum(run.items for run in alike)
    if not shape.items or not total:
        return []
    pooled: dict[str, float] = {}  # share of all the baseline's items that carry each element
    for run in alike:
        for name, value in run.elements.items():
            pooled[name] = pooled.get(name, 0.0) + value * run.items
    found = []
    for name in sorted(pooled):
        before = round(pooled[name] / total, DIGITS)
        current = shape.elements.get(name, 0.0)
        if before >= ELEMENT_PRESENT - _EPSILON and current < ELEMENT_PRESENT - _EPSILON:
            found.append(Drift(DriftKind.ELEMENT_MISSING, name, before, current))
    return found
