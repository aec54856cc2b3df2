"""scripts/screenshots.py (`make screenshots`) and the README's pictures agree: every image the README shows is
one the script writes, each is there as a PNG, and each dashboard page the script opens exists."""

from __future__ import annotations

import re

from scripts.screenshots import PAGES, PREFECT_SHOT
from tests.support.paths import ROOT

IMG = ROOT / "docs" / "img"


def written() -> set[str]:
    return {name for name, *_ in PAGES} | {PREFECT_SHOT}


def test_the_readme_shows_only_pictures_the_script_makes() -> None:
    shown = set(re.findall(r"\]\(docs/img/([\w.-]+)\)", (ROOT / "README.md").read_text()))
    assert shown == written()
    for name in shown:
        assert (IMG / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    assert {p.name for p in IMG.glob("*.png")} == written()  # nothing left over from a hand-made picture


def test_every_page_it_opens_is_a_dashboard_page() -> None:
    app = (ROOT / "dashboard" / "app.py").read_text()
    url_paths = set(re.findall(r'url_path="([\w-]+)"', app))
    for _name, path, _wait, _extra in PAGES:
        first = path.split("?")[0].strip("/")
        assert first == "" or first in url_paths, path
