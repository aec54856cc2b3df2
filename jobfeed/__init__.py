"""jobfeed: job-feed ingestion core (pure logic, settings and the Mongo repository)."""

__version__ = "0.1.0"
