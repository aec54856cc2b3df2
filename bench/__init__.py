"""jobfeed's benchmark: synthetic feeds, a local feed server, a no-Prefect baseline, and the runner."""
