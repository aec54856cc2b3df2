"""Feed bodies: the fixture files, and bodies built in a test for the cases no fixture file covers.

One RSS builder serves the parser's unit tests and the flow's reliability tests alike: the parts they vary
(declaration, namespace declarations on <rss>, channel title, byte encoding) are parameters; the rest is a
plain RSS 2.0 channel with the three elements the spec requires.
"""

from __future__ import annotations

from tests.support.paths import FEED_FIXTURES

UTF8_DECL = '<?xml version="1.0" encoding="UTF-8"?>'


def load(name: str) -> bytes:
    """The bytes of the fixture feed tests/fixtures/feeds/<name> (PROVENANCE.md there says where each is from)."""
    return (FEED_FIXTURES / name).read_bytes()


def rss(items: str, *, title: str = "Jobs", decl: str = UTF8_DECL, ns: str = "", encoding: str = "utf-8") -> bytes:
    """An RSS 2.0 document around the given <item> markup (or any other channel markup).

    decl: the XML declaration ("" for none); ns: namespace declarations for the <rss> element;
    encoding: how the text becomes bytes, which need not match what `decl` claims (a hostile-feed case).
    """
    root = f'<rss version="2.0" {ns}>' if ns else '<rss version="2.0">'
    return (
        f"{decl}\n{root}<channel><title>{title}</title><link>https://jobs.example/</link>"
        f"<description>d</description>\n{items}\n</channel></rss>\n"
    ).encode(encoding)


def item(guid: str, title: str = "Engineer", *, description: str = "Build things.",
         pub: str = "Mon, 03 Nov 2025 10:00:00 +0000", link: str | None = None) -> str:  # fmt: skip
    """One RSS <item>; pass guid="" for an item without identity."""
    guid_el = f'<guid isPermaLink="false">{guid}</guid>' if guid else ""
    link_el = f"<link>{link}</link>" if link else ""
    return (
        f"<item><title>{title}</title>{link_el}{guid_el}<pubDate>{pub}</pubDate>"
        f"<description>{description}</description></item>"
    )


def many_items_feed(prefix: str, count: int, *, title: str = "Engineer") -> bytes:
    """A feed of `count` distinct jobs with guids prefix-0 .. prefix-(count-1)."""
    return rss("\n".join(item(f"{prefix}-{i}", f"{title} {i}") for i in range(count)))
