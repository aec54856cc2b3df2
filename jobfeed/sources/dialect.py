"""What tells the XML feed formats apart for the parser, and the one streaming loop they all share."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jobfeed.sources.kind import OnItem
from jobfeed.sources.values import as_item
from jobfeed.sources.xmlsafe import Source, stream_elements


@dataclass(frozen=True, slots=True)
class XmlDialect:
    """One XML feed format: the depth of its items, the elements wanted there, its namespace map."""

    depth: int  # of the item elements, the root being 1
    item: str  # local name of an item
    wanted: frozenset[str]  # items, and the element the feed's title comes from
    namespaces: Mapping[str, str]
    title_of: Callable[[Any], str | None]  # the feed title from the non-item wanted element

    def stream(self, source: Source, codec: str, on_item: OnItem, on_restart: Callable[[], None]) -> str | None:
        """Hand each item to on_item in document order (a SourceKind's `stream`); returns the feed's title."""
        title: str | None = None
        seen_title = False

        def on_element(name: str, value: Any) -> None:
            nonlocal title, seen_title
            if name == self.item:
                on_item(as_item(value))
            elif not seen_title:
                title, seen_title = self.title_of(value), True

        def restart() -> None:
            nonlocal title, seen_title
            title, seen_title = None, False
            on_restart()

        stream_elements(
            source,
            codec,
            depth=self.depth,
            wanted=self.wanted,
            namespaces=self.namespaces,
            on_element=on_element,
            on_restart=restart,
        )
        return title
