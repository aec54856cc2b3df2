"""Namespace rules: which prefix each element and attribute key gets in a raw item.

WP Job Manager boards each declare their own URI for `job_listing:*`; matching by local name is how
`job_listing:location` is `location` on every board. Known vocabularies keep a canonical prefix so
that content:encoded, dc:creator and media:content stay distinct.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# --- Namespaces --------------------------------------------------------------------------------

NS_CONTENT = "http://purl.org/rss/1.0/modules/content/"
NS_DC = "http://purl.org/dc/elements/1.1/"
NS_DCTERMS = "http://purl.org/dc/terms/"
NS_MEDIA = "http://search.yahoo.com/mrss/"
NS_MEDIA_NO_SLASH = "http://search.yahoo.com/mrss"  # weworkremotely.com declares it this way
NS_ATOM = "http://www.w3.org/2005/Atom"
NS_ATOM_03 = "http://purl.org/atom/ns#"
NS_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS_RSS_10 = "http://purl.org/rss/1.0/"
NS_RSS_090 = "http://my.netscape.com/rdf/simple/0.9/"

# Prefixes we keep on keys, so that content:encoded, dc:creator, media:content stay distinct.
KNOWN_PREFIXES = frozenset({"content", "dc", "dcterms", "media", "atom", "rdf"})


class LocalNames(dict[str, str]):
    """A namespace map for xmltodict: known URIs get a canonical prefix, any other URI none at all.

    xmltodict looks URIs up with `[]` and falls back to the full URI on KeyError; `__missing__`
    answers "" instead, so an element of an unknown namespace keeps only its local name. That is how
    WP Job Manager's `job_listing:location` is `location` whatever URI each board declares, at the
    cost of one dict lookup per element (no postprocessor call).
    """

    def __missing__(self, key: str) -> str:
        return ""


COMMON_NAMESPACES = {
    NS_CONTENT: "content",
    NS_DC: "dc",
    NS_DCTERMS: "dcterms",
    NS_MEDIA: "media",
    NS_MEDIA_NO_SLASH: "media",
    NS_ATOM: "atom",
    NS_RDF: "rdf",
}


def namespace_map(overrides: Mapping[str, str] | None = None) -> LocalNames:
    """The common namespace map, with per-format overrides (e.g. Atom's own URI to no prefix)."""
    mapping = LocalNames(COMMON_NAMESPACES)
    mapping.update(overrides or {})
    return mapping


def prefix_postprocessor(_path: Any, key: str, value: Any) -> tuple[str, Any] | None:
    """Fallback without namespace processing: keep known prefixes, drop other prefixes and xmlns."""
    if key.startswith("@xmlns"):
        return None
    colon = key.rfind(":")
    if colon == -1:
        return key, value
    at = "@" if key.startswith("@") else ""
    prefix = key[len(at) : colon]
    if prefix in KNOWN_PREFIXES:
        return key, value
    return at + key[colon + 1 :], value
