"""Page: jobs (dashboard/sections/jobs.py)."""

from dashboard.sections import jobs

jobs.render()
