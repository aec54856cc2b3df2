"""Read xmltodict values safely: an element may be a str, a dict with attributes, a list or None.

xmltodict returns `'X'` for `<guid>X</guid>` but `{'@isPermaLink': 'false', '#text': 'X'}` once the
element has an attribute, and a list once the element repeats. Every field read goes through these
helpers so neither shape change can turn a job's identity into a dict or drop it.
"""

from __future__ import annotations

from typing import Any

TEXT_KEY = "#text"


def text_of(value: Any) -> str | None:
    """The text of an element value: the str, a dict's #text, or the first non-empty list entry."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        inner = value.get(TEXT_KEY)
        return inner if isinstance(inner, str) else None
    if isinstance(value, list):
        for entry in value:
            text = text_of(entry)
            if text and not text.isspace():
                return text
        return None
    if isinstance(value, bool):  # JSON true/false is not a useful text
        return None
    if isinstance(value, (int, float)):
        return str(value)
    return None


def texts_of(value: Any) -> list[str]:
    """Every non-empty text of a value that may repeat (e.g. several <category> elements)."""
    if isinstance(value, list):
        found = []
        for entry in value:
            text = text_of(entry)
            if text and not text.isspace():
                found.append(text)
        return found
    text = text_of(value)
    return [text] if text and not text.isspace() else []


def as_item(value: Any) -> dict[str, Any]:
    """An item as a dict: an empty <item/> is {} and a text-only one is {'#text': ...}."""
    if isinstance(value, dict):
        return value
    if value is None:
        return {}
    return {TEXT_KEY: value}
