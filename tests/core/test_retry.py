"""Retry decisions and backoff, without I/O."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from telcall._core.retry import RetryPolicy, parse_retry_after


@pytest.mark.parametrize(
    ("status", "sent", "idempotent", "expected"),
    [
        pytest.param(503, True, True, True, id="5xx-idempotent"),
        pytest.param(503, True, False, False, id="5xx-post-sent"),
        pytest.param(429, True, True, True, id="429-idempotent"),
        pytest.param(429, True, False, True, id="429-post-refused-unprocessed"),
        pytest.param(408, True, True, True, id="408"),
        pytest.param(400, True, True, False, id="400-never"),
        pytest.param(404, True, True, False, id="404-never"),
        pytest.param(None, True, True, True, id="transport-idempotent"),
        pytest.param(None, True, False, False, id="transport-post-maybe-sent"),
        pytest.param(None, False, False, True, id="connect-failed-post"),
    ],
)
def test_should_retry(status: int | None, sent: bool, idempotent: bool, expected: bool) -> None:
    """Only safe-to-repeat requests are retried, and only for retryable failures."""
    policy = RetryPolicy(max_retries=2)
    assert policy.should_retry(1, status=status, sent=sent, idempotent=idempotent) is expected


def test_attempts_are_bounded() -> None:
    """After max_retries retries there is no further attempt."""
    policy = RetryPolicy(max_retries=2)
    assert policy.should_retry(2, status=503, sent=True, idempotent=True)
    assert not policy.should_retry(3, status=503, sent=True, idempotent=True)


def test_full_jitter_stays_under_the_exponential_cap() -> None:
    """Delays are uniform in [0, min(cap, base * 2**(n-1))]."""
    policy = RetryPolicy(base=0.5, cap=8.0, rng=random.Random(1))
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (6, 8.0), (10, 8.0)]:
        delays = [policy.delay(attempt) for _ in range(200)]
        assert max(delays) <= ceiling
        assert min(delays) >= 0.0
        assert max(delays) > ceiling / 2


def test_retry_after_wins_and_is_capped() -> None:
    """The server's Retry-After is used as is, up to 60 s."""
    policy = RetryPolicy()
    assert policy.delay(1, retry_after=3.0) == 3.0
    assert policy.delay(1, retry_after=3600.0) == 60.0


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param("2", 2.0, id="seconds"),
        pytest.param(" 1.5 ", 1.5, id="fractional"),
        pytest.param(None, None, id="missing"),
        pytest.param("soon", None, id="garbage"),
        pytest.param("-5", 0.0, id="negative"),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    """Retry-After in delta-seconds parses; garbage is ignored."""
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date() -> None:
    """An HTTP date becomes the seconds until it."""
    now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
    header = format_datetime(datetime(2026, 11, 25, 12, 0, 30, tzinfo=UTC), usegmt=True)
    assert parse_retry_after(header, now=now.timestamp()) == pytest.approx(30.0)
