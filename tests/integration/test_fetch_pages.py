"""A board's list pages and details over real HTTP: order, combined hash, limits, a failing page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jobfeed.fetch.client import make_client
from jobfeed.fetch.pages import Budget, RequestError, fetch_detail, fetch_pages
from jobfeed.models import ConditionalState
from jobfeed.reasons import FailureReason
from jobfeed.settings import get_settings
from jobfeed.sources import lever

POSTINGS = [{"id": f"p{n}", "text": f"Job {n}"} for n in range(3)]


def _next(url: str, path: Path) -> str | None:
    return lever.next_request(url, json.loads(path.read_bytes()))


def _fetch(served: Any, tmp_path: Path, url: str, state: ConditionalState | None = None, budget: int = 1 << 20):
    settings = get_settings()
    with make_client(settings) as client:
        return fetch_pages(
            lever.first_request(url), _next, state=state or ConditionalState(), settings=settings,
            spool_dir=tmp_path, client=client, budget=Budget(budget),
        )  # fmt: skip


@pytest.fixture
def board(served: Any) -> str:
    served.set_file("boards/lever", json.dumps(POSTINGS).encode(), content_type="application/json")
    return served.url("paged/boards/lever?mode=json&limit=1")


def test_three_pages_arrive_in_order_and_hash_together(served: Any, tmp_path: Path, board: str) -> None:
    pages = _fetch(served, tmp_path, board)
    bodies = [json.loads(path.read_bytes()) for path in pages.paths]
    assert bodies == [[POSTINGS[0]], [POSTINGS[1]], [POSTINGS[2]], []]  # the empty 4th page ends the board
    assert [r.path.split("?")[1] for r in served.requests_to("/paged/boards/lever")] == [
        f"mode=json&skip={n}&limit=1" for n in range(4)
    ]
    assert not pages.not_modified and pages.conditional.body_hash

    again = _fetch(served, tmp_path, board, ConditionalState(body_hash=pages.conditional.body_hash))
    assert again.not_modified and not any(path.exists() for path in again.paths)


def test_a_failing_middle_page_raises_its_reason(served: Any, tmp_path: Path, board: str) -> None:
    served.fail_with("/paged/boards/lever@1", 503)
    with pytest.raises(RequestError) as caught:
        _fetch(served, tmp_path, board)
    assert caught.value.reason is FailureReason.HTTP_5XX


def test_the_whole_board_is_capped(served: Any, tmp_path: Path, board: str) -> None:
    with pytest.raises(RequestError) as caught:
        _fetch(served, tmp_path, board, budget=60)  # two pages fit, the third does not
    assert caught.value.reason is FailureReason.TOO_LARGE


def test_a_detail_is_fetched_under_the_same_limits(served: Any) -> None:
    served.set_file("boards/detail/7", b'{"id": "7"}', content_type="application/json")
    settings = get_settings()
    with make_client(settings) as client:
        assert (
            fetch_detail(served.url("paged/boards/detail/7"), settings=settings, client=client, budget=Budget(1024))
            == b'{"id": "7"}'
        )
        with pytest.raises(RequestError) as caught:
            fetch_detail(served.url("paged/boards/detail/8"), settings=settings, client=client, budget=Budget(1024))
    assert caught.value.reason is FailureReason.HTTP_4XX
