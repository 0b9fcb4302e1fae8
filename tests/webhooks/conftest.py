"""Fixtures for the webhook tests: a receiver served on 127.0.0.1 and event bodies."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import msgspec
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from telcall.tel4vn.events import Event
from telcall.webhooks import WebhookReceiver

DEFAULT_APIKEY = "cb-apikey-7f3a9e"


def event_body(state: str = "hangup", **fields: Any) -> bytes:
    """A hook payload shaped like the documented sample, with ``fields`` overriding it."""
    payload: dict[str, Any] = {
        "call_id": "avavavav-1111-2222-3333-eeeeeeee",
        "sip_call_id": "dddddddd-1111-2222-3333-eeeeeeee",
        "domain": "test.tel4vn.com",
        "direction": "outbound",
        "from_number": "0899888999",
        "to_number": "101",
        "hotline": "19001919",
        "state": state,
    }
    payload.update(fields)
    return msgspec.json.encode(payload)


@dataclass
class Recorder:
    """An ``on_event`` callback that keeps what it got and can be told to fail."""

    events: list[Event] = field(default_factory=list)
    failures: int = 0

    async def __call__(self, event: Event) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("callback exploded")
        self.events.append(event)


@dataclass
class Hook:
    """A running receiver and a client session pointed at it."""

    session: aiohttp.ClientSession
    url: str
    recorder: Recorder
    receiver: WebhookReceiver
    apikey: str | None

    async def post(
        self, body: Any, *, headers: dict[str, str] | None = None, auth: bool = True
    ) -> tuple[int, dict[str, Any]]:
        """POST ``body`` (bearer api key unless ``auth=False``); return status and JSON reply."""
        sent = {"Authorization": f"Bearer {self.apikey}"} if auth else {}
        sent.update(headers or {})
        async with self.session.post(self.url, data=body, headers=sent) as resp:
            return resp.status, msgspec.json.decode(await resp.read())


@pytest.fixture
async def start_hook() -> AsyncIterator[Callable[..., Awaitable[Hook]]]:
    """Start a receiver (kwargs go to ``WebhookReceiver``) on a real aiohttp server."""
    async with contextlib.AsyncExitStack() as stack:
        session = await stack.enter_async_context(aiohttp.ClientSession())

        async def start(**kwargs: Any) -> Hook:
            recorder = Recorder()
            kwargs.setdefault("apikey", DEFAULT_APIKEY)
            receiver = WebhookReceiver(on_event=recorder, **kwargs)
            app = web.Application()
            receiver.add_to(app)
            server = await stack.enter_async_context(TestServer(app, host="127.0.0.1"))
            url = str(server.make_url("/hooks/tel4vn"))
            return Hook(session, url, recorder, receiver, kwargs["apikey"])

        yield start


@pytest.fixture
def make_body() -> Callable[..., bytes]:
    """The :func:`event_body` factory: ``make_body("cdr", status="ANSWERED")``."""
    return event_body
