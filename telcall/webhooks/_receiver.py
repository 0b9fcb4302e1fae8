"""The TEL4VN hook endpoint, for aiohttp.web, any ASGI framework, and Starlette routes.

One request goes through the same steps whichever framework delivered it:
credentials (401), size (413), the body read within ``read_timeout`` (408),
signature (401), decoding (400), shutdown (503), de-duplication (503 while a
copy is in progress, 200 duplicate once it is done), then the user's callback
(200, or 500 so the provider retries).
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple, TypeAlias, cast, overload

import anyio
import msgspec
from aiohttp import web

from telcall._core import otel
from telcall._core.errors import ValidationError
from telcall.tel4vn.events import Event, parse_event
from telcall.webhooks._context import ATTEMPT_HEADER, DeliveryContext, EventCallback, parse_attempt
from telcall.webhooks._dedupe import (
    DedupeState,
    DedupeStore,
    MemoryDedupeStore,
    TwoPhaseDedupeStore,
)

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

__all__ = ("WebhookReceiver",)

logger = logging.getLogger("telcall.webhooks")

_Scope: TypeAlias = MutableMapping[str, Any]
_ASGIMessage: TypeAlias = MutableMapping[str, Any]
_ASGIReceive: TypeAlias = Callable[[], Awaitable[_ASGIMessage]]
_ASGISend: TypeAlias = Callable[[_ASGIMessage], Awaitable[None]]

# Seconds a turned-away provider is asked to wait; a copy in progress usually ends sooner.
_RETRY_AFTER: Final = "5"
# Bounds a store call made while shutting down or being cancelled, so a hung store cannot
# hold the process; and how long cancelled callbacks get to unwind at shutdown.
_STORE_GRACE: Final = 5.0


class _Reply(NamedTuple):
    """One answer: status, JSON body, extra headers, and whether to close the connection."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    close: bool = False


def _error(status: int, reason: str, *headers: tuple[str, str], close: bool = False) -> _Reply:
    return _Reply(status, msgspec.json.encode({"ok": False, "error": reason}), headers, close)


_OK: Final = _Reply(200, b'{"ok":true}')
_DUPLICATE: Final = _Reply(200, b'{"ok":true,"duplicate":true}')
_IN_PROGRESS: Final = _error(503, "delivery in progress", ("Retry-After", _RETRY_AFTER))
_SHUTTING_DOWN: Final = _error(503, "shutting down", ("Retry-After", _RETRY_AFTER))
_UNAUTHORIZED: Final = _error(401, "unauthorized")


class _TooLarge(Exception):
    """The body grew past ``max_body`` while it was being read."""


class _Disconnected(Exception):
    """The client went away before the body was complete; nobody is left to answer."""

    received = 0


async def _read_capped(read: Callable[[], Awaitable[bytes]], limit: int) -> bytes:
    """Read chunks until ``read`` returns ``b""``, refusing to hold more than ``limit`` bytes."""
    parts: list[bytes] = []
    size = 0
    try:
        while chunk := await read():
            size += len(chunk)
            if size > limit:
                raise _TooLarge
            parts.append(chunk)
    except _Disconnected as exc:
        exc.received = size
        raise
    return b"".join(parts)


class _ASGIBody:
    """Turns ASGI ``http.request`` messages into ``read()`` calls that end with ``b""``."""

    def __init__(self, receive: _ASGIReceive) -> None:
        self._receive = receive
        self._done = False

    async def read(self) -> bytes:
        """The next non-empty chunk, or ``b""`` once the body is complete."""
        while not self._done:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            self._done = not message.get("more_body", False)
            chunk: bytes = message.get("body", b"")
            if chunk:
                return chunk
        return b""


class _SeenForgetStore:
    """Drives an original ``seen``/``forget`` store through the two-phase calls.

    ``seen`` cannot say "in progress", so every recorded key reads as done;
    the receiver's own in-process claims cover copies that reach this process.
    """

    def __init__(self, store: DedupeStore, ttl: float) -> None:
        self.store = store
        self._ttl = ttl

    async def begin(self, key: str, ttl: float) -> DedupeState:
        return "done" if await self.store.seen(key, self._ttl) else "new"

    async def complete(self, key: str, ttl: float) -> None:
        """Nothing to do: ``seen`` already recorded the key for the whole window."""

    async def release(self, key: str) -> None:
        await self.store.forget(key)


