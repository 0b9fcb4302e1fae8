"""WebhookReceiver as a bare ASGI 3 application, driven by a hand-written harness."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import anyio
import msgspec
import pytest

from telcall.tel4vn.events import Event, HangupEvent
from telcall.webhooks import DeliveryContext, MemoryDedupeStore, WebhookReceiver

APIKEY = "asgi-key-42"
AUTH = (b"authorization", f"Bearer {APIKEY}".encode())


@dataclass
class Exchange:
    """What one ASGI call sent back, and how much of the request it consumed."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    received: int = 0

    @property
    def status(self) -> int:
        """The response status."""
        return int(self.sent[0]["status"])

    @property
    def headers(self) -> dict[bytes, bytes]:
        """The response headers."""
        return dict(self.sent[0]["headers"])

    @property
    def json(self) -> Any:
        """The response body, decoded."""
        return msgspec.json.decode(self.sent[1]["body"])


async def call_asgi(
    app: WebhookReceiver,
    *,
    messages: Iterable[dict[str, Any]],
    method: str = "POST",
    headers: Iterable[tuple[bytes, bytes]] = (AUTH,),
    scope_type: str = "http",
    stall: bool = False,
) -> Exchange:
    """Run one ASGI request: ``messages`` are what ``receive`` returns, in order.

    Then ``receive`` reports a disconnect, or with ``stall`` never returns again.
    """
    exchange = Exchange()
    pending = list(messages)
    scope = {
        "type": scope_type,
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": "/hooks/tel4vn",
        "raw_path": b"/hooks/tel4vn",
        "query_string": b"",
        "root_path": "",
        "headers": list(headers),
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }

    async def receive() -> dict[str, Any]:
        exchange.received += 1
        if not pending and stall:
            await asyncio.Event().wait()
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        exchange.sent.append(message)

    await app(scope, receive, send)
    return exchange


