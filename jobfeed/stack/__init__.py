"""The local stack: the Mongo-compatible server, Redis, the Prefect server and workers as processes."""
