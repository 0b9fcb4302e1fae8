"""The in-memory de-duplication store: atomic marks, expiry, bounded size."""

from __future__ import annotations

import logging

import pytest

from telcall.webhooks import MemoryDedupeStore


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_second_sighting_is_seen() -> None:
    """The first ``seen`` records the key; the second reports it."""
    store = MemoryDedupeStore()

    assert await store.seen("a", 60) is False
    assert await store.seen("a", 60) is True
    assert await store.seen("b", 60) is False


async def test_key_expires_after_ttl() -> None:
    """A key is forgotten once its ttl has passed, and recorded afresh."""
    clock = FakeClock()
    store = MemoryDedupeStore(clock=clock)
    await store.seen("a", 60)

    clock.now += 59.9
    assert await store.seen("a", 60) is True
    clock.now += 0.2
    assert await store.seen("a", 60) is False
    assert await store.seen("a", 60) is True


async def test_expired_keys_are_dropped() -> None:
    """Expired entries do not pile up: recording a new key clears the old ones."""
    clock = FakeClock()
    store = MemoryDedupeStore(clock=clock)
    for key in ("a", "b", "c"):
        await store.seen(key, 10)

    clock.now += 11
    await store.seen("d", 10)

    assert len(store) == 1


async def test_capacity_evicts_the_oldest_key() -> None:
    """Past ``max_entries`` the key recorded first goes first; a repeat does not renew it."""
    store = MemoryDedupeStore(max_entries=2)
    await store.seen("a", 60)
    await store.seen("b", 60)
    await store.seen("a", 60)

    await store.seen("c", 60)

    assert len(store) == 2
    assert await store.seen("b", 60) is True
    assert await store.seen("a", 60) is False


async def test_forget_lets_the_key_through_again() -> None:
    """``forget`` removes a mark (and ignores keys it never had)."""
    store = MemoryDedupeStore()
    await store.seen("a", 60)

    await store.forget("a")
    await store.forget("never-seen")

    assert await store.seen("a", 60) is False


def test_rejects_empty_capacity() -> None:
    """A store that can hold nothing is a configuration mistake."""
    with pytest.raises(ValueError, match="max_entries"):
        MemoryDedupeStore(max_entries=0)


async def test_begin_reports_new_then_in_progress_then_done() -> None:
    """``begin`` claims a key once; a copy sees it in progress, and done after ``complete``."""
    store = MemoryDedupeStore()

    assert await store.begin("a", 60) == "new"
    assert await store.begin("a", 60) == "in_progress"
    await store.complete("a", 3600)

    assert await store.begin("a", 60) == "done"
    assert await store.begin("b", 60) == "new"


async def test_release_frees_an_in_progress_key_but_not_a_done_one() -> None:
    """A failed delivery releases its claim; a key that is done stays done."""
    store = MemoryDedupeStore()
    await store.begin("failed", 60)
    await store.begin("handled", 60)
    await store.complete("handled", 3600)

    await store.release("failed")
    await store.release("handled")
    await store.release("never-seen")

    assert await store.begin("failed", 60) == "new"
    assert await store.begin("handled", 60) == "done"


async def test_in_progress_claim_expires_after_its_own_ttl() -> None:
    """A claim left by a crashed worker lapses after the short in-progress ttl."""
    clock = FakeClock()
    store = MemoryDedupeStore(clock=clock)
    await store.begin("a", 30)

    clock.now += 29.9
    assert await store.begin("a", 30) == "in_progress"
    clock.now += 0.2
    assert await store.begin("a", 30) == "new"


async def test_done_key_keeps_the_long_ttl() -> None:
    """``complete`` replaces the short claim with the long de-duplication ttl."""
    clock = FakeClock()
    store = MemoryDedupeStore(clock=clock)
    await store.begin("a", 30)
    await store.complete("a", 3600)

    clock.now += 3599
    assert await store.begin("a", 30) == "done"
    clock.now += 2
    assert await store.begin("a", 30) == "new"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param({}, 108_000, id="defaults"),
        pytest.param({"ttl": 600, "expected_rate": 100}, 60_000, id="rate-times-ttl"),
        pytest.param({"ttl": 10, "expected_rate": 1}, 1_000, id="floor"),
        pytest.param({"max_entries": 5}, 5, id="explicit"),
    ],
)
def test_capacity_follows_ttl_and_rate(kwargs, expected) -> None:
    """Without ``max_entries`` the cap holds ``expected_rate`` keys a second for ``ttl``."""
    assert MemoryDedupeStore(**kwargs).max_entries == expected


async def test_evicting_a_live_key_warns_once_per_interval(caplog) -> None:
    """When the cap drops keys that have not expired, one warning per interval says so."""
    clock = FakeClock()
    store = MemoryDedupeStore(max_entries=2, clock=clock)

    with caplog.at_level(logging.WARNING, logger="telcall.webhooks"):
        for key in "abcde":
            await store.seen(key, 3600)
        clock.now += 61
        await store.begin("f", 30)

    warnings = [r for r in caplog.records if r.name == "telcall.webhooks"]
    assert len(warnings) == 2
    first, second = (record.getMessage() for record in warnings)
    assert "cap of 2 keys evicted 1 unexpired" in first
    assert "cap of 2 keys evicted 3 unexpired" in second


async def test_expired_keys_are_dropped_without_a_warning(caplog) -> None:
    """A cap reached only by expired keys evicts them silently."""
    clock = FakeClock()
    store = MemoryDedupeStore(max_entries=2, clock=clock)

    with caplog.at_level(logging.WARNING, logger="telcall.webhooks"):
        for key in "abcdef":
            await store.seen(key, 10)
            clock.now += 11

    assert caplog.records == []
    assert len(store) == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"ttl": 0}, id="ttl"),
        pytest.param({"expected_rate": 0}, id="rate"),
    ],
)
def test_rejects_meaningless_sizing(kwargs) -> None:
    """A zero ttl or rate cannot size a store."""
    with pytest.raises(ValueError):
        MemoryDedupeStore(**kwargs)
