"""Property tests: no body, however malformed, makes the receiver fail or call back."""

from __future__ import annotations

from typing import Any

import anyio
import msgspec
from hypothesis import HealthCheck, given, settings, strategies as st

from telcall._core.errors import ValidationError
from telcall.tel4vn.events import Event, parse_event
from telcall.webhooks import WebhookReceiver

APIKEY = "prop-key-1"
PROPERTY = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
near_events = st.fixed_dictionaries(
    {"state": st.sampled_from(["ringing", "answered", "hangup", "cdr", "x", 1, None])},
    optional={
        "call_id": st.one_of(st.text(max_size=10), st.integers(), st.none()),
        "duration": json_values,
        "billsec": json_values,
        "direction": json_values,
        "extra": json_values,
    },
)
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(msgspec.json.encode),
    near_events.map(msgspec.json.encode),
    st.integers(1, 5000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.integers(1, 5000).map(lambda depth: b'{"state":"cdr","call_id":"c","x":' + b"[" * depth),
)


async def answer(receiver: WebhookReceiver, body: bytes) -> int:
    """POST ``body`` through the receiver's ASGI interface; return the status."""
    sent: list[dict[str, Any]] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/hooks/tel4vn",
        "headers": [(b"authorization", f"Bearer {APIKEY}".encode())],
        "client": ("127.0.0.1", 1),
    }
    with anyio.fail_after(10):
        await receiver(scope, receive, send)
    return int(sent[0]["status"])


@PROPERTY
@given(body=bodies)
def test_parse_event_raises_only_validation_error(body: bytes) -> None:
    """``parse_event`` returns an event with an id or raises ValidationError, nothing else."""
    try:
        event = parse_event(body)
    except ValidationError:
        return
    assert event.call_id.strip()


@PROPERTY
@given(body=bodies)
async def test_receiver_never_answers_500_to_a_body(body: bytes) -> None:
    """Any body gets 200 or 400 (never 500), and only a valid event reaches ``on_event``."""
    handled: list[Event] = []

    async def on_event(event: Event) -> None:
        handled.append(event)

    receiver = WebhookReceiver(apikey=APIKEY, on_event=on_event, max_body=1_000_000)

    status = await answer(receiver, body)

    try:
        expected = parse_event(body)
    except ValidationError:
        assert (status, handled) == (400, [])
    else:
        assert (status, handled) == (200, [expected])
