"""The soak's settings and its seeded plan of server kills."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

SERVICES = ("mongo", "redis", "prefect", "worker")
KILL_AFTER_S = (0.0, 4.0)  # after the anchor (Kill.anchor): from the run's start-up into its imports
DOWN_S = {"mongo": (0.5, 6.0), "redis": (0.5, 4.0), "prefect": (0.5, 3.0), "worker": (0.5, 2.0)}
# pymongo waits up to 5 s for a server on each of a batch's 4 attempts (1 + UPSERT_RETRIES, backoff between):
# an outage longer than that turns the batches in flight into dead letters, and the run's recording waits it out
LONG_MONGO_DOWN_S = (24.0, 30.0)


@dataclass(frozen=True)
class Kill:
    """Kill `service` with -9 `delay_s` after run `run` reached `anchor`; restart it `down_s` later.

    `running`: the flow run turned Running (the kill may land in its start-up); `started`: its ImportLogs
    exist (the kill lands in its fetches and upserts); `upserting`: it wrote its first job (the run before
    it edits most items of every feed, so that many batches are in flight)."""

    run: int
    service: str
    delay_s: float
    down_s: float
    anchor: str = "running"


@dataclass(frozen=True)
class SoakConfig:
    """Everything that decides a soak (all of it goes into the report)."""

    runs: int = 30
    feeds: int = 20
    items: tuple[int, int] = (20, 60)
    seed: int = 20261205
    fault_rate: float = 0.22  # share of feed requests answered with a fault
    kills: dict[str, int] = field(default_factory=lambda: {"mongo": 3, "redis": 2, "prefect": 2, "worker": 3})
    run_timeout_s: float = 150.0
    # jobfeed's settings for the flow runs (the worker's environment): shorter than production so
    # that faults and recoveries happen within seconds; the report lists them
    lock_ttl_s: int = 5
    retry_backoff_s: float = 0.5
    http_timeout_s: float = 3.0
    batch_size: int = 15
    max_concurrency: int = 6
    heartbeat_s: int = 30  # Prefect's minimum
    zombie_within_s: int = 60  # 2 heartbeats: a late beat on a loaded machine is not a death
    worker_query_s: int = 1

    @property
    def drip_s(self) -> float:
        return self.http_timeout_s + 3  # the dripping body outlasts the fetch deadline

    def run_env(self) -> dict[str, str]:
        """The environment of the worker and so of every flow run (jobfeed's and Prefect's settings)."""
        return {
            "MONGODB_DB": "soak",
            "FETCH_ALLOW_HOSTS": "127.0.0.1",
            "LOCK_TTL_S": str(self.lock_ttl_s),
            "RETRY_BACKOFF_S": str(self.retry_backoff_s),
            "HTTP_TIMEOUT_S": str(self.http_timeout_s),
            "BATCH_SIZE": str(self.batch_size),
            "MAX_CONCURRENCY": str(self.max_concurrency),
            "AUTO_DISABLE_AFTER": "0",  # a feed unlucky ten times in a row stays in the soak
            "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(self.heartbeat_s),
            "PREFECT_WORKER_QUERY_SECONDS": str(self.worker_query_s),
            "PREFECT_WORKER_PREFETCH_SECONDS": "5",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_LOGGING_LEVEL": "INFO",
        }

    def prefect_env(self) -> dict[str, str]:
        """The Prefect server's own settings."""
        return {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_SERVER_EVENTS_PROACTIVE_GRANULARITY": "PT2S"}


def plan_kills(config: SoakConfig, rng: random.Random) -> list[Kill]:
    """One kill per chosen run, on every other run from the third, never in the last three: each run with
    a kill is followed by a run without one (the recovery run the oracle checks)."""
    slots = list(range(2, config.runs - 3, 2))
    # round by round (every service once, then again ...), as many as the runs have room for
    rounds = max(config.kills.values(), default=0)
    events = [s for n in range(rounds) for s in SERVICES if config.kills.get(s, 0) > n][: len(slots)]
    rng.shuffle(events)
    # worker kills first: the zombie automation needs ZOMBIE_WITHIN_S to crash their runs before the end
    events.sort(key=lambda service: service != "worker")  # stable: the others stay shuffled
    chosen = sorted(rng.sample(slots, len(events)))
    kills = []
    long_outage = True  # one database outage outlasts the upserts' retries: batches become dead letters
    for run, service in zip(chosen, events, strict=True):
        anchor = rng.choice(("running", "started"))
        delay, down = rng.uniform(*KILL_AFTER_S), rng.uniform(*DOWN_S[service])
        if service == "mongo" and long_outage:  # while its batches are written
            anchor, delay, down, long_outage = (
                "upserting",
                rng.uniform(0.0, 0.3),
                rng.uniform(*LONG_MONGO_DOWN_S),
                False,
            )
        kills.append(Kill(run, service, round(delay, 2), round(down, 2), anchor))
    return kills
