"""Page: jobs (see dashboard/sections/jobs.py)."""

from dashboard.sections import jobs

jobs.render()
