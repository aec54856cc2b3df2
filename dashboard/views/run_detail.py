"""Page: run detail (dashboard/sections/run_detail.py)."""

from dashboard.sections import run_detail

run_detail.render()