def _two_phase(
    dedupe: DedupeStore | TwoPhaseDedupeStore | str | None, ttl: float, expected_rate: float
) -> TwoPhaseDedupeStore | _SeenForgetStore | None:
    if dedupe is None:
        return None
    if dedupe == "memory":
        return MemoryDedupeStore(ttl=ttl, expected_rate=expected_rate)
    if all(callable(getattr(dedupe, name, None)) for name in ("begin", "complete", "release")):
        return cast(TwoPhaseDedupeStore, dedupe)
    if all(callable(getattr(dedupe, name, None)) for name in ("seen", "forget")):
        return _SeenForgetStore(cast(DedupeStore, dedupe), ttl)
    raise ValidationError(
        f"dedupe must be 'memory', None or a store with begin/complete/release "
        f"(or seen/forget), not {dedupe!r}"
    )


def _takes_context(on_event: Callable[..., Awaitable[None]]) -> bool:
    """Whether ``on_event`` accepts a second positional argument (the delivery context)."""
    try:
        parameters = inspect.signature(on_event).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = 0
    for parameter in parameters:
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            return True
        if parameter.kind in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            positional += 1
    return positional >= 2


class WebhookReceiver:
    """Receives TEL4VN event hooks, checks them, and hands each new event to ``on_event``.

    Mount it on an :class:`aiohttp.web.Application` with :meth:`add_to` (which
    also drains callbacks at shutdown), or use the instance as an ASGI
    application, e.g. ``fastapi_app.add_route(path, receiver, methods=["POST"])``;
    inside a Starlette/FastAPI route of your own, ``await receiver(request)``
    returns a Starlette response.

    ``apikey`` is the subscription's ``callback_apikey``, expected as
    ``<header>: <scheme> <apikey>`` (``Authorization: Bearer ...`` by default;
    ``scheme=None`` expects the bare key).  ``signature_secret`` additionally
    (or instead) requires ``<signature_header>: hex(HMAC-SHA256(secret, body))``,
    as added by a signing proxy; when both are set, both must match.  At least
    one of them is required: an open endpoint would accept forged events.

    ``on_event(event)`` is awaited once per new event; declared with a second
    parameter, ``on_event(event, context)`` also gets a :class:`DeliveryContext`.
    Events without a ``call_id`` are refused with 400.

    Deliveries are de-duplicated on ``(call_id, state)`` through ``dedupe``:
    ``"memory"`` (the default) is a per-process :class:`MemoryDedupeStore`
    sized for ``expected_rate`` deliveries a second over ``dedupe_ttl``;
    ``None`` turns it off; a shared store (e.g. Redis) de-duplicates across
    workers.  A delivery is claimed for ``in_progress_ttl`` seconds while
    ``on_event`` runs (a copy arriving then gets 503 with ``Retry-After``) and
    marked done for ``dedupe_ttl`` seconds once it returns (a copy then gets
    200 ``duplicate``).  If ``on_event`` raises, the claim is released and the
    provider gets a 500, so its retry is handled.  ``in_progress_ttl`` frees the
    claim of a worker that crashed mid-callback: keep it above your slowest
    ``on_event``.

    A body must arrive within ``read_timeout`` seconds (else 408 and the
    connection is closed).  At shutdown (:meth:`drain`), callbacks still
    running get ``shutdown_timeout`` seconds, then are cancelled: their
    deliveries are answered 503 and released, so the provider's retry is
    handled by the next process.

    Events can arrive out of order: compare ``event.sequence`` (ringing 1 <
    answered 2 < hangup 3 < cdr 4) with the highest one stored for the
    ``call_id`` to skip stale ones.
    """

    def __init__(
        self,
        *,
        apikey: str | None,
        on_event: EventCallback,
        dedupe: DedupeStore | TwoPhaseDedupeStore | Literal["memory"] | None = "memory",
        dedupe_ttl: float = 3600.0,
        in_progress_ttl: float = 60.0,
        expected_rate: float = 30.0,
        header: str = "Authorization",
        scheme: str | None = "Bearer",
        max_body: int = 64 * 1024,
        read_timeout: float = 10.0,
        shutdown_timeout: float = 10.0,
        signature_secret: str | bytes | None = None,
        signature_header: str = "X-Telcall-Signature",
    ) -> None:
        if not apikey and not signature_secret:
            raise ValidationError(
                "set apikey or signature_secret: an unauthenticated receiver accepts forged events"
            )
        if max_body < 1:
            raise ValidationError("max_body must be at least 1 byte")
        for name, value in (
            ("dedupe_ttl", dedupe_ttl),
            ("in_progress_ttl", in_progress_ttl),
            ("expected_rate", expected_rate),
            ("read_timeout", read_timeout),
        ):
            if not value > 0:
                raise ValidationError(f"{name} must be positive")
        if not shutdown_timeout >= 0:
            raise ValidationError("shutdown_timeout must be >= 0")
        self._apikey = apikey.encode() if apikey else None
        self._on_event: Callable[..., Awaitable[None]] = on_event
        self._wants_context = _takes_context(on_event)
        self._store = _two_phase(dedupe, dedupe_ttl, expected_rate)
        self._dedupe_ttl = dedupe_ttl
        self._in_progress_ttl = in_progress_ttl
        self._header = header.lower()
        self._scheme = scheme.lower() if scheme else None
        self._max_body = max_body
        self._read_timeout = read_timeout
        self._shutdown_timeout = shutdown_timeout
        if isinstance(signature_secret, str):
            signature_secret = signature_secret.encode()
        self._signature_secret = signature_secret or None
        self._signature_header = signature_header.lower()
        # Keys this process is handling: a copy is turned away here even if the store
        # (an original seen/forget one) cannot tell "in progress" from "done".
        self._claimed: set[str] = set()
        self._running: set[anyio.CancelScope] = set()
        self._idle: anyio.Event | None = None
        self._closing = False

    def __repr__(self) -> str:
        # Credentials stay out: only whether each check is on.
        store = self._store.store if isinstance(self._store, _SeenForgetStore) else self._store
        return (
            f"{type(self).__name__}(apikey={'set' if self._apikey else None}, "
            f"signature={'set' if self._signature_secret else None}, "
            f"dedupe={type(store).__name__ if store else None})"
        )

    def add_to(self, app: web.Application, path: str = "/hooks/tel4vn") -> None:
        """Route ``POST path`` of an aiohttp application here, and :meth:`drain` at its shutdown."""
        app.router.add_post(path, self.handle)
        app.on_shutdown.append(self._on_shutdown)

    async def drain(self, timeout: float | None = None) -> None:
        """Stop taking deliveries (503), let running callbacks finish, then cancel the rest.

        Callbacks get ``timeout`` seconds (default: the ``shutdown_timeout``
        given at construction); those still running are cancelled, their
        deliveries answered 503 and their claims released, so the provider's
        retry is handled elsewhere.  Safe to call more than once.
        """
        self._closing = True
        grace = self._shutdown_timeout if timeout is None else timeout
        with anyio.move_on_after(grace):
            await self._wait_idle()
        if not self._running:
            return
        logger.warning(
            "cancelling %d on_event call(s) still running %g s into shutdown; "
            "their deliveries are answered 503 and left for the provider's retry",
            len(self._running),
            grace,
        )
        for scope in list(self._running):
            scope.cancel()
        with anyio.move_on_after(_STORE_GRACE):
            await self._wait_idle()

    async def handle(self, request: web.Request) -> web.Response:
        """aiohttp.web handler: answer one hook delivery."""

        async def read() -> bytes:
            try:
                return await request.content.readany()
            except ConnectionError:
                raise _Disconnected from None

        try:
            reply = await self._respond(request.headers, read, request.remote)
        except _Disconnected:
            # Nobody is left to read an answer; aiohttp drops it quietly.
            return web.Response(status=400)
        response = web.Response(
            status=reply.status,
            body=reply.body,
            content_type="application/json",
            headers=dict(reply.headers),
        )
        if reply.close:
            # Send it now and drop the connection: returned, aiohttp would then go on reading
            # ("lingering" on) the unread body for up to 10 s, so a stalled sender would keep
            # its connection long after its 408.
            response.force_close()
            await response.prepare(request)
            await response.write_eof()
            request.protocol.force_close()
        return response

    @overload
    async def __call__(self, scope: _Scope, receive: _ASGIReceive, send: _ASGISend, /) -> None: ...

    @overload
    async def __call__(self, request: Request, /) -> Response: ...

    async def __call__(
        self,
        scope_or_request: Any,
        receive: _ASGIReceive | None = None,
        send: _ASGISend | None = None,
        /,
    ) -> Response | None:
        """ASGI 3 entry point, or, given a Starlette ``Request``, return its ``Response``."""
        # A required first parameter also keeps servers that probe for an app factory
        # (uvicorn calls the app with no arguments) from mistaking the receiver for one.
        if receive is None or send is None:
            return await self._starlette(scope_or_request)
        await self._asgi(scope_or_request, receive, send)
        return None

    async def _asgi(self, scope: _Scope, receive: _ASGIReceive, send: _ASGISend) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            # Returning without accepting makes the server refuse a websocket.
            return
        if scope["method"] != "POST":
            reply = _error(405, "method not allowed", ("Allow", "POST"))
        else:
            headers: dict[str, str] = {}
            for name, value in scope["headers"]:
                headers.setdefault(
                    name.decode("latin-1").lower(), value.decode("utf-8", "surrogateescape")
                )
            client = scope.get("client")
            try:
                reply = await self._respond(
                    headers, _ASGIBody(receive).read, client[0] if client else None
                )
            except _Disconnected:
                return
        extra = [(name.lower().encode(), value.encode()) for name, value in reply.headers]
        if reply.close:
            extra.append((b"connection", b"close"))
        await send(
            {
                "type": "http.response.start",
                "status": reply.status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(reply.body)).encode()),
                    *extra,
                ],
            }
        )
        await send({"type": "http.response.body", "body": reply.body})

    async def _lifespan(self, receive: _ASGIReceive, send: _ASGISend) -> None:
        """Acknowledge startup, drain at shutdown: for the receiver served on its own."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.drain()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _starlette(self, request: Request) -> Response:
        # Imported here: only a Starlette user reaches this, and they have Starlette.
        from starlette.requests import ClientDisconnect
        from starlette.responses import Response

        chunks = request.stream()

        async def read() -> bytes:
            try:
                return await anext(chunks, b"")
            except ClientDisconnect:
                raise _Disconnected from None

        client = request.client
        try:
            reply = await self._respond(request.headers, read, client.host if client else None)
        except _Disconnected:
            reply = _error(400, "body incomplete")
        headers = dict(reply.headers)
        if reply.close:
            headers["Connection"] = "close"
        return Response(
            reply.body, status_code=reply.status, headers=headers, media_type="application/json"
        )

    async def _on_shutdown(self, app: web.Application) -> None:
        await self.drain()

    async def _respond(
        self,
        headers: Mapping[str, str],
        read: Callable[[], Awaitable[bytes]],
        remote: str | None,
    ) -> _Reply:
        received_at = datetime.now(UTC) if self._wants_context else None
        if not self._apikey_ok(headers):
            logger.warning(
                "webhook rejected: missing or wrong api key in the %s header", self._header
            )
            return _UNAUTHORIZED
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_body:
            return self._too_large()
        try:
            with anyio.fail_after(self._read_timeout):
                body = await _read_capped(read, self._max_body)
        except _TooLarge:
            return self._too_large()
        except TimeoutError:
            logger.warning("webhook rejected: body not received within %g s", self._read_timeout)
            return _error(408, f"body not received within {self._read_timeout:g} s", close=True)
        except _Disconnected as exc:
            of = f" of {declared}" if declared.isdigit() else ""
            logger.warning(
                "webhook delivery abandoned: the client disconnected after %d%s body bytes",
                exc.received,
                of,
            )
            raise
        if not self._signature_ok(headers, body):
            logger.warning(
                "webhook rejected: missing or wrong signature in the %s header",
                self._signature_header,
            )
            return _UNAUTHORIZED
        try:
            event = parse_event(body)
        except ValidationError as exc:
            logger.warning("webhook rejected: %s", exc)
            return _error(400, str(exc))
        context = None
        if received_at is not None:
            context = DeliveryContext(
                headers=self._visible_headers(headers),
                remote=remote,
                received_at=received_at,
                attempt=parse_attempt(headers.get(ATTEMPT_HEADER)),
            )
        return await self._dispatch(event, context)

    def _too_large(self) -> _Reply:
        logger.warning("webhook rejected: body over %d bytes", self._max_body)
        return _error(413, f"body over {self._max_body} bytes")

    def _apikey_ok(self, headers: Mapping[str, str]) -> bool:
        if self._apikey is None:
            return True
        value = headers.get(self._header)
        if value is None:
            return False
        if self._scheme is not None:
            scheme, _, value = value.strip().partition(" ")
            if scheme.lower() != self._scheme:
                return False
        return hmac.compare_digest(value.strip().encode("utf-8", "surrogateescape"), self._apikey)

    def _signature_ok(self, headers: Mapping[str, str], body: bytes) -> bool:
        if self._signature_secret is None:
            return True
        presented = headers.get(self._signature_header, "").strip().lower()
        expected = hmac.new(self._signature_secret, body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(presented.encode("utf-8", "surrogateescape"), expected.encode())

    def _visible_headers(self, headers: Mapping[str, str]) -> Mapping[str, str]:
        """The headers a callback may see: first value of each, credentials left out."""
        hidden = (self._header, self._signature_header)
        kept: dict[str, str] = {}
        for name, value in headers.items():
            lowered = name.lower()
            if lowered not in hidden:
                kept.setdefault(lowered, value)
        return MappingProxyType(kept)

    async def _dispatch(self, event: Event, context: DeliveryContext | None) -> _Reply:
        call_id, state = event.dedupe_key
        attributes = {"telcall.provider": "tel4vn", "telcall.webhook.state": state}
        # One span per delivery (free without an OTel SDK); call ids are not secrets.
        with otel.span(
            "telcall.webhook.delivery", {**attributes, "telcall.call_id": call_id}
        ) as span:
            reply = await self._dispatch_once(event, context)
            if span is not None:
                span.set_attribute("http.response.status_code", reply.status)
            return reply

    async def _dispatch_once(self, event: Event, context: DeliveryContext | None) -> _Reply:
        if self._closing:
            return _SHUTTING_DOWN
        call_id, state = event.dedupe_key
        if self._store is None:
            return await self._track(event, context, None)
        key = f"tel4vn:{call_id}:{state}"
        if key in self._claimed:
            return self._turned_away(call_id, state)
        self._claimed.add(key)
        try:
            try:
                found = await self._store.begin(key, self._in_progress_ttl)
            except Exception:
                logger.exception("dedupe store failed; call_id=%s state=%s", call_id, state)
                return _error(500, "dedupe store failed")
            if found == "done":
                logger.debug("duplicate %s event ignored; call_id=%s", state, call_id)
                return _DUPLICATE
            if found == "in_progress":
                return self._turned_away(call_id, state)
            return await self._track(event, context, key)
        finally:
            self._claimed.discard(key)

    def _turned_away(self, call_id: str, state: str) -> _Reply:
        logger.info("%s event still in progress, retry asked to wait; call_id=%s", state, call_id)
        return _IN_PROGRESS

    async def _track(
        self, event: Event, context: DeliveryContext | None, key: str | None
    ) -> _Reply:
        """Run the callback where :meth:`drain` can see and cancel it."""
        scope = anyio.CancelScope()
        self._running.add(scope)
        try:
            return await self._handle(scope, event, context, key)
        finally:
            self._running.discard(scope)
            if not self._running and self._idle is not None:
                self._idle.set()
                self._idle = None

    async def _handle(
        self,
        scope: anyio.CancelScope,
        event: Event,
        context: DeliveryContext | None,
        key: str | None,
    ) -> _Reply:
        call_id, state = event.dedupe_key
        try:
            with scope:
                if context is None:
                    await self._on_event(event)
                else:
                    await self._on_event(event, context)
        except Exception:
            logger.exception("on_event failed; call_id=%s state=%s", call_id, state)
            await self._release(key)
            return _error(500, "on_event failed")
        except BaseException:
            # Cancelled mid-callback (client gone, server stopping): let the retry through.
            await self._release(key)
            raise
        if scope.cancelled_caught:
            await self._release(key)
            return _SHUTTING_DOWN
        if key is not None and self._store is not None:
            try:
                await self._store.complete(key, self._dedupe_ttl)
            except Exception:
                logger.exception(
                    "dedupe store could not mark %s done; a later copy may be handled again", key
                )
        logger.debug("%s event handled; call_id=%s", state, call_id)
        return _OK

    async def _release(self, key: str | None) -> None:
        if key is None or self._store is None:
            return
        # Shielded: this also runs while the request is being cancelled; bounded, so a
        # hung store cannot hold a shutdown.
        with anyio.move_on_after(_STORE_GRACE, shield=True):
            try:
                await self._store.release(key)
            except Exception:
                logger.exception("dedupe store could not release %s; its retry may get 503", key)

    async def _wait_idle(self) -> None:
        while self._running:
            if self._idle is None:
                self._idle = anyio.Event()
            await self._idle.wait()
