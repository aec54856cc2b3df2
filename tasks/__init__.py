"""Prefect tasks: retries, names and caching policy around jobfeed's core functions."""