def body_messages(*chunks: bytes) -> list[dict[str, Any]]:
    """``http.request`` messages carrying ``chunks``, the last one closing the body."""
    return [
        {"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
        for index, chunk in enumerate(chunks)
    ]


class Recorder:
    """An on_event that keeps events."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    async def __call__(self, event: Event) -> None:
        self.events.append(event)


@pytest.fixture
def recorder() -> Recorder:
    """A fresh event recorder."""
    return Recorder()


@pytest.fixture
def receiver(recorder: Recorder) -> WebhookReceiver:
    """A receiver with default settings and the test api key."""
    return WebhookReceiver(apikey=APIKEY, on_event=recorder)


async def test_delivers_typed_event(receiver, recorder, make_body) -> None:
    """A good POST is answered 200 JSON and the callback gets the typed event."""
    exchange = await call_asgi(receiver, messages=body_messages(make_body("hangup", billsec=5)))

    assert exchange.status == 200
    assert exchange.json == {"ok": True}
    assert exchange.headers[b"content-type"] == b"application/json"
    assert exchange.headers[b"content-length"] == str(len(exchange.sent[1]["body"])).encode()
    [event] = recorder.events
    assert isinstance(event, HangupEvent)
    assert event.billsec == 5


async def test_duplicate_is_acknowledged_once(receiver, recorder, make_body) -> None:
    """A repeated delivery is answered 200 duplicate without a second callback."""
    body = make_body("ringing")

    await call_asgi(receiver, messages=body_messages(body))
    again = await call_asgi(receiver, messages=body_messages(body))

    assert again.json == {"ok": True, "duplicate": True}
    assert len(recorder.events) == 1


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param([], id="missing"),
        pytest.param([(b"authorization", b"Bearer nope")], id="wrong"),
        pytest.param([(b"authorization", b"Bearer \xff\xfe")], id="not-utf8"),
    ],
)
async def test_bad_key_is_refused_before_reading(receiver, recorder, make_body, headers) -> None:
    """Without the right key the answer is 401 and the body is never read."""
    exchange = await call_asgi(receiver, messages=body_messages(make_body()), headers=headers)

    assert exchange.status == 401
    assert exchange.received == 0
    assert recorder.events == []


async def test_body_split_over_messages(receiver, recorder, make_body) -> None:
    """A body spread over several ``http.request`` messages (some empty) is reassembled."""
    body = make_body("answered")

    exchange = await call_asgi(receiver, messages=body_messages(body[:10], b"", body[10:]))

    assert exchange.status == 200
    assert len(recorder.events) == 1


async def test_streamed_body_over_limit_is_cut_off(recorder) -> None:
    """Reading stops with 413 as soon as the streamed body passes ``max_body``."""
    receiver = WebhookReceiver(apikey=APIKEY, on_event=recorder, max_body=64)

    exchange = await call_asgi(receiver, messages=body_messages(*[b"x" * 40] * 10))

    assert exchange.status == 413
    assert exchange.received == 2
    assert recorder.events == []


async def test_declared_length_over_limit_is_refused_unread(recorder) -> None:
    """A Content-Length over ``max_body`` gets 413 before any body is received."""
    receiver = WebhookReceiver(apikey=APIKEY, on_event=recorder, max_body=64)

    exchange = await call_asgi(
        receiver, messages=body_messages(b"x" * 65), headers=[AUTH, (b"content-length", b"65")]
    )

    assert exchange.status == 413
    assert exchange.received == 0


async def test_other_methods_get_405(receiver) -> None:
    """Only POST is accepted, and the answer says so."""
    exchange = await call_asgi(receiver, messages=[], method="GET")

    assert exchange.status == 405
    assert exchange.headers[b"allow"] == b"POST"


async def test_client_gone_mid_body_gets_no_answer(receiver, recorder, make_body) -> None:
    """If the client disconnects before the body is complete nothing is sent or handled."""
    body = make_body()
    messages = [{"type": "http.request", "body": body[:5], "more_body": True}]

    exchange = await call_asgi(receiver, messages=messages)

    assert exchange.sent == []
    assert recorder.events == []


async def test_failing_callback_gets_500(make_body) -> None:
    """A raising callback is answered 500 through ASGI too."""

    async def explode(event: Event) -> None:
        raise LookupError("no such order")

    receiver = WebhookReceiver(apikey=APIKEY, on_event=explode)

    exchange = await call_asgi(receiver, messages=body_messages(make_body()))

    assert exchange.status == 500


async def test_cancelled_callback_lets_the_retry_through(make_body) -> None:
    """A delivery cancelled mid-callback drops its dedupe mark, so the retry is handled."""
    started, handled = asyncio.Event(), []
    store = MemoryDedupeStore()

    async def slow(event: Event) -> None:
        if not handled:
            handled.append(None)
            started.set()
            await asyncio.Event().wait()

    receiver = WebhookReceiver(apikey=APIKEY, on_event=slow, dedupe=store)
    body = make_body("cdr")
    first = asyncio.ensure_future(call_asgi(receiver, messages=body_messages(body)))
    await started.wait()

    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert len(store) == 0
    retry = await call_asgi(receiver, messages=body_messages(body))

    assert retry.json == {"ok": True}
    assert len(store) == 1


async def test_lifespan_is_acknowledged(receiver) -> None:
    """Served on its own, the receiver completes the lifespan handshake."""
    exchange = await call_asgi(
        receiver,
        scope_type="lifespan",
        messages=[{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}],
    )

    assert exchange.sent == [
        {"type": "lifespan.startup.complete"},
        {"type": "lifespan.shutdown.complete"},
    ]


async def test_websocket_is_not_accepted(receiver) -> None:
    """A websocket scope is left unaccepted, which makes the server refuse it."""
    exchange = await call_asgi(receiver, scope_type="websocket", messages=[])

    assert exchange.sent == []


async def test_copy_in_progress_gets_503_through_asgi(make_body) -> None:
    """Through ASGI too, a copy that arrives while the first is handled is told to retry."""
    gate, entered = asyncio.Event(), asyncio.Event()

    async def slow(event: Event) -> None:
        entered.set()
        await gate.wait()

    receiver = WebhookReceiver(apikey=APIKEY, on_event=slow)
    body = make_body("answered")
    first = asyncio.create_task(call_asgi(receiver, messages=body_messages(body)))
    await entered.wait()

    retry = await call_asgi(receiver, messages=body_messages(body))
    gate.set()

    assert (retry.status, retry.json) == (503, {"ok": False, "error": "delivery in progress"})
    assert retry.headers[b"retry-after"] == b"5"
    assert (await first).json == {"ok": True}


async def test_stalled_body_gets_408(recorder, make_body) -> None:
    """A body whose rest never comes is answered 408 after ``read_timeout``, closing the line."""
    receiver = WebhookReceiver(apikey=APIKEY, on_event=recorder, read_timeout=0.2)
    body = make_body()
    messages = [{"type": "http.request", "body": body[:5], "more_body": True}]

    with anyio.fail_after(10):
        exchange = await call_asgi(receiver, messages=messages, stall=True)

    assert exchange.status == 408
    assert exchange.headers[b"connection"] == b"close"
    assert exchange.json == {"ok": False, "error": "body not received within 0.2 s"}
    assert recorder.events == []


async def test_context_carries_the_asgi_peer(make_body) -> None:
    """A context-taking ``on_event`` gets the ASGI client address and the other headers."""
    contexts: list[DeliveryContext] = []

    async def on_event(event: Event, context: DeliveryContext) -> None:
        contexts.append(context)

    receiver = WebhookReceiver(apikey=APIKEY, on_event=on_event)
    await call_asgi(
        receiver, messages=body_messages(make_body()), headers=[AUTH, (b"x-request-id", b"r-9")]
    )

    [context] = contexts
    assert (context.remote, context.attempt) == ("127.0.0.1", None)
    assert dict(context.headers) == {"x-request-id": "r-9"}


async def test_lifespan_shutdown_drains_then_cancels(make_body) -> None:
    """Lifespan shutdown waits ``shutdown_timeout`` for callbacks, cancels them, frees the keys."""
    entered = asyncio.Event()

    async def stuck(event: Event) -> None:
        entered.set()
        await asyncio.Event().wait()

    store = MemoryDedupeStore()
    receiver = WebhookReceiver(apikey=APIKEY, on_event=stuck, dedupe=store, shutdown_timeout=0.2)
    body = make_body("cdr")
    request = asyncio.create_task(call_asgi(receiver, messages=body_messages(body)))
    await entered.wait()

    with anyio.fail_after(10):
        lifespan = await call_asgi(
            receiver,
            scope_type="lifespan",
            messages=[{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}],
        )
        exchange = await request
    late = await call_asgi(receiver, messages=body_messages(make_body("ringing")))

    assert lifespan.sent[-1] == {"type": "lifespan.shutdown.complete"}
    assert (exchange.status, exchange.json) == (503, {"ok": False, "error": "shutting down"})
    assert exchange.headers[b"retry-after"] == b"5"
    assert await store.begin("tel4vn:avavavav-1111-2222-3333-eeeeeeee:cdr", 60) == "new"
    assert (late.status, late.json) == (503, {"ok": False, "error": "shutting down"})
