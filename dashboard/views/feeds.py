"""Page: feeds (dashboard/sections/feeds.py)."""

from dashboard.sections import feeds

feeds.render()
