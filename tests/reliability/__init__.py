"""Reliability proof of the whole pipeline: hostile feeds, network and database faults, concurrency, secrets.

Every test here runs the real `import-feeds` flow in-process (Prefect test harness) against real local
servers; the fault table they prove is docs/reliability.md.
"""
