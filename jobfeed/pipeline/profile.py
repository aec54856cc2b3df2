"""Count a body's field coverage and shape while it is ingested (jobfeed/quality.py says what they mean).

`ingest_body` hands every raw item of the body to `ProfileTally.item` and every normalizer outcome to
`ProfileTally.outcome`, including items the feed's snapshot finds unchanged (they skip the store, not
this count). The cost per item is one C-level Counter update over the item's keys and a truthiness test
of eight attributes: the first import's budget is tight.
"""

from __future__ import annotations

from collections import Counter
from operator import attrgetter
from typing import Any

from jobfeed.models import FeedFormat, ItemFailure, Job
from jobfeed.quality import COVERAGE_FIELDS, MAX_ELEMENTS, Profile, Shape, element_shares, share
from jobfeed.sources.kind import Extract

NAMES_LIMIT = 20 * MAX_ELEMENTS  # distinct element names counted at once (memory stays flat)
_JOB_FIELDS = attrgetter(*COVERAGE_FIELDS)  # Job's own names are the stored ones
# The same fields as an extractor finds them, for items that failed to become a Job.
_RAW_FIELDS = attrgetter("title", "company", "location", "published", "description_html", "job_type", "category", "url")


class ProfileTally:
    """Element counts of every raw item, and non-empty field counts of every item that was read."""

    __slots__ = ("_extract", "_source", "elements", "items", "present", "read")

    def __init__(self, extract: Extract, source: str) -> None:
        self._extract = extract  # the format's extractor, for items that failed (rare)
        self._source = source
        self.reset()

    def reset(self) -> None:
        """Forget every item (the parser starts over from the top of the body)."""
        self.items = 0
        self.read = 0  # items whose fields were read: their coverage is known
        self.elements: Counter[str] = Counter()
        self.present = [0] * len(COVERAGE_FIELDS)

    def item(self, item: Any) -> None:
        """One raw item as the parser (or a job board's list) handed it over."""
        self.items += 1
        if isinstance(item, dict):
            self.elements.update(item.keys())  # a keys view is no Mapping: Counter counts each key once
            if len(self.elements) > NAMES_LIMIT:  # a hostile body of ever new names: keep the frequent ones
                self.elements = Counter(dict(self.elements.most_common(MAX_ELEMENTS)))

    def outcome(self, outcome: Job | ItemFailure) -> None:
        """What the normalizer made of a raw item: a Job's fields, or those an invalid item still had.

        A duplicate of an earlier item (no raw item kept) is not counted again.
        """
        if isinstance(outcome, Job):
            self._count(_JOB_FIELDS(outcome))
        elif outcome.raw is not None:
            try:
                values = _RAW_FIELDS(self._extract(outcome.raw, self._source))
            except Exception:  # noqa: BLE001 - an item the extractor cannot read has none of the fields
                values = (None,) * len(COVERAGE_FIELDS)
            self._count(tuple(v if not isinstance(v, str) or v.strip() else None for v in values))

    def _count(self, values: tuple[Any, ...]) -> None:
        self.read += 1
        present = self.present
        for index, value in enumerate(values):
            if value:
                present[index] += 1

    def profile(self, format: FeedFormat, item_element: str | None, namespaces: tuple[str, ...] | None) -> Profile:
        """The body's profile; coverage is None when no item's fields were read."""
        shape = Shape(format.value, item_element, namespaces, self.items, element_shares(self.elements, self.items))
        coverage = None
        if self.read:
            coverage = {name: share(n, self.read) for name, n in zip(COVERAGE_FIELDS, self.present, strict=True)}
        return Profile(shape, coverage)
