"""HTTP fetching of feeds: conditional GET, limits, the address guard (httpx; no database, no Prefect)."""
