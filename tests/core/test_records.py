"""Neutral record helpers: statuses, directions, times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from telcall import CallStatus, Direction
from telcall._core.records import (
    from_epoch_ms,
    guess_direction,
    none_if_empty,
    parse_local_time,
    status_from_text,
)


@pytest.mark.parametrize(
    ("word", "status"),
    [
        pytest.param("ANSWERED", CallStatus.ANSWERED, id="upper"),
        pytest.param("answered", CallStatus.ANSWERED, id="lower"),
        pytest.param("BUSY", CallStatus.BUSY, id="busy"),
        pytest.param("no-answered", CallStatus.NO_ANSWER, id="no-answered"),
        pytest.param("NO-ANSWERED", CallStatus.NO_ANSWER, id="no-answered-upper"),
        pytest.param("cancel", CallStatus.CANCELLED, id="cancel"),
        pytest.param("not-available", CallStatus.NOT_AVAILABLE, id="not-available"),
        pytest.param("invalid", CallStatus.FAILED, id="invalid"),
        pytest.param("", CallStatus.UNKNOWN, id="empty"),
        pytest.param("weird", CallStatus.UNKNOWN, id="unknown"),
    ],
)
def test_status_words(word: str, status: CallStatus) -> None:
    """Every documented status spelling maps onto one enum member."""
    assert status_from_text(word) is status


@pytest.mark.parametrize(
    ("src", "dst", "direction"),
    [
        pytest.param("19001919", "0899888999", Direction.OUTBOUND, id="hotline-to-mobile"),
        pytest.param("0899888999", "19001919", Direction.INBOUND, id="mobile-to-hotline"),
        pytest.param("84899888999", "02873001234", Direction.INBOUND, id="intl-mobile-to-landline"),
        pytest.param("0899888999", "0912345678", Direction.OUTBOUND, id="mobile-to-mobile"),
        pytest.param("0899888999", "101", Direction.INBOUND, id="mobile-to-ext"),
        pytest.param("101", "0899888999", Direction.OUTBOUND, id="ext-to-mobile"),
        pytest.param("101", "102", Direction.LOCAL, id="ext-to-ext"),
        pytest.param("", "", Direction.UNKNOWN, id="nothing"),
    ],
)
def test_guess_direction(src: str, dst: str, direction: Direction) -> None:
    """Direction is inferred from the numbers when the wire value is unreadable."""
    assert guess_direction(src, dst) is direction


def test_parse_local_time_is_aware_in_vietnam_time() -> None:
    """A naive provider time is read in Asia/Ho_Chi_Minh (UTC+7)."""
    parsed = parse_local_time("2021-02-17 17:30:35")
    assert parsed is not None
    assert parsed.utcoffset() == timedelta(hours=7)
    assert parsed.astimezone(UTC) == datetime(2021, 2, 17, 10, 30, 35, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param(None, id="none"),
        pytest.param("0001-01-01T00:00:00Z", id="go-zero-time"),
    ],
)
def test_parse_local_time_never(value: str | None) -> None:
    """Empty strings and Go's zero time mean "never"."""
    assert parse_local_time(value) is None


def test_rfc3339_keeps_its_offset() -> None:
    """An RFC 3339 time with Z stays in UTC."""
    parsed = parse_local_time("2021-07-15T12:50:23.805319Z")
    assert parsed is not None
    assert parsed.utcoffset() == timedelta(0)


def test_small_helpers() -> None:
    """Blank strings become None and epoch milliseconds become UTC datetimes."""
    assert none_if_empty("  ") is None
    assert none_if_empty(" x ") == "x"
    assert from_epoch_ms(1747128866529) == datetime(2025, 5, 13, 9, 34, 26, 529000, tzinfo=UTC)
    assert from_epoch_ms(0) is None
