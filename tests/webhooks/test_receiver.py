"""WebhookReceiver on a real aiohttp.web server, driven by a real aiohttp client."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

import telcall.webhooks as webhooks_module
from telcall._core.errors import ValidationError
from telcall.tel4vn.events import AnsweredEvent, CdrEvent, Event, HangupEvent, RingingEvent
from telcall.webhooks import DeliveryContext, MemoryDedupeStore, WebhookReceiver

from .conftest import DEFAULT_APIKEY

SECRET = "signing-secret-51c0"
IN_PROGRESS = {"ok": False, "error": "delivery in progress"}
DUPLICATE = {"ok": True, "duplicate": True}


def sign(body: bytes, secret: str = SECRET) -> str:
    """The hex HMAC-SHA256 a signing proxy would add."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def ignore(event: object) -> None:
    """An on_event that does nothing."""


@pytest.mark.parametrize(
    ("state", "cls"),
    [
        pytest.param("ringing", RingingEvent, id="ringing"),
        pytest.param("answered", AnsweredEvent, id="answered"),
        pytest.param("hangup", HangupEvent, id="hangup"),
        pytest.param("cdr", CdrEvent, id="cdr"),
    ],
)
async def test_each_state_reaches_callback_typed(start_hook, make_body, state, cls) -> None:
    """Every documented state is answered 200 and handed over as its own type."""
    hook = await start_hook()

    status, reply = await hook.post(make_body(state, duration=10))

    assert (status, reply) == (200, {"ok": True})
    [event] = hook.recorder.events
    assert type(event) is cls
    assert event.call_id == "avavavav-1111-2222-3333-eeeeeeee"


async def test_repeated_delivery_reaches_callback_once(start_hook, make_body) -> None:
    """The same event delivered three times is handled once; the repeats say duplicate."""
    hook = await start_hook()
    body = make_body("hangup", duration=10, billsec=5)

    replies = [await hook.post(body) for _ in range(3)]

    assert replies == [
        (200, {"ok": True}),
        (200, {"ok": True, "duplicate": True}),
        (200, {"ok": True, "duplicate": True}),
    ]
    assert len(hook.recorder.events) == 1


async def test_concurrent_copies_reach_callback_once(start_hook, make_body) -> None:
    """Copies racing each other (a retry while the first is in flight) are handled once."""
    hook = await start_hook()
    body = make_body("answered")

    replies = await asyncio.gather(*(hook.post(body) for _ in range(5)))

    handled = [reply for reply in replies if reply == (200, {"ok": True})]
    # A copy that lands while the first runs is told to retry; one that lands after is a duplicate.
    assert len(handled) == 1
    assert all(
        reply in ((503, IN_PROGRESS), (200, DUPLICATE)) for reply in replies if reply not in handled
    )
    assert len(hook.recorder.events) == 1


async def test_copy_of_a_delivery_in_progress_gets_503(start_hook, make_body) -> None:
    """A retry while the first callback still runs gets 503 + Retry-After, not a duplicate ack."""
    hook = await start_hook()
    hook.recorder.gate = asyncio.Event()
    body = make_body("cdr")
    first = asyncio.create_task(hook.post(body))
    await hook.recorder.entered.wait()

    retry = await hook.post(body)

    assert retry == (503, IN_PROGRESS)
    assert hook.last_headers["Retry-After"] == "5"
    hook.recorder.gate.set()
    assert await first == (200, {"ok": True})
    assert await hook.post(body) == (200, DUPLICATE)
    assert len(hook.recorder.events) == 1


async def test_failed_callback_releases_its_claim_for_the_retry(start_hook, make_body) -> None:
    """A callback that fails after a retry was turned away lets the next retry through."""
    hook = await start_hook()
    hook.recorder.gate = asyncio.Event()
    hook.recorder.failures = 1
    body = make_body("hangup")
    first = asyncio.create_task(hook.post(body))
    await hook.recorder.entered.wait()

    turned_away = await hook.post(body)
    hook.recorder.gate.set()
    failed = await first
    retried = await hook.post(body)

    assert (turned_away[0], failed[0], retried) == (503, 500, (200, {"ok": True}))
    assert len(hook.recorder.events) == 1


