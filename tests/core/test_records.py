"""Neutral record helpers: statuses, directions, times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, strategies as st

from telcall import CallStatus, Direction
from telcall._core.records import (
    direction_from_text,
    direction_of,
    directions,
    from_epoch_ms,
    guess_direction,
    none_if_empty,
    parse_local_time,
    status_from_text,
    talk_seconds,
    texts,
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


@given(st.lists(st.none() | st.text(alphabet=st.sampled_from(" \t\n\u3000a7"), max_size=4)))
def test_texts_is_none_if_empty_of_each(column: list[str | None]) -> None:
    """The column-at-a-time texts() gives none_if_empty() of every value, in order."""
    assert list(texts(column)) == [none_if_empty(value) for value in column]


_INSTANTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(st.none() | _INSTANTS, st.none() | _INSTANTS)
def test_talk_seconds_floors_and_clamps(answered: datetime | None, ended: datetime | None) -> None:
    """Talk time is the floored whole seconds from answer to end, never negative, 0 if absent."""
    expected = max((ended - answered) // timedelta(seconds=1), 0) if answered and ended else 0
    assert talk_seconds(answered, ended) == expected


@pytest.mark.parametrize(
    ("answered_after", "ended_after", "seconds"),
    [
        pytest.param(timedelta(0), timedelta(seconds=59, microseconds=999_999), 59, id="floored"),
        pytest.param(timedelta(seconds=5), timedelta(0), 0, id="reversed"),
        pytest.param(timedelta(0), timedelta(days=2, seconds=3), 172_803, id="days"),
    ],
)
def test_talk_seconds_cases(
    answered_after: timedelta, ended_after: timedelta, seconds: int
) -> None:
    """Sub-second remainders are dropped, reversed times give 0, whole days count."""
    start = datetime(2024, 5, 1, tzinfo=UTC)
    assert talk_seconds(start + answered_after, start + ended_after) == seconds


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(3, id="int"),
        pytest.param(None, id="none"),
        pytest.param("", id="empty"),
        pytest.param("sideways", id="unknown-word"),
    ],
)
def test_direction_from_text_of_a_non_word_is_unknown(value: object) -> None:
    """TEL4VN's integer direction codes and unknown words map to UNKNOWN, never raise."""
    assert direction_from_text(value) is Direction.UNKNOWN


_NUMBERS = st.sampled_from(["", "101", "0899888999", "19001919", "84899888999"])


@given(st.lists(st.tuples(st.sampled_from(["", "inbound", "OUT", 3, "x"]), _NUMBERS, _NUMBERS)))
def test_directions_is_direction_of_each(rows: list[tuple[object, str, str]]) -> None:
    """The column form reads the word, else the numbers, exactly as direction_of() per record."""
    words, froms, tos = [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]
    assert directions(words, froms, tos) == list(map(direction_of, words, froms, tos))
