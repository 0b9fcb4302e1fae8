"""TEL4VN CDR status/direction filters take the SDK's vocabulary and the provider's words."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from telcall import CallStatus, Direction, errors

STATUS_SENT = [
    pytest.param(CallStatus.CANCELLED, "CANCEL", id="member"),
    pytest.param("cancelled", "CANCEL", id="neutral-value"),
    pytest.param("no-answer", "NO-ANSWERED", id="neutral-no-answer"),
    pytest.param(CallStatus.FAILED, "INVALID", id="failed-is-invalid"),
    pytest.param("CANCEL", "CANCEL", id="provider-upper"),
    pytest.param("cancel", "CANCEL", id="provider-lower"),
]


@pytest.mark.parametrize(("value", "sent"), STATUS_SENT)
async def test_status_is_sent_as_the_provider_word(
    hostile_factory: Any, value: Any, sent: str
) -> None:
    """A neutral status is mapped to the provider's (upper-case, default mapping) word."""
    with anyio.fail_after(20):
        async with hostile_factory("tel4vn") as h:
            await h.client.cdrs.list(status=value, limit=1, offset=0)
            (request,) = h.served()
    assert sent == request.query["status"]


async def test_neutral_status_matches_records(hostile_factory: Any) -> None:
    """``status=CallStatus.ANSWERED`` finds the simulator's answered CDRs (it found none)."""
    with anyio.fail_after(20):
        async with hostile_factory("tel4vn") as h:
            page = await h.client.cdrs.list(status=CallStatus.ANSWERED, limit=5, offset=0)
    assert page.total
    assert all(cdr.to_call_record().status == "answered" for cdr in page.items)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        pytest.param({"status": "bogus"}, "status", id="status-bogus"),
        pytest.param({"status": CallStatus.UNKNOWN}, "status", id="status-unknown"),
        pytest.param({"direction": "sideways"}, "direction", id="direction-bogus"),
        pytest.param({"direction": Direction.UNKNOWN}, "direction", id="direction-unknown"),
    ],
)
async def test_unknown_filter_word_is_refused(
    hostile_factory: Any, kwargs: dict[str, Any], name: str
) -> None:
    """A word the provider does not filter on is a ValidationError, not an empty answer."""
    with anyio.fail_after(20):
        async with hostile_factory("tel4vn") as h:
            with pytest.raises(errors.ValidationError, match=name):
                await h.client.cdrs.list(**kwargs)
            assert h.served() == []


async def test_direction_member_is_sent_as_its_value(hostile_factory: Any) -> None:
    """``Direction.INBOUND`` is sent as ``inbound``."""
    with anyio.fail_after(20):
        async with hostile_factory("tel4vn") as h:
            await h.client.cdrs.list(direction=Direction.INBOUND, limit=1, offset=0)
            (request,) = h.served()
    assert request.query["direction"] == "inbound"
