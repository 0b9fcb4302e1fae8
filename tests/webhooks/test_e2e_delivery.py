"""The TEL4VN simulator delivering event hooks to a WebhookReceiver, end to end on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from telcall import AsyncTel4vnClient
from telcall._core.records import CallStatus
from telcall.simulator import DeliveryOptions, Tel4vnSimulator
from telcall.tel4vn.events import AnsweredEvent, CdrEvent, Event, HangupEvent, RingingEvent
from telcall.webhooks import DeliveryContext

ALL_EVENTS = ("ringing", "answered", "hangup", "cdr")
APIKEY = "cb-apikey-7f3a9e"  # the receiver fixture's default key
FAST = DeliveryOptions(retries=2, timeout=2.0, backoff=0.0)

SimFactory = Callable[..., Awaitable[Tel4vnSimulator]]


@pytest.fixture
async def delivering(
    tel4vn_simulator_factory: SimFactory,
) -> Callable[..., Awaitable[Tel4vnSimulator]]:
    """`await delivering(options)`: a running simulator with event delivery on."""

    async def start(options: DeliveryOptions = FAST) -> Tel4vnSimulator:
        return await tel4vn_simulator_factory(cdrs=10, deliver_events=True, delivery=options)

    return start


async def subscribe(
    sim: Tel4vnSimulator,
    url: str,
    events: tuple[str, ...] = ALL_EVENTS,
    apikey: str | None = APIKEY,
) -> None:
    """Make `url`'s subscriptions exactly `events` through the real client."""
    async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as client:
        await client.events.ensure(url, events=events, apikey=apikey)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def raw_server(
    handler: Callable[[web.Request], Awaitable[web.Response]],
) -> AsyncIterator[str]:
    """Serve `handler` on 127.0.0.1 (any free port); yield its URL."""
    app = web.Application()
    app.router.add_post("/hook", handler)
    async with TestServer(app, host="127.0.0.1") as server:
        yield str(server.make_url("/hook"))


async def test_answered_call_reaches_callback_typed(start_hook, delivering) -> None:
    """An answered outbound call arrives as ringing, answered, hangup, cdr, each typed."""
    hook = await start_hook()
    sim = await delivering()
    await subscribe(sim, hook.url)

    payloads = await sim.simulate_call(direction="outbound", extensions="105", talk_seconds=42)

    events = hook.recorder.events
    assert [type(e) for e in events] == [RingingEvent, AnsweredEvent, HangupEvent, CdrEvent]
    assert [e.state for e in events] == [p["state"] for p in payloads]
    assert {e.call_id for e in events} == {payloads[0]["call_id"]}
    ringing, answered, hangup, cdr = events
    assert (ringing.from_number, ringing.to_number, ringing.direction) == (
        "105",
        "0899888999",
        "outbound",
    )
    assert (hangup.duration, hangup.billsec) == (47, 42)
    assert answered.time_answered == hangup.time_answered == cdr.time_answered != ""
    assert isinstance(cdr, CdrEvent)
    record = cdr.to_call_record()
    assert (record.status, record.billsec, record.duration) == (CallStatus.ANSWERED, 42, 47)
    assert record.recording_url == f"http://recording.demo/{cdr.call_id}"
    assert [(d.state, d.attempt, d.status) for d in sim.deliveries] == [
        (state, 1, 200) for state in ALL_EVENTS
    ]


async def test_unanswered_call_skips_answered(start_hook, delivering) -> None:
    """A call nobody picks up sends ringing, hangup and a NO-ANSWERED cdr."""
    hook = await start_hook()
    sim = await delivering()
    await subscribe(sim, hook.url)

    await sim.simulate_call(direction="inbound", answered=False)

    assert [e.state for e in hook.recorder.events] == ["ringing", "hangup", "cdr"]
    hangup, cdr = hook.recorder.events[1:]
    assert isinstance(hangup, HangupEvent)
    assert isinstance(cdr, CdrEvent)
    assert hangup.billsec == 0
    assert (cdr.status, cdr.time_answered, cdr.recording_url) == ("NO-ANSWERED", "", "")
    assert cdr.to_call_record().status is CallStatus.NO_ANSWER


async def test_inbound_flow_cdr_carries_flow_call_id(start_hook, delivering) -> None:
    """Ringing several extensions: per-extension call_ids, and the cdr carries the flow's id."""
    hook = await start_hook()
    sim = await delivering()
    await subscribe(sim, hook.url)

    await sim.simulate_call(direction="inbound", extensions=("101", "103", "104"), call_id="flow")

    events = hook.recorder.events
    assert [e.state for e in events] == [
        *("ringing", "hangup") * 2,
        *("ringing", "answered", "hangup", "cdr"),
    ]
    legs = [e.call_id for e in events if e.state == "ringing"]
    assert len(set(legs)) == 3
    assert "flow" not in legs
    assert events[-1].call_id == "flow"
    assert [e.to_number for e in events if e.state == "ringing"] == ["101", "103", "104"]
    assert events[-2].call_id == legs[-1]