class LegacyStore:
    """A store written against the original protocol: only ``seen`` and ``forget``."""

    def __init__(self) -> None:
        self.keys: set[str] = set()

    async def seen(self, key: str, ttl: float) -> bool:
        if key in self.keys:
            return True
        self.keys.add(key)
        return False

    async def forget(self, key: str) -> None:
        self.keys.discard(key)


async def test_legacy_store_still_dedupes(start_hook, make_body) -> None:
    """A ``seen``/``forget`` store keeps working: repeats are duplicates, failures are retried."""
    store = LegacyStore()
    hook = await start_hook(dedupe=store)
    hook.recorder.failures = 1
    body = make_body("cdr")

    replies = [await hook.post(body) for _ in range(3)]

    assert [status for status, _ in replies] == [500, 200, 200]
    assert replies[2] == (200, DUPLICATE)
    assert store.keys == {"tel4vn:avavavav-1111-2222-3333-eeeeeeee:cdr"}
    assert len(hook.recorder.events) == 1


async def test_legacy_store_turns_away_a_copy_in_progress_here(start_hook, make_body) -> None:
    """Within one process even a legacy store's in-progress copies get 503, not a duplicate ack."""
    hook = await start_hook(dedupe=LegacyStore())
    hook.recorder.gate = asyncio.Event()
    body = make_body("cdr")
    first = asyncio.create_task(hook.post(body))
    await hook.recorder.entered.wait()

    retry = await hook.post(body)
    hook.recorder.gate.set()

    assert retry == (503, IN_PROGRESS)
    assert await first == (200, {"ok": True})


@pytest.mark.parametrize(
    "call_id",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="spaces"),
        pytest.param("\t\n", id="tab-newline"),
    ],
)
async def test_event_without_an_id_is_rejected(start_hook, make_body, call_id) -> None:
    """An event with no call_id gets 400, so it can neither be handled nor shadow later ones."""
    hook = await start_hook()
    body = make_body("hangup", call_id=call_id)

    replies = [await hook.post(body) for _ in range(2)]

    assert replies == [(400, {"ok": False, "error": "event has no call_id"})] * 2
    assert hook.recorder.events == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"[" * 200_000 + b"]" * 200_000, id="deep-array"),
        pytest.param(
            b'{"call_id": "c1", "state": "hangup", "extra": '
            + b"[" * 200_000
            + b"]" * 200_000
            + b"}",
            id="deep-unknown-field",
        ),
        pytest.param(b'{"state": ' + b"[" * 200_000, id="deep-state"),
        pytest.param(
            b'{"call_id": "c1", "state": "cdr", "x": '
            + b'{"a": ' * 100_000
            + b"1"
            + b"}" * 100_001,
            id="deep-object",
        ),
    ],
)
async def test_deeply_nested_body_gets_400(start_hook, body) -> None:
    """A body nested 100k+ levels deep is a 400, never a 500 the provider would retry forever."""
    hook = await start_hook(max_body=1_000_000)

    status, reply = await hook.post(body)

    assert status == 400
    assert reply["ok"] is False
    assert reply["error"] in ("nested too deeply", "invalid event: Expected `object`, got `array`")
    assert hook.recorder.events == []


async def test_on_event_asking_for_a_context_gets_the_delivery(start_hook, make_body) -> None:
    """A two-argument ``on_event`` also gets headers (credentials removed), peer, time, attempt."""
    got: list[tuple[object, DeliveryContext]] = []

    async def on_event(event: Event, context: DeliveryContext) -> None:
        got.append((event, context))

    hook = await start_hook(on_event=on_event, signature_secret=SECRET)
    body = make_body("ringing")
    before = datetime.now(UTC)

    await hook.post(
        body,
        headers={"X-Telcall-Signature": sign(body), "X-Telcall-Attempt": "3", "X-Trace": "t-1"},
    )

    [(event, context)] = got
    assert isinstance(event, RingingEvent)
    assert context.remote == "127.0.0.1"
    assert context.attempt == 3
    assert context.headers["x-trace"] == "t-1"
    assert "authorization" not in context.headers
    assert "x-telcall-signature" not in context.headers
    assert before <= context.received_at <= datetime.now(UTC)
    assert DEFAULT_APIKEY not in repr(context)


