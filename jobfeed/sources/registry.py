"""Which module reads which feed format: FeedFormat -> that module's SourceKind.

Each format lives in one module of jobfeed/sources/ that holds all of it: the root element (or
JSON) it answers to, how its body is parsed, and its extractor (raw item -> RawJob). detect.py asks
this registry which XML roots mean which format; parse and normalize ask it for the stream and the
extractor.

To add a format:
1. a member of `FeedFormat` (jobfeed/models.py);
2. a module jobfeed/sources/<format>.py ending in
   `SOURCE = SourceKind(format=..., roots=("myroot",), stream=..., extract=...)`: an XML format
   declares an `XmlDialect` and passes its `.stream` (see rss.py, atom.py); a JSON format writes its
   own stream and says `json=True` (see jobicy_json.py);
3. one line in `_KINDS` below;
4. a fixture under tests/fixtures/feeds/ or tests/fixtures/sources/<format>/ (noted in a
   PROVENANCE.md): tests/unit/sources/test_registry.py fails until some fixture parses as the new
   format and its items extract.
A job-board API (chosen by a feeds.yaml `kind:`, never detected) also gets a row in
`models.BOARD_ENDPOINTS` and says `detected=False`; a paged one gives `first_request` and
`next_request`, one whose list lacks fields gives `detail_url` (see lever.py, smartrecruiters.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from jobfeed.models import BOARD_ENDPOINTS, FeedFormat
from jobfeed.sources import (
    ashby,
    atom,
    greenhouse,
    indeed_xml,
    jobicy_json,
    json_feed,
    lever,
    personio,
    rdf,
    recruitee,
    rss,
    smartrecruiters,
    workable,
)
from jobfeed.sources.kind import SourceKind

# Order matters only for messages: a refused XML root is told the roots in this order.
_KINDS: tuple[SourceKind, ...] = (
    rss.SOURCE,
    atom.SOURCE,
    rdf.SOURCE,
    indeed_xml.SOURCE,
    jobicy_json.SOURCE,
    json_feed.SOURCE,
    # job-board APIs: chosen by a feeds.yaml `kind:` (models.BOARD_ENDPOINTS), never detected
    greenhouse.SOURCE,
    lever.SOURCE,
    ashby.SOURCE,
    smartrecruiters.SOURCE,
    workable.SOURCE,
    recruitee.SOURCE,
    personio.SOURCE,
)


def _local(name: str) -> str:
    return name[name.rfind(":") + 1 :]


def _check(kinds: tuple[SourceKind, ...]) -> None:
    """Refuse a registry that could not tell two kinds apart (caught at import, not on a live feed)."""
    formats = [kind.format for kind in kinds]
    if len(set(formats)) != len(formats):
        raise ValueError(f"a feed format is registered twice: {formats}")
    roots = [_local(root) for kind in kinds for root in kind.roots]
    if len(set(roots)) != len(roots):
        raise ValueError(f"an XML root is claimed by two kinds: {roots}")
    for kind in kinds:
        if kind.json == bool(kind.roots):
            raise ValueError(f"{kind.format}: a kind is JSON (no roots) or XML (at least one root)")
        if kind.detected == (kind.format in BOARD_ENDPOINTS):
            raise ValueError(f"{kind.format}: a job-board kind (models.BOARD_ENDPOINTS) is chosen, never detected")
        if kind.sniff is not None and not (kind.json and kind.detected):
            raise ValueError(f"{kind.format}: only a detected JSON kind sniffs its body")
    if sum(kind.json and kind.detected and kind.sniff is None for kind in kinds) > 1:
        # "{" or "[" alone cannot say which JSON API a body is: all detected JSON kinds but one sniff.
        raise ValueError("two JSON kinds: detect_feed needs a way to tell their shapes apart first")


_check(_KINDS)

KINDS: Mapping[FeedFormat, SourceKind] = MappingProxyType({kind.format: kind for kind in _KINDS})
_DETECTED = tuple(kind for kind in _KINDS if kind.detected)
_ROOTS: Mapping[str, FeedFormat] = MappingProxyType(
    {_local(root): kind.format for kind in _DETECTED for root in kind.roots}
)
# The detected JSON kind that reads any JSON no sniffing kind claims (jobicy's API).
JSON_KIND: SourceKind | None = next((kind for kind in _DETECTED if kind.json and kind.sniff is None), None)
_SNIFFING: tuple[SourceKind, ...] = tuple(kind for kind in _DETECTED if kind.sniff is not None)


def kind_of(format: FeedFormat) -> SourceKind:
    """The registered kind for a format (KeyError for an unregistered one: a bug, caught by tests)."""
    return KINDS[format]


def format_for_root(name: str) -> FeedFormat | None:
    """The format whose root element this is (by local name: rdf:RDF and RDF:RDF alike), if any."""
    return _ROOTS.get(_local(name))


def format_for_json(head: str) -> FeedFormat | None:
    """The detected JSON kind for a JSON body, from its start: the one whose sniff claims it, else JSON_KIND."""
    for kind in _SNIFFING:
        if kind.sniff is not None and kind.sniff(head):
            return kind.format
    return JSON_KIND.format if JSON_KIND is not None else None


def root_names() -> str:
    """The XML roots detected from a body, for a message: "rss, feed, rdf:RDF or source"."""
    names = [root for kind in _DETECTED for root in kind.roots]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
