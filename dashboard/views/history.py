"""Page: history (dashboard/sections/history.py)."""

from dashboard.sections import history

history.render()