@pytest.mark.parametrize(
    "value", [pytest.param("", id="empty"), pytest.param("x", id="text"), pytest.param("0", id="0")]
)
async def test_unusable_attempt_header_is_none(start_hook, make_body, value) -> None:
    """An attempt header that is not a positive integer is reported as unknown."""
    attempts: list[int | None] = []

    async def on_event(event: Event, context: DeliveryContext) -> None:
        attempts.append(context.attempt)

    hook = await start_hook(on_event=on_event)
    await hook.post(make_body("ringing"), headers={"X-Telcall-Attempt": value})

    assert attempts == [None]


async def test_other_states_of_one_call_are_not_duplicates(start_hook, make_body) -> None:
    """De-duplication keys on (call_id, state), so a call's four events all get through."""
    hook = await start_hook()

    for state in ("ringing", "answered", "hangup", "cdr"):
        await hook.post(make_body(state))

    assert [event.state for event in hook.recorder.events] == [
        "ringing",
        "answered",
        "hangup",
        "cdr",
    ]


async def test_dedupe_none_passes_every_delivery(start_hook, make_body) -> None:
    """``dedupe=None`` hands every delivery to the callback."""
    hook = await start_hook(dedupe=None)

    for _ in range(3):
        await hook.post(make_body("ringing"))

    assert len(hook.recorder.events) == 3


async def test_shared_store_dedupes_across_receivers(start_hook, make_body) -> None:
    """Two receivers (think: two workers) sharing one store handle an event once."""
    store = MemoryDedupeStore()
    first = await start_hook(dedupe=store)
    second = await start_hook(dedupe=store)

    await first.post(make_body("cdr"))
    status, reply = await second.post(make_body("cdr"))

    assert (status, reply) == (200, {"ok": True, "duplicate": True})
    assert (len(first.recorder.events), len(second.recorder.events)) == (1, 0)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"Authorization": "Bearer wrong-key"}, id="wrong-key"),
        pytest.param({"Authorization": "Bearer "}, id="empty-key"),
        pytest.param({"Authorization": "cb-apikey-7f3a9e"}, id="no-scheme"),
        pytest.param({"Authorization": "Basic cb-apikey-7f3a9e"}, id="other-scheme"),
        pytest.param({"X-Api-Key": "cb-apikey-7f3a9e"}, id="other-header"),
    ],
)
async def test_bad_credentials_are_refused(start_hook, make_body, headers) -> None:
    """A missing or wrong api key gets 401 and never reaches the callback."""
    hook = await start_hook()

    status, reply = await hook.post(make_body("hangup"), headers=headers, auth=False)

    assert (status, reply) == (401, {"ok": False, "error": "unauthorized"})
    assert hook.recorder.events == []


@pytest.mark.parametrize(
    ("options", "headers", "expected"),
    [
        pytest.param({}, {"Authorization": "bearer k-1"}, 200, id="scheme-any-case"),
        pytest.param(
            {"header": "X-Api-Key", "scheme": None}, {"X-Api-Key": "k-1"}, 200, id="raw-key"
        ),
        pytest.param(
            {"header": "X-Api-Key", "scheme": ""}, {"x-api-key": "k-1"}, 200, id="empty-scheme"
        ),
        pytest.param(
            {"header": "X-Api-Key", "scheme": None},
            {"X-Api-Key": "Bearer k-1"},
            401,
            id="raw-key-refuses-scheme",
        ),
        pytest.param({"scheme": "Token"}, {"Authorization": "Token k-1"}, 200, id="token"),
        pytest.param({"scheme": "Token"}, {"Authorization": "Bearer k-1"}, 401, id="not-token"),
    ],
)
async def test_custom_header_and_scheme(start_hook, make_body, options, headers, expected) -> None:
    """The api key header name and scheme are configurable."""
    hook = await start_hook(apikey="k-1", **options)

    status, _ = await hook.post(make_body("ringing"), headers=headers, auth=False)

    assert status == expected
    assert len(hook.recorder.events) == (1 if expected == 200 else 0)


