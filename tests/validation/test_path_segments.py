"""A value that goes into a URL path is one real segment, or ValidationError before any I/O."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import pytest

from telcall import errors
from telcall._core.validation import path_segment

#: provider, and a call that puts ``bad`` into a path segment.
PATH_CALLS: list[tuple[str, str, Callable[[Any, str], Any]]] = [
    ("tel4vn", "cdrs.get", lambda c, bad: c.cdrs.get(bad)),
    ("tel4vn", "events.delete", lambda c, bad: c.events.delete(bad)),
    ("tel4vn", "calls.transfer", lambda c, bad: c.calls.transfer(bad, ext="101")),
    ("tel4vn", "calls.listen", lambda c, bad: c.calls.listen(bad, ext="101")),
    ("tel4vn", "calls.whisper", lambda c, bad: c.calls.whisper(bad, ext="101")),
    ("tel4vn", "calls.barge", lambda c, bad: c.calls.barge(bad, ext="101")),
    ("tel4vn", "customers.get", lambda c, bad: c.customers.get(bad)),
    ("tel4vn", "users.status", lambda c, bad: c.users.status(bad)),
    ("omicall", "contacts.delete", lambda c, bad: c.contacts.delete(bad)),
    ("omicall", "contacts.details", lambda c, bad: c.contacts.details(bad)),
    (
        "aicallcenter",
        "campaigns.import_contacts",
        lambda c, bad: c.campaigns.import_contacts(bad, [{"phone_number": "0899888998"}]),
    ),
    ("aicallcenter", "campaigns.calls.list", lambda c, bad: c.campaigns.calls.list(bad)),
]

BAD_SEGMENTS = [
    pytest.param("", id="empty"),
    pytest.param("   ", id="blank"),
    pytest.param(".", id="dot"),
    pytest.param("..", id="dot-dot"),
    pytest.param("...", id="dots"),
    pytest.param(" .. ", id="padded-dot-dot"),
    pytest.param("a\nb", id="newline"),
    pytest.param("a\rb", id="carriage-return"),
    pytest.param("a\x00b", id="nul"),
    pytest.param("a\tb", id="tab"),
    pytest.param("a\x7fb", id="delete"),
    pytest.param("a\x85b", id="c1-control"),
]


@pytest.mark.parametrize("bad", BAD_SEGMENTS)
@pytest.mark.parametrize(
    ("provider", "method", "call"), [pytest.param(*c, id=f"{c[0]}:{c[1]}") for c in PATH_CALLS]
)
async def test_bad_segment_is_refused_without_a_request(
    hostile_factory: Any, provider: str, method: str, call: Any, bad: str
) -> None:
    """Every path parameter refuses empty, dot-only and control segments, sending nothing."""
    with anyio.fail_after(20):
        async with hostile_factory(provider) as h:
            with pytest.raises(errors.ValidationError):
                await call(h.client, bad)
            assert h.served() == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("abc", "abc", id="plain"),
        pytest.param("a/b", "a%2Fb", id="slash-quoted"),
        pytest.param("..a", "..a", id="dots-and-more"),
        pytest.param("a?b#c", "a%3Fb%23c", id="query-and-fragment-quoted"),
        pytest.param("Nguyễn", "Nguy%E1%BB%85n", id="unicode"),
    ],
)
def test_good_segment_is_quoted(value: str, expected: str) -> None:
    """A real segment comes back percent-quoted, slashes included."""
    assert expected == path_segment(value, "id")


def test_error_names_the_field() -> None:
    """The error says which argument was wrong."""
    with pytest.raises(errors.ValidationError, match="event_id"):
        path_segment("..", "event_id")
