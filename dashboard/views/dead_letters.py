"""Page: dead letters (dashboard/sections/dead_letters.py)."""

from dashboard.sections import dead_letters

dead_letters.render()