@pytest.mark.parametrize(
    ("apikey", "auth", "signature", "expected"),
    [
        pytest.param(None, False, "good", 200, id="signature-only"),
        pytest.param(None, False, "GOOD", 200, id="upper-case-hex"),
        pytest.param(None, False, "bad", 401, id="wrong-signature"),
        pytest.param(None, False, "other-secret", 401, id="other-secret"),
        pytest.param(None, False, None, 401, id="missing-signature"),
        pytest.param("k-1", True, "good", 200, id="both-good"),
        pytest.param("k-1", True, "bad", 401, id="key-good-signature-bad"),
        pytest.param("k-1", False, "good", 401, id="signature-good-key-missing"),
    ],
)
async def test_signature_mode(start_hook, make_body, apikey, auth, signature, expected) -> None:
    """HMAC-SHA256 over the raw body is checked, alone or together with the api key."""
    hook = await start_hook(apikey=apikey, signature_secret=SECRET)
    body = make_body("hangup")
    signatures = {
        "good": sign(body),
        "GOOD": sign(body).upper(),
        "bad": sign(body + b" "),
        "other-secret": sign(body, "another-secret"),
    }
    headers = {"X-Telcall-Signature": signatures[signature]} if signature else {}

    status, _ = await hook.post(body, headers=headers, auth=auth)

    assert status == expected
    assert len(hook.recorder.events) == (1 if expected == 200 else 0)


async def test_signature_header_is_configurable(start_hook, make_body) -> None:
    """The signature header name can follow the signing proxy's convention."""
    hook = await start_hook(apikey=None, signature_secret=SECRET, signature_header="X-Sig")
    body = make_body("cdr")

    status, _ = await hook.post(body, headers={"X-Sig": sign(body)}, auth=False)

    assert status == 200


async def test_oversized_body_is_refused_by_content_length(start_hook, make_body) -> None:
    """A declared Content-Length over ``max_body`` gets 413 without reaching the callback."""
    hook = await start_hook(max_body=100)

    status, reply = await hook.post(make_body("hangup", recording_url="x" * 200))

    assert (status, reply) == (413, {"ok": False, "error": "body over 100 bytes"})
    assert hook.recorder.events == []


async def test_oversized_chunked_body_is_refused_while_reading(start_hook, make_body) -> None:
    """A chunked body with no Content-Length is cut off once it passes ``max_body``."""
    hook = await start_hook(max_body=1000)

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"call_id": "c1", "state": "hangup", "recording_url": "'
        for _ in range(50):
            yield b"x" * 100
        yield b'"}'

    status, _ = await hook.post(chunks())

    assert status == 413
    assert hook.recorder.events == []


async def test_body_at_the_limit_is_accepted(start_hook, make_body) -> None:
    """``max_body`` is inclusive: a body of exactly that size is read."""
    body = make_body("hangup")
    hook = await start_hook(max_body=len(body))

    status, _ = await hook.post(body)

    assert status == 200


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(b"<html>oops</html>", "not JSON", id="not-json"),
        pytest.param(b"", "not JSON", id="empty"),
        pytest.param(b'["call_id", "state"]', "invalid event: Expected `object`", id="array"),
        pytest.param(b'{"state": "cdr"}', "`call_id`", id="missing-call-id"),
        pytest.param(
            b'{"call_id": "c1", "state": "transfer"}',
            "unknown event state 'transfer'",
            id="unknown-state",
        ),
    ],
)
async def test_bad_bodies_get_400(start_hook, caplog, body, reason) -> None:
    """Bodies that are not a known event get 400 with a short reason, logged as a warning."""
    hook = await start_hook()

    with caplog.at_level(logging.WARNING, logger="telcall.webhooks"):
        status, reply = await hook.post(body)

    assert status == 400
    assert reply["ok"] is False
    assert reason in reply["error"]
    assert hook.recorder.events == []
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert reason in record.getMessage()


async def test_failing_callback_gets_500_and_the_retry_is_handled(
    start_hook, make_body, caplog
) -> None:
    """A raising callback answers 500 (logged with call_id/state); the retry is not a duplicate."""
    hook = await start_hook()
    hook.recorder.failures = 1
    body = make_body("cdr", call_id="flow-9")

    with caplog.at_level(logging.ERROR, logger="telcall.webhooks"):
        first = await hook.post(body)
    second = await hook.post(body)
    third = await hook.post(body)

    assert first == (500, {"ok": False, "error": "on_event failed"})
    assert second == (200, {"ok": True})
    assert third == (200, {"ok": True, "duplicate": True})
    assert len(hook.recorder.events) == 1
    [record] = caplog.records
    assert "call_id=flow-9 state=cdr" in record.getMessage()
    assert record.exc_info is not None


