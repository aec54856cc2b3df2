"""Where the repository and its test fixtures are, for tests and support modules alike."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
FEED_FIXTURES = FIXTURES / "feeds"
