"""Prefect flows: wiring only (which tasks, in what order, with what concurrency)."""