class BrokenStore:
    """A dedupe store whose backend is down."""

    async def seen(self, key: str, ttl: float) -> bool:
        raise ConnectionError("store unreachable")

    async def forget(self, key: str) -> None:
        raise ConnectionError("store unreachable")


async def test_unreachable_store_gets_500(start_hook, make_body) -> None:
    """When the dedupe store fails the delivery is refused with 500, not handled blindly."""
    hook = await start_hook(dedupe=BrokenStore())

    status, reply = await hook.post(make_body("hangup"))

    assert (status, reply) == (500, {"ok": False, "error": "dedupe store failed"})
    assert hook.recorder.events == []


async def test_wrong_method_is_not_routed(start_hook) -> None:
    """Only POST is mounted."""
    hook = await start_hook()

    async with hook.session.get(hook.url) as resp:
        assert resp.status == 405


async def test_secrets_never_reach_logs(start_hook, make_body, caplog) -> None:
    """Neither the api key, the presented key, the secret nor a header value is logged."""
    apikey, wrong = "k-live-0a1b2c3d", "k-guess-9z8y7x"
    hook = await start_hook(apikey=apikey, signature_secret=SECRET)
    body = make_body("hangup")
    good_signature = {"X-Telcall-Signature": sign(body)}

    with caplog.at_level(logging.DEBUG):
        await hook.post(body, headers=good_signature)
        await hook.post(body, headers={"Authorization": f"Bearer {wrong}"}, auth=False)
        await hook.post(body, headers={"X-Telcall-Signature": sign(body, wrong)})
        await hook.post(b"{oops", headers={"X-Telcall-Signature": sign(b"{oops")})
        hook.recorder.failures = 1
        other = make_body("cdr")
        await hook.post(other, headers={"X-Telcall-Signature": sign(other)})

    text = caplog.text + "".join(str(record.args) for record in caplog.records)
    assert len(caplog.records) >= 5
    for secret in (apikey, wrong, SECRET, sign(body), sign(body, wrong)):
        assert secret not in text
    assert apikey not in repr(hook.receiver)
    assert SECRET not in repr(hook.receiver)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param({"apikey": None}, "apikey or signature_secret", id="no-auth"),
        pytest.param({"apikey": ""}, "apikey or signature_secret", id="empty-key"),
        pytest.param({"apikey": "k", "max_body": 0}, "max_body", id="max-body"),
        pytest.param({"apikey": "k", "dedupe_ttl": 0}, "dedupe_ttl", id="ttl"),
        pytest.param({"apikey": "k", "dedupe": "redis"}, "dedupe must be", id="dedupe-name"),
        pytest.param({"apikey": "k", "dedupe": object()}, "dedupe must be", id="not-a-store"),
        pytest.param({"apikey": "k", "in_progress_ttl": 0}, "in_progress_ttl", id="claim-ttl"),
        pytest.param({"apikey": "k", "expected_rate": -1}, "expected_rate", id="rate"),
        pytest.param({"apikey": "k", "read_timeout": 0}, "read_timeout", id="read-timeout"),
        pytest.param(
            {"apikey": "k", "shutdown_timeout": -1}, "shutdown_timeout", id="shutdown-timeout"
        ),
    ],
)
def test_constructor_rejects_unsafe_settings(options, message) -> None:
    """An open endpoint or a useless limit is refused at construction."""
    with pytest.raises(ValidationError, match=message):
        WebhookReceiver(on_event=ignore, **options)


def test_public_names() -> None:
    """``telcall.webhooks`` exports exactly its public API."""
    assert webhooks_module.__all__ == (
        "DedupeState",
        "DedupeStore",
        "DeliveryContext",
        "MemoryDedupeStore",
        "TwoPhaseDedupeStore",
        "WebhookReceiver",
    )
    for name in webhooks_module.__all__:
        if name != "DedupeState":  # a type alias has no __module__
            assert getattr(webhooks_module, name).__module__.startswith("telcall.webhooks.")
