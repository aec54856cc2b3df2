"""Page: run now (dashboard/sections/run_now.py)."""

from dashboard.sections import run_now

run_now.render()
