"""The in-memory de-duplication store: atomic marks, expiry, bounded size."""

from __future__ import annotations

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


async def test_capacity_evicts_least_recently_seen() -> None:
    """Past ``max_entries`` the key seen longest ago goes first."""
    store = MemoryDedupeStore(max_entries=2)
    await store.seen("a", 60)
    await store.seen("b", 60)
    await store.seen("a", 60)

    await store.seen("c", 60)

    assert len(store) == 2
    assert await store.seen("a", 60) is True
    assert await store.seen("b", 60) is False


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