async def test_click_to_call_delivers_in_background(start_hook, delivering) -> None:
    """A successful click-to-call's events arrive with the call_id click-to-call returned."""
    hook = await start_hook()
    sim = await delivering()
    await subscribe(sim, hook.url, ("ringing", "cdr"))

    async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as client:
        result = await client.click2call.call_nowait(
            ext="101", phone="0899098899", hotline="19001919", customer_id="cust-7"
        )
    await sim.wait_for_deliveries()

    assert [e.state for e in hook.recorder.events] == ["ringing", "cdr"]
    assert {(e.call_id, e.ref_id, e.application) for e in hook.recorder.events} == {
        (result.call_id, "cust-7", "click2call")
    }


async def test_duplicates_reach_callback_once(start_hook, delivering) -> None:
    """Each event delivered three times on purpose reaches the callback once."""
    hook = await start_hook()
    sim = await delivering(DeliveryOptions(duplicate_rate=1.0, extra_copies=2))
    await subscribe(sim, hook.url)

    await sim.simulate_call()

    assert [e.state for e in hook.recorder.events] == list(ALL_EVENTS)
    assert len(sim.deliveries) == 12
    assert all(d.status == 200 for d in sim.deliveries)
    assert sum(d.duplicate for d in sim.deliveries) == 8


@pytest.mark.parametrize(
    "apikey", [pytest.param("wrong-key", id="wrong"), pytest.param(None, id="missing")]
)
async def test_bad_apikey_is_401_and_retried_bounded(start_hook, delivering, apikey) -> None:
    """A subscription with the wrong or no api key gets 401s, retried a bounded number of times."""
    hook = await start_hook()
    sim = await delivering()
    await subscribe(sim, hook.url, ("hangup",), apikey=apikey)

    await sim.simulate_call()

    assert hook.recorder.events == []
    assert [(d.state, d.attempt, d.status) for d in sim.deliveries] == [
        ("hangup", 1, 401),
        ("hangup", 2, 401),
        ("hangup", 3, 401),
    ]


async def test_raising_callback_gets_500_then_retry_is_handled(start_hook, delivering) -> None:
    """A callback that raises answers 500; the simulator's retry is then handled once."""
    hook = await start_hook()
    hook.recorder.failures = 1
    sim = await delivering()
    await subscribe(sim, hook.url, ("cdr",))

    await sim.simulate_call()

    assert [e.state for e in hook.recorder.events] == ["cdr"]
    assert [(d.attempt, d.status) for d in sim.deliveries] == [(1, 500), (2, 200)]


async def test_timeout_is_retried(delivering) -> None:
    """A receiver slower than the delivery timeout gets the event again."""
    seen: list[bytes] = []
    release = asyncio.Event()

    async def stuck_once(request: web.Request) -> web.Response:
        seen.append(await request.read())
        if len(seen) == 1:
            await release.wait()
        return web.json_response({"ok": True})

    async with raw_server(stuck_once) as url:
        sim = await delivering(DeliveryOptions(timeout=0.3, backoff=0.0))
        await subscribe(sim, url, ("hangup",))
        await sim.simulate_call()
        release.set()

    assert [(d.attempt, d.status, d.error) for d in sim.deliveries] == [
        (1, None, "timeout"),
        (2, 200, ""),
    ]
    assert seen[0] == seen[1]


async def test_retry_of_a_slow_failing_callback_is_not_lost(start_hook, delivering) -> None:
    """Provider gives up at 0.3 s; a 0.6 s callback fails once: handled exactly once, not lost."""
    calls: list[int | None] = []
    handled: list[Event] = []

    async def on_event(event: Event, context: DeliveryContext) -> None:
        calls.append(context.attempt)
        await asyncio.sleep(0.6)
        if len(calls) == 1:
            raise RuntimeError("the first try fails")
        handled.append(event)

    hook = await start_hook(on_event=on_event)
    sim = await delivering(DeliveryOptions(timeout=0.3, retries=10, backoff=0.1))
    await subscribe(sim, hook.url, ("cdr",))

    with anyio.fail_after(60):
        await sim.simulate_call()

    assert [e.state for e in handled] == ["cdr"]
    assert len(calls) == 2
    assert calls[0] == 1
    assert calls[1] is not None
    assert calls[1] > 1
    outcomes = [(d.status, d.error) for d in sim.deliveries]
    assert outcomes[0] == (None, "timeout")
    assert (503, "") in outcomes
    assert outcomes[-1] == (200, "")
    assert {status for status, _ in outcomes} <= {None, 200, 503}


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        pytest.param(b'{"state": "cdr", "call_id": "' + b"x" * 70_000 + b'"}', 413, None, id="big"),
        pytest.param(b"not json at all", 400, "not JSON", id="not-json"),
        pytest.param(b'{"state": "transfer", "call_id": "c"}', 400, None, id="unknown-state"),
    ],
)
async def test_bad_bodies_are_refused(start_hook, body, status, error) -> None:
    """Oversized, non-JSON and unknown-state bodies get 413/400 and never reach the callback."""
    hook = await start_hook()

    got, reply = await hook.post(body)

    assert (got, reply["ok"]) == (status, False)
    assert error is None or reply["error"] == error
    assert hook.recorder.events == []


