"""The hardened expat: a parser that refuses any DOCTYPE before reading a single declaration of it.

So no entity is ever declared or expanded and nothing is read from the network. Every XML feed is parsed
on it (jobfeed/sources/xmlsafe.py drives it; sources/outline.py uses it for OPML).
"""

from __future__ import annotations

from typing import Any
from xml.parsers import expat


class ForbiddenMarkupError(Exception):
    """Raised from inside expat when a document carries a DOCTYPE or an entity declaration."""


def _refuse_doctype(name: str | None, *_args: Any) -> None:
    raise ForbiddenMarkupError(f"DOCTYPE {str(name)[:40]!r}")


def _refuse_entity(name: str | None, *_args: Any) -> None:
    raise ForbiddenMarkupError(f"ENTITY {str(name)[:40]!r}")


def _refuse_external(*_args: Any) -> int:
    raise ForbiddenMarkupError("external entity reference")


class SafeExpat:
    """Stands in for the pyexpat module in `xmltodict.parse(expat=...)`: the same parser, hardened.

    The DOCTYPE handler fires when expat meets `<!DOCTYPE`, before it reads any declaration of the
    internal subset, so entity bombs and external entities are refused, never expanded. It runs on
    the one parser that builds the items (no second pass), sees the document after decoding (so
    UTF-16 is covered) and never fires for "<!DOCTYPE" text inside CDATA or comments.
    """

    ExpatError = expat.ExpatError

    @staticmethod
    def ParserCreate(  # noqa: N802 - the name pyexpat uses, which xmltodict calls
        encoding: str | None = None, namespace_separator: str | None = None
    ) -> Any:
        parser = expat.ParserCreate(encoding, namespace_separator)
        parser.StartDoctypeDeclHandler = _refuse_doctype
        parser.EntityDeclHandler = _refuse_entity
        parser.ExternalEntityRefHandler = _refuse_external
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        return parser
