"""The HTTP API (FastAPI): read routes over the store."""