async def test_reorder_delivers_out_of_order(start_hook, delivering) -> None:
    """With reorder, a call's events arrive in an order other than the call's own."""
    hook = await start_hook()
    sim = await delivering(DeliveryOptions(reorder=True, seed=3))
    await subscribe(sim, hook.url)

    await sim.simulate_call()

    sequences = [e.sequence for e in hook.recorder.events]
    assert sorted(sequences) == [1, 2, 3, 4]
    assert sequences != [1, 2, 3, 4]


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://example.com/hooks/tel4vn", id="public-name"),
        pytest.param("http://10.20.30.40:8090/hooks", id="private-ip"),
        pytest.param("ftp://127.0.0.1/hooks", id="not-http"),
    ],
)
async def test_non_loopback_callback_is_refused(start_hook, delivering, caplog, url) -> None:
    """Only loopback callbacks are called; others are logged, recorded as refused and skipped."""
    hook = await start_hook()
    sim = await delivering()
    await subscribe(sim, url, ("cdr",))
    await subscribe(sim, hook.url, ("cdr",))

    with caplog.at_level(logging.WARNING, logger="telcall.simulator"):
        await sim.simulate_call()

    refused = [d for d in sim.deliveries if d.url == url]
    assert [(d.attempt, d.status, d.error) for d in refused] == [
        (0, None, "refused: not a loopback URL")
    ]
    assert "only calls loopback URLs" in caplog.text
    assert [e.state for e in hook.recorder.events] == ["cdr"]


async def test_header_and_scheme_are_configurable(start_hook, delivering) -> None:
    """The api key can go out in another header, without a scheme."""
    hook = await start_hook(header="X-Api-Key", scheme=None)
    sim = await delivering(DeliveryOptions(header="X-Api-Key", scheme=None))
    await subscribe(sim, hook.url, ("ringing",))

    await sim.simulate_call()

    assert [e.state for e in hook.recorder.events] == ["ringing"]


async def test_emit_events_delivers_payloads_as_given(start_hook, delivering) -> None:
    """emit_events posts hand-made payloads, in the given order, extra fields and all."""
    hook = await start_hook()
    sim = await delivering()
    await subscribe(sim, hook.url)
    payloads: list[dict[str, Any]] = [
        {"call_id": "c-1", "state": "hangup", "duration": 9, "billsec": 4, "custom": 1},
        {"call_id": "c-1", "state": "ringing"},
    ]

    await sim.emit_events(payloads)

    assert [type(e) for e in hook.recorder.events] == [HangupEvent, RingingEvent]


async def test_aclose_cancels_deliveries_in_flight(tel4vn_simulator_factory) -> None:
    """Closing the simulator cancels and awaits a delivery stuck on a hanging receiver."""
    arrived, release = asyncio.Event(), asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        arrived.set()
        await release.wait()
        return web.json_response({"ok": True})

    async with raw_server(hang) as url:
        sim = await tel4vn_simulator_factory(
            cdrs=10, deliver_events=True, delivery=DeliveryOptions(timeout=30)
        )
        await subscribe(sim, url, ("ringing",))
        async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as client:
            await client.click2call.call_nowait(ext="101", phone="0899098899")
        await asyncio.wait_for(arrived.wait(), 5)

        await asyncio.wait_for(sim.aclose(), 2)
        await asyncio.wait_for(sim.wait_for_deliveries(), 1)
        release.set()

    assert sim.deliveries == []


async def test_delivery_off_by_default() -> None:
    """Without deliver_events nothing is delivered and the helpers say why."""
    async with Tel4vnSimulator(cdrs=10) as sim:
        with pytest.raises(RuntimeError, match="deliver_events"):
            await sim.simulate_call()
        with pytest.raises(RuntimeError, match="deliver_events"):
            await sim.emit_events([])
        await sim.wait_for_deliveries()
        assert sim.deliveries == []
    with pytest.raises(ValueError, match="deliver_events=True"):
        Tel4vnSimulator(delivery=DeliveryOptions())


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"retries": -1}, id="retries"),
        pytest.param({"timeout": 0}, id="timeout"),
        pytest.param({"backoff": -0.1}, id="backoff"),
        pytest.param({"duplicate_rate": 1.5}, id="rate"),
        pytest.param({"extra_copies": 0}, id="copies"),
    ],
)
def test_delivery_options_are_checked(options) -> None:
    """DeliveryOptions refuses values that cannot mean anything."""
    with pytest.raises(ValueError):
        DeliveryOptions(**options)
