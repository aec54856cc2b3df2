"""Page: feeds (see dashboard/sections/feeds.py)."""

from dashboard.sections import feeds

feeds.render()
