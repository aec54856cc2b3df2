"""What tells the XML feed formats apart for the parser: where items sit and what they are called."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jobfeed.models import FeedFormat


@dataclass(frozen=True, slots=True)
class XmlDialect:
    """One XML feed format: the depth of its items, the elements wanted there, its namespace map."""

    format: FeedFormat
    depth: int  # of the item elements, the root being 1
    item: str  # local name of an item
    wanted: frozenset[str]  # items, and the element the feed's title comes from
    namespaces: Mapping[str, str]
    title_of: Callable[[Any], str | None]  # the feed title from the non-item wanted element
