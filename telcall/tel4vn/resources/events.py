"""Event-hook subscriptions (``/v1/event``)."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import TYPE_CHECKING, Unpack

import msgspec

from ..._core.options import RequestExtras
from ..._core.resource import AsyncResource
from ..._core.transport import Timeout
from ..._core.validation import path_segment, require
from .._validation import check_event
from ..models import EventCreated, EventDeleted, EventHook, EventHookList, EventName

if TYPE_CHECKING:
    from ..client import AsyncTel4vnClient

__all__ = ("AsyncEvents",)

_list = msgspec.json.Decoder(EventHookList)
_created = msgspec.json.Decoder(EventCreated)
_deleted = msgspec.json.Decoder(EventDeleted)


class AsyncEvents(AsyncResource["AsyncTel4vnClient"]):
    """Subscriptions that make the PBX POST call events to your ``callback_url``."""

    async def list(
        self, *, timeout: Timeout | None = None, **extras: Unpack[RequestExtras]
    ) -> builtins.list[EventHook]:
        """``GET /v1/event``: every subscription of the tenant."""
        answer = await self._client._request("GET", "/v1/event", _list, timeout=timeout)
        return answer.data

    async def create(
        self,
        *,
        callback_url: str,
        event: EventName,
        callback_apikey: str | None = None,
        timeout: Timeout | None = None,
        **extras: Unpack[RequestExtras],
    ) -> EventCreated:
        """``POST /v1/event``: subscribe ``callback_url`` to ``event``.

        ``event`` must be ``hangup``, ``ringing``, ``answered`` or ``cdr``: the
        server accepts other names but never fires them, so they are refused here.
        """
        require(callback_url=callback_url, event=event)
        body = {"callback_url": callback_url, "event": event}
        if callback_apikey is not None:
            body["callback_apikey"] = callback_apikey
        return await self._client._request(
            "POST", "/v1/event", _created, json=body, timeout=timeout, idempotent=False
        )

    async def delete(
        self, event_id: str, *, timeout: Timeout | None = None, **extras: Unpack[RequestExtras]
    ) -> EventDeleted:
        """``DELETE /v1/event/<event_id>`` (the subscription's ``event_domain_uuid``)."""
        segment = path_segment(event_id, "event_id")
        return await self._client._request(
            "DELETE", f"/v1/event/{segment}", _deleted, timeout=timeout
        )

    async def ensure(
        self,
        callback_url: str,
        *,
        events: Iterable[EventName],
        apikey: str | None = None,
        timeout: Timeout | None = None,
        **extras: Unpack[RequestExtras],
    ) -> builtins.list[EventHook]:
        """Make the subscriptions of ``callback_url`` exactly ``events`` with ``apikey``.

        Creates what is missing and deletes the rest (other events, another
        apikey, duplicates); idempotent. Returns the subscriptions for the URL
        afterwards.
        """
        require(callback_url=callback_url)
        wanted = {check_event(event, "events") for event in events}
        keep: set[str] = set()
        for hook in await self.list(timeout=timeout):
            if hook.callback_url != callback_url:
                continue
            matches = hook.event_name in wanted and (hook.callback_apikey or None) == apikey
            if matches and hook.event_name not in keep:
                keep.add(hook.event_name)
            else:
                await self.delete(hook.event_domain_uuid, timeout=timeout)
        for event in sorted(wanted - keep):
            await self.create(
                callback_url=callback_url,
                event=event,  # type: ignore[arg-type]
                callback_apikey=apikey,
                timeout=timeout,
            )
        return [h for h in await self.list(timeout=timeout) if h.callback_url == callback_url]
