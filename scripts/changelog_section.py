"""Print the CHANGELOG.md section of one version: the notes of its GitHub release (.github/workflows/release.yml).

    python scripts/changelog_section.py v1.2.0 [--changelog CHANGELOG.md]

The version may carry the tag's leading `v`. A section is a level-2 heading naming the version, in any of
the usual spellings (`## [1.2.0] - 2026-12-10`, `## v1.2.0`, `## 1.2.0 (2026-12-10)`), and everything under
it up to the next level-2 heading; Keep a Changelog's link definitions (`[1.2.0]: https://...`) are left
out. Exit 1, with the reason on stderr, when the file has no such section or the section is empty: a
release must not go out with empty notes. Standard library only: the release job runs it before
installing anything.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

HEADING = re.compile(r"^##(?!#)\s+(?P<title>.*)$")
LINK_DEFINITION = re.compile(r"^\[[^\]]+\]:\s+\S+")


class SectionError(Exception):
    """The changelog has no (non-empty) section for the version."""


def version_of(tag: str) -> str:
    """`v1.2.0` -> `1.2.0` (a bare version is kept)."""
    tag = tag.strip()
    return tag[1:] if tag[:1] in {"v", "V"} and tag[1:2].isdigit() else tag


def _names_version(title: str, version: str) -> bool:
    """True when a heading's first word is the version: `[1.2.0] - date`, `v1.2.0`, `1.2.0 (date)`."""
    words = title.split()
    first = words[0].strip("[]") if words else ""
    return version_of(first) == version


def section(text: str, tag: str) -> str:
    """The body of the version's section, trimmed; SectionError when it is missing or empty."""
    version = version_of(tag)
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines)
                  if (m := HEADING.match(line)) and _names_version(m["title"], version)), None)  # fmt: skip
    if start is None:
        raise SectionError(f"no section for {version} in the changelog (expected a heading like `## [{version}]`)")
    body = []
    for line in lines[start + 1 :]:
        if HEADING.match(line):
            break
        if not LINK_DEFINITION.match(line):
            body.append(line)
    notes = "\n".join(body).strip()
    if not notes:
        raise SectionError(f"the section for {version} is empty")
    return notes + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("tag", help="the release tag or version, e.g. v1.2.0")
    parser.add_argument("--changelog", type=Path, default=Path(__file__).resolve().parents[1] / "CHANGELOG.md")
    args = parser.parse_args(argv)
    try:
        text = args.changelog.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"cannot read {args.changelog}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    try:
        sys.stdout.write(section(text, args.tag))
    except SectionError as exc:
        print(f"{args.changelog}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
