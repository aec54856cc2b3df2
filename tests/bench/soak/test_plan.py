"""The soak's kill plan: seeded, every kill run followed by a recovery run, worker kills early."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from bench.soak.plan import LONG_MONGO_DOWN_S, SERVICES, SoakConfig, plan_kills


@pytest.mark.parametrize("runs", [14, 30, 40])
def test_every_kill_run_is_followed_by_a_run_without_kills(runs: int) -> None:
    config = replace(SoakConfig(), runs=runs)
    kills = plan_kills(config, random.Random(config.seed))
    killed = {kill.run for kill in kills}
    assert len(killed) == len(kills), "two kills in one run"
    assert all(run + 1 not in killed for run in killed)
    assert min(killed) >= 2 and max(killed) <= runs - 4  # a clean start, and clean runs at the end
    assert {kill.service for kill in kills} == set(SERVICES)  # every server dies at least once


def test_the_plan_is_reproducible_from_the_seed_and_changes_with_it() -> None:
    config = SoakConfig()
    assert plan_kills(config, random.Random(config.seed)) == plan_kills(config, random.Random(config.seed))
    assert plan_kills(config, random.Random(config.seed)) != plan_kills(config, random.Random(config.seed + 1))


def test_worker_kills_come_first_and_one_database_outage_outlasts_the_retries() -> None:
    config = SoakConfig()
    kills = plan_kills(config, random.Random(config.seed))
    services = [kill.service for kill in kills]
    workers = services.count("worker")
    assert workers == config.kills["worker"] and services[:workers] == ["worker"] * workers
    long = [kill for kill in kills if kill.down_s >= LONG_MONGO_DOWN_S[0]]
    assert [(k.service, k.anchor) for k in long] == [("mongo", "upserting")]
