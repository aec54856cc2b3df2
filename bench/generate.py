"""Deterministic synthetic job feeds in WP Job Manager's RSS 2.0 shape, written item by item to disk.

The same (seed, feed index, item index) always gives the same bytes, so a `changed_fraction` variant
differs from its base only in the items it picks (title + " (updated)", one sentence more).
Nothing holds a whole feed in memory: 200,000 items (~900 MB) stream to the file.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import TextIO
from xml.sax.saxutils import escape

HOST = "bench.example"
ID_STRIDE = 10_000_000  # guid p = stride * (feed + 1) + item: unique across the feeds of one run
BASE_DATE = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)  # fixed and in the past: parse_date keeps it
WRITE_EVERY = 256  # items per file write: few syscalls, bounded memory
PHI = 0.6180339887498949  # Weyl sequence p * phi mod 1 is equidistributed: an exact-ish fraction changes
REMOVED_SEED_OFFSET = 7  # removed items are picked by another Weyl offset than changed ones
UPDATE_SENTENCE = "Update: this role now includes a yearly learning budget and a home-office stipend."

_SENIORITY = ("Senior", "Staff", "Principal", "Lead", "Junior", "Mid-level", "Head of", "Associate")
_ROLES = ("Backend Engineer", "Frontend Developer", "Data Engineer", "Product Manager", "Product Designer",
          "Site Reliability Engineer", "Machine Learning Engineer", "Customer Success Manager",
          "Technical Writer", "Security Engineer", "Account Executive", "QA Automation Engineer")  # fmt: skip
_TEAMS = ("Payments Platform", "Growth & Activation", "Core Infrastructure", "Search Relevance",
          "Mobile Experience", "Developer Tooling", "Enterprise Integrations", "Risk & Compliance")  # fmt: skip
_SYLLABLES = ("lu", "ma", "no", "ve", "ta", "ri", "so", "pix", "flo", "zen", "qui", "dra", "bel", "cor")
_SUFFIXES = ("Labs", "Health", "Systems", "AI", "Cloud", "Works", "Analytics", "Travel", "Pay", "Studio")
_LOCATIONS = ("Various US States", "Canada", "United States, Canada", "Europe", "UK", "Anywhere",
              "Germany", "LATAM", "EMEA", "Worldwide", "Australia &amp; New Zealand", "Portugal")  # fmt: skip
_JOB_TYPES = ("Full Time", "Part Time", "Contract", "Freelance", "Internship")
_CATEGORIES = ("Engineering", "Product", "Design", "Marketing", "Sales", "Support", "Data", "Operations")
_HEADINGS = ("What you will do", "What would your day-to-day look like", "An ideal candidate has",
             "Perks and benefits of working with us", "About the team", "How we work")  # fmt: skip
_SUBJECTS = ("You", "Our team", "The platform group", "Every engineer", "This role", "Our customers",
             "The company", "Hiring managers", "Partners", "We")  # fmt: skip
_PLURAL = frozenset({"You", "We", "Partners", "Our customers", "Hiring managers"})
_VERBS = ("own", "design", "build", "ship", "measure", "improve", "scale", "document", "review", "support")
_OBJECTS = ("the roadmap for conversational agents", "reliable data pipelines across regions",
            "interfaces partners embed in their apps", "quality bars with the evaluation team",
            "observability for every critical service", "onboarding flows that convert",
            "pricing experiments at global scale", "secure defaults for internal tooling",
            "customer-facing dashboards in real time", "the migration to an event-driven core")  # fmt: skip
_TAILS = ("with a small, senior team", "in close partnership with design", "while keeping costs in check",
          "and iterate from production data", "so partners can launch faster", "across chat and voice",
          "without waiting on another team", "from discovery to launch")  # fmt: skip


@dataclass(frozen=True)
class FeedSpec:
    """What one generated feed contains."""

    items: int
    seed: int = 42
    feed_index: int = 0
    changed_fraction: float = 0.0
    build_tag: int = 0  # changes lastBuildDate only: same items, different bytes (no 304, same hashes)
    removed_fraction: float = 0.0  # items left out of the feed (picked like changed ones, with another seed)


@dataclass(frozen=True)
class FeedInfo:
    """What was written: file name, item count, how many items carry the change, size in bytes."""

    name: str
    items: int
    changed: int
    bytes: int
    removed: int = 0


def is_changed(p: int, seed: int, fraction: float) -> bool:
    """Whether item p carries the change in a variant with this fraction (stateless, deterministic)."""
    return fraction > 0 and (p * PHI + seed * 0.137) % 1.0 < fraction


def _company(rng: random.Random) -> str:
    name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
    return f"{name} {rng.choice(_SUFFIXES)}"


def _sentence(rng: random.Random) -> str:
    subject = rng.choice(_SUBJECTS)
    verb = rng.choice(_VERBS)
    if subject not in _PLURAL:
        verb += "s"
    return (
        f"{subject} {verb} {rng.choice(_OBJECTS)} {rng.choice(_TAILS)}; that&#8217;s {rng.randint(2, 95)}% of the job."
    )


def _paragraph(rng: random.Random, sentences: int) -> str:
    return "<p>" + " ".join(_sentence(rng) for _ in range(sentences)) + "</p>"


def _content_html(rng: random.Random, changed: bool) -> str:
    """~3.5 KB of multi-line HTML like a WP Job Manager description (paragraphs, lists, entities)."""
    parts = [_paragraph(rng, 4)]
    for heading in rng.sample(_HEADINGS, 3):
        parts.append(f"<p><strong>{heading}</strong></p>")
        parts.append("<ul>\n" + "\n".join(f"<li>{_sentence(rng)}</li>" for _ in range(5)) + "\n</ul>")
    parts.append(_paragraph(rng, 3) + "<br />\n#LI-Remote")
    if changed:
        parts.append(f"<p>{UPDATE_SENTENCE}</p>")
    return "\n".join(parts) + "\n"


def _item(p: int, index: int, spec: FeedSpec) -> str:
    rng = random.Random(spec.seed * 1_000_003 + p)  # per item: a changed neighbour never shifts it
    changed = is_changed(p, spec.seed, spec.changed_fraction)
    title = f"{rng.choice(_SENIORITY)} {rng.choice(_ROLES)}, {rng.choice(_TEAMS)} #{p % 100_000}"
    company, location = _company(rng), rng.choice(_LOCATIONS)
    job_type, category = rng.choice(_JOB_TYPES), rng.choice(_CATEGORIES)
    published = format_datetime(BASE_DATE - timedelta(minutes=7 * index + rng.randint(0, 6)))
    content = _content_html(rng, changed)
    excerpt = content.replace("<p>", "").replace("</p>", " ")[:300].rsplit(" ", 1)[0]
    excerpt = excerpt.split("<")[0].rsplit("&", 1)[0]  # a cut entity or tag would be junk in an excerpt
    slug = "-".join(title.lower().replace(",", "").replace("&", "and").replace("#", "").split())  # kept on edits
    if changed:
        title += " (updated)"
        excerpt = f"{UPDATE_SENTENCE} {excerpt}"
    return (
        f"\t<item>\n\t\t<title>{escape(title)}</title>\n"
        f"\t\t<link>https://{HOST}/job/{slug}/</link>\n"
        f"\t\t<dc:creator><![CDATA[{company}<br>\u26b2&nbsp;{location}]]></dc:creator>\n"
        f"\t\t<pubDate>{published}</pubDate>\n"
        f'\t\t<guid isPermaLink="false">https://{HOST}/?post_type=job_listing&amp;p={p}</guid>\n'
        f"\t\t<description><![CDATA[{excerpt}]]></description>\n"
        f"\t\t<content:encoded><![CDATA[{content}]]></content:encoded>\n"
        f"\t\t<job_listing:location><![CDATA[{location}]]></job_listing:location>\n"
        f"\t\t<job_listing:job_type><![CDATA[{job_type}]]></job_listing:job_type>\n"
        f"\t\t<job_listing:job_category><![CDATA[{category}]]></job_listing:job_category>\n"
        f"\t\t<job_listing:company><![CDATA[{company}]]></job_listing:company>\n"
        "\t</item>\n"
    )


def _head(spec: FeedSpec) -> str:
    built = format_datetime(BASE_DATE + timedelta(hours=spec.build_tag))
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"\n'
        '\txmlns:content="http://purl.org/rss/1.0/modules/content/"\n'
        '\txmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        '\txmlns:atom="http://www.w3.org/2005/Atom"\n'
        f'\txmlns:job_listing="https://{HOST}"\n>\n<channel>\n'
        f"\t<title>Jobs Archive | Bench Board {spec.feed_index}</title>\n"
        f'\t<atom:link href="https://{HOST}/?feed=job_feed&amp;board={spec.feed_index}" rel="self"'
        ' type="application/rss+xml" />\n'
        f"\t<link>https://{HOST}</link>\n\t<description>Synthetic jobs for jobfeed's benchmark.</description>\n"
        f"\t<lastBuildDate>{built}</lastBuildDate>\n\t<language>en-US</language>\n"
    )


def write_feed(path: Path, spec: FeedSpec) -> FeedInfo:
    """Write one feed to `path`, a few hundred items per write; returns what it holds."""
    first = ID_STRIDE * (spec.feed_index + 1)
    changed = removed = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write(_head(spec))
        chunk: list[str] = []
        for index in range(spec.items):
            p = first + index
            if is_changed(p, spec.seed + REMOVED_SEED_OFFSET, spec.removed_fraction):
                removed += 1
                continue
            changed += is_changed(p, spec.seed, spec.changed_fraction)
            chunk.append(_item(p, index, spec))
            if len(chunk) >= WRITE_EVERY:
                out.write("".join(chunk))
                chunk.clear()
        out.write("".join(chunk) + "</channel>\n</rss>\n")
    return FeedInfo(path.name, spec.items - removed, changed, path.stat().st_size, removed)


def write_feed_set(
    out_dir: Path, *, feeds: int, items: int, seed: int = 42, changed_fraction: float = 0.0, build_tag: int = 0,
    prefix: str = "feed", removed_fraction: float = 0.0,
) -> list[FeedInfo]:  # fmt: skip
    """`feeds` files {prefix}-00.xml ... in out_dir, plus manifest.json with their FeedInfo."""
    out_dir.mkdir(parents=True, exist_ok=True)
    infos = [
        write_feed(
            out_dir / f"{prefix}-{i:02d}.xml", FeedSpec(items, seed, i, changed_fraction, build_tag, removed_fraction)
        )
        for i in range(feeds)
    ]
    (out_dir / "manifest.json").write_text(json.dumps([asdict(info) for info in infos], indent=1))
    return infos


def write_one(out: TextIO, spec: FeedSpec) -> None:
    """Stream one feed to an open text stream (stdout for a quick look)."""
    out.write(_head(spec))
    for index in range(spec.items):
        out.write(_item(ID_STRIDE * (spec.feed_index + 1) + index, index, spec))
    out.write("</channel>\n</rss>\n")


def main() -> None:
    """`python -m bench.generate OUT_DIR [--feeds N --items N --seed S --changed-fraction F --build-tag T]`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--feeds", type=int, default=1)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--changed-fraction", type=float, default=0.0)
    parser.add_argument("--build-tag", type=int, default=0)
    args = parser.parse_args()
    infos = write_feed_set(args.out_dir, feeds=args.feeds, items=args.items, seed=args.seed,
                           changed_fraction=args.changed_fraction, build_tag=args.build_tag)  # fmt: skip
    total = sum(info.bytes for info in infos)
    print(f"{len(infos)} feeds, {sum(i.items for i in infos):,} items ({sum(i.changed for i in infos):,} changed), "
          f"{total / 1e6:.1f} MB in {args.out_dir}")  # fmt: skip


if __name__ == "__main__":
    main()
