"""The TEL4VN hook endpoint, for aiohttp.web and for any ASGI framework.

One request goes through the same steps whichever framework delivered it:
credentials (401), size (413), signature (401), decoding (400), de-duplication
(200 duplicate), the user's callback (200, or 500 so the provider retries).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any, Final, Literal, TypeAlias

import anyio
import msgspec
from aiohttp import web

from telcall._core.errors import ValidationError
from telcall.tel4vn.events import Event, parse_event
from telcall.webhooks._dedupe import DedupeStore, MemoryDedupeStore

__all__ = ("WebhookReceiver",)

logger = logging.getLogger("telcall.webhooks")

_OK: Final = b'{"ok":true}'
_DUPLICATE: Final = b'{"ok":true,"duplicate":true}'

_ASGIMessage: TypeAlias = MutableMapping[str, Any]
_ASGIReceive: TypeAlias = Callable[[], Awaitable[_ASGIMessage]]
_ASGISend: TypeAlias = Callable[[_ASGIMessage], Awaitable[None]]


def _error(status: int, reason: str) -> tuple[int, bytes]:
    return status, msgspec.json.encode({"ok": False, "error": reason})


class _TooLarge(Exception):
    """The body grew past ``max_body`` while it was being read."""


class _Disconnected(Exception):
    """The ASGI client went away before the body was complete; nobody is left to answer."""


async def _read_capped(read: Callable[[], Awaitable[bytes]], limit: int) -> bytes:
    """Read chunks until ``read`` returns ``b""``, refusing to hold more than ``limit`` bytes."""
    parts: list[bytes] = []
    size = 0
    while chunk := await read():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        parts.append(chunk)
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


class WebhookReceiver:
    """Receives TEL4VN event hooks, checks them, and hands each new event to ``on_event``.

    Mount it on an :class:`aiohttp.web.Application` with :meth:`add_to` (or
    ``app.router.add_post(path, receiver.handle)``), or use the instance as an
    ASGI application, e.g. ``fastapi_app.add_route(path, receiver, methods=["POST"])``.

    ``apikey`` is the subscription's ``callback_apikey``, expected as
    ``<header>: <scheme> <apikey>`` (``Authorization: Bearer ...`` by default;
    ``scheme=None`` expects the bare key).  ``signature_secret`` additionally
    (or instead) requires ``<signature_header>: hex(HMAC-SHA256(secret, body))``,
    as added by a signing proxy; when both are set, both must match.  At least
    one of them is required: an open endpoint would accept forged events.

    Deliveries are de-duplicated on ``(call_id, state)`` for ``dedupe_ttl``
    seconds through ``dedupe``: ``"memory"`` (the default) is a per-process
    :class:`MemoryDedupeStore`, ``None`` turns it off, and any
    :class:`DedupeStore` (e.g. Redis) can be shared between workers.  If
    ``on_event`` raises, the mark is dropped and the provider gets a 500, so
    its retry is handled.

    Events can arrive out of order: compare ``event.sequence`` (ringing 1 <
    answered 2 < hangup 3 < cdr 4) with the highest one stored for the
    ``call_id`` to skip stale ones.
    """

    def __init__(
        self,
        *,
        apikey: str | None,
        on_event: Callable[[Event], Awaitable[None]],
        dedupe: DedupeStore | Literal["memory"] | None = "memory",
        dedupe_ttl: float = 3600.0,
        header: str = "Authorization",
        scheme: str | None = "Bearer",
        max_body: int = 64 * 1024,
        signature_secret: str | bytes | None = None,
        signature_header: str = "X-Telcall-Signature",
    ) -> None:
        if not apikey and not signature_secret:
            raise ValidationError(
                "set apikey or signature_secret: an unauthenticated receiver accepts forged events"
            )
        if max_body < 1:
            raise ValidationError("max_body must be at least 1 byte")
        if dedupe_ttl <= 0:
            raise ValidationError("dedupe_ttl must be positive")
        if isinstance(dedupe, str) and dedupe != "memory":
            raise ValidationError(f"dedupe must be 'memory', None or a DedupeStore, not {dedupe!r}")
        self._apikey = apikey.encode() if apikey else None
        self._on_event = on_event
        self._dedupe = MemoryDedupeStore() if isinstance(dedupe, str) else dedupe
        self._dedupe_ttl = dedupe_ttl
        self._header = header.lower()
        self._scheme = scheme.lower() if scheme else None
        self._max_body = max_body
        if isinstance(signature_secret, str):
            signature_secret = signature_secret.encode()
        self._signature_secret = signature_secret or None
        self._signature_header = signature_header.lower()

    def __repr__(self) -> str:
        # Credentials stay out: only whether each check is on.
        return (
            f"{type(self).__name__}(apikey={'set' if self._apikey else None}, "
            f"signature={'set' if self._signature_secret else None}, "
            f"dedupe={type(self._dedupe).__name__ if self._dedupe else None})"
        )

    def add_to(self, app: web.Application, path: str = "/hooks/tel4vn") -> None:
        """Route ``POST path`` of an aiohttp application to this receiver."""
        app.router.add_post(path, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        """aiohttp.web handler: answer one hook delivery."""
        status, body = await self._respond(request.headers, request.content.readany)
        return web.Response(status=status, body=body, content_type="application/json")

    async def __call__(
        self, scope: MutableMapping[str, Any], receive: _ASGIReceive, send: _ASGISend
    ) -> None:
        """ASGI 3 entry point: answer one hook delivery (and the lifespan protocol)."""
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            # Returning without accepting makes the server refuse a websocket.
            return
        if scope["method"] != "POST":
            status, body = _error(405, "method not allowed")
            extra = [(b"allow", b"POST")]
        else:
            headers: dict[str, str] = {}
            for name, value in scope["headers"]:
                headers.setdefault(
                    name.decode("latin-1").lower(), value.decode("utf-8", "surrogateescape")
                )
            try:
                status, body = await self._respond(headers, _ASGIBody(receive).read)
            except _Disconnected:
                return
            extra = []
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    *extra,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _respond(
        self, headers: Mapping[str, str], read: Callable[[], Awaitable[bytes]]
    ) -> tuple[int, bytes]:
        if not self._apikey_ok(headers):
            logger.warning(
                "webhook rejected: missing or wrong api key in the %s header", self._header
            )
            return _error(401, "unauthorized")
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_body:
            return self._too_large()
        try:
            body = await _read_capped(read, self._max_body)
        except _TooLarge:
            return self._too_large()
        if not self._signature_ok(headers, body):
            logger.warning(
                "webhook rejected: missing or wrong signature in the %s header",
                self._signature_header,
            )
            return _error(401, "unauthorized")
        try:
            event = parse_event(body)
        except ValidationError as exc:
            logger.warning("webhook rejected: %s", exc)
            return _error(400, str(exc))
        return await self._dispatch(event)

    def _too_large(self) -> tuple[int, bytes]:
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

    async def _dispatch(self, event: Event) -> tuple[int, bytes]:
        call_id, state = event.dedupe_key
        key = f"tel4vn:{call_id}:{state}"
        if self._dedupe is not None:
            try:
                duplicate = await self._dedupe.seen(key, self._dedupe_ttl)
            except Exception:
                logger.exception("dedupe store failed; call_id=%s state=%s", call_id, state)
                return _error(500, "dedupe store failed")
            if duplicate:
                logger.debug("duplicate %s event ignored; call_id=%s", state, call_id)
                return 200, _DUPLICATE
        try:
            await self._on_event(event)
        except Exception:
            logger.exception("on_event failed; call_id=%s state=%s", call_id, state)
            await self._forget(key)
            return _error(500, "on_event failed")
        except BaseException:
            # Cancelled mid-callback (client gone, server stopping): let the retry through.
            await self._forget(key)
            raise
        logger.debug("%s event handled; call_id=%s", state, call_id)
        return 200, _OK

    async def _forget(self, key: str) -> None:
        if self._dedupe is None:
            return
        # Shielded: this also runs while the request is being cancelled.
        with anyio.CancelScope(shield=True):
            try:
                await self._dedupe.forget(key)
            except Exception:
                logger.exception("dedupe store could not forget %s; its retry looks duplicate", key)


async def _lifespan(receive: _ASGIReceive, send: _ASGISend) -> None:
    """Acknowledge startup and shutdown, so the receiver can be served on its own."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
