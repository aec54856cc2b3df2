"""Operations around the pipeline: feed locks, notifications, metrics, logs, Prefect lookups."""
