"""The snapshot rules, pure: which items skip the store, which entries miss, age out and close."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jobfeed.pipeline.snapshot import Entry, Listing, Sent, apply_fetched, apply_not_modified, refresh_cutoff

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
FRESH = NOW - timedelta(hours=1)
CUTOFF = refresh_cutoff(NOW, 6 * 3600)


def key(n: int) -> tuple[str, str]:
    return ("board.example", f"job-{n}")


def test_only_a_same_hash_fresh_entry_without_misses_skips_the_store() -> None:
    snapshot = {
        key(1): Entry("h1", 0, FRESH),
        key(2): Entry("h2", 0, FRESH),
        key(3): Entry("h3", 1, FRESH),  # missed last time: it may have been closed since
        key(4): Entry("h4", 0, NOW - timedelta(hours=7)),  # stale: lastSeenAt needs a refresh
    }
    listing = Listing()
    verdicts = [
        listing.classify(snapshot, key(1), "h1", refresh_before=CUTOFF),
        listing.classify(snapshot, key(2), "h2-edited", refresh_before=CUTOFF),
        listing.classify(snapshot, key(3), "h3", refresh_before=CUTOFF),
        listing.classify(snapshot, key(4), "h4", refresh_before=CUTOFF),
        listing.classify(snapshot, key(5), "h5", refresh_before=CUTOFF),  # new to the snapshot
    ]
    assert verdicts == [True, False, False, False, False]
    assert listing.listed == {key(n) for n in range(1, 6)}


def test_misses_age_entries_out_and_name_them_once() -> None:
    snapshot = {key(1): Entry("h1", 0, FRESH), key(2): Entry("h2", 1, FRESH), key(3): Entry("h3", 0, FRESH)}
    listing = Listing()
    listing.classify(snapshot, key(3), "h3", refresh_before=CUTOFF)
    listing.finish_listing(snapshot)
    assert sorted(listing.missed) == [key(1), key(2)]
    applied = apply_fetched(snapshot, listing, stored_batches=set(), close_after=2, now=NOW)
    assert applied.entries == {key(1): Entry("h1", 1, FRESH), key(3): Entry("h3", 0, FRESH)}
    assert applied.reached == [key(2)]  # its second miss: it leaves the snapshot, its job may close
    assert applied.changed == {key(1), key(2)}


def test_sent_items_enter_only_when_their_batch_was_stored() -> None:
    snapshot = {key(1): Entry("old", 1, FRESH), key(2): Entry("h2", 0, FRESH)}
    listing = Listing(sent=[Sent(0, key(1), "new"), Sent(1, key(2), "h2-edited"), Sent(1, key(3), "h3")])
    applied = apply_fetched(snapshot, listing, stored_batches={0}, close_after=2, now=NOW)
    # batch 1 failed: its jobs get no miss (they were listed), and no entry vouches for their content any more
    assert applied.entries == {key(1): Entry("new", 0, NOW), key(2): Entry("", 0, FRESH)}
    assert applied.changed == {key(1), key(2)} and applied.reached == []


def test_an_item_whose_batch_failed_goes_to_the_store_next_time_even_with_its_old_content() -> None:
    """Found by the chaos soak (bench/soak): a batch write can fail after the database applied it (the
    acknowledgement was lost), so the store may hold the edit while the snapshot holds the old hash. If the
    board then takes the edit back, the item's hash equals the old entry: it must still reach the store."""
    snapshot = {key(2): Entry("h2", 0, FRESH)}
    applied = apply_fetched(snapshot, Listing(sent=[Sent(1, key(2), "h2-edited")]), stored_batches=set(),
                            close_after=2, now=NOW)  # fmt: skip
    assert Listing().classify(applied.entries, key(2), "h2", refresh_before=CUTOFF) is False


def test_not_modified_ages_only_what_the_last_body_already_missed() -> None:
    snapshot = {key(1): Entry("h1", 0, FRESH), key(2): Entry("h2", 1, FRESH)}
    applied = apply_not_modified(snapshot, close_after=3)
    assert applied.entries == {key(1): Entry("h1", 0, FRESH), key(2): Entry("h2", 2, FRESH)}
    assert apply_not_modified(applied.entries, close_after=3).reached == [key(2)]
    assert apply_not_modified({key(1): Entry("h1", 0, FRESH)}, close_after=2).changed == set()
