"""The soak's feed model: what it renders is what jobfeed reads, and changes are seeded and reversible."""

from __future__ import annotations

from bench.soak.model import Board, Rates, guid, render, title
from jobfeed.pipeline.normalize import normalize_items
from jobfeed.sources import parse_feed


def test_a_rendered_feed_is_read_by_jobfeed_as_the_model_says() -> None:
    items = {0: 0, 3: 2, 7: 1}
    jobs = normalize_items(parse_feed(render("f01", items), "application/rss+xml"), "http://127.0.0.1:1/f01.xml").jobs
    assert {job.externalId: job.title for job in jobs} == {guid("f01", i): title("f01", i, r) for i, r in items.items()}


def test_the_same_items_give_the_same_bytes_and_a_reverted_edit_the_old_content() -> None:
    assert render("f00", {1: 0, 2: 1}) == render("f00", {2: 1, 1: 0})
    board = Board(1, (6, 6), seed=3, rates=Rates(unchanged=0.0, max_each=0))
    model = board.feeds["f00"]
    first = model.current
    model.items[2] += 1
    model.publish(first.modified)
    model.items[2] -= 1
    back = model.publish(first.modified)
    assert back.body == first.body and back.etag == first.etag
    assert board.version("f00", first.etag) is back  # the newest version with that body


def test_boards_of_one_seed_change_alike() -> None:
    one, two = Board(4, (10, 20), seed=11), Board(4, (10, 20), seed=11)
    for _ in range(5):
        assert one.mutate() == two.mutate()
    assert [m.current.body for m in one.feeds.values()] == [m.current.body for m in two.feeds.values()]
    assert all(len(m.items) >= Rates().min_items for m in one.feeds.values())
