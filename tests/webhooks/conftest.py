"""Fixtures for the webhook tests: a receiver served on 127.0.0.1 and event bodies."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import anyio
import msgspec
import pytest
import uvicorn
from aiohttp import web

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
    """An ``on_event`` callback that keeps what it got and can be told to block or fail.

    ``entered`` is set when a call starts; with ``gate`` set, each call waits for it first.
    """

    events: list[Event] = field(default_factory=list)
    failures: int = 0
    gate: asyncio.Event | None = None
    entered: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, event: Event) -> None:
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
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
    last_headers: dict[str, str] = field(default_factory=dict)

    async def post(
        self, body: Any, *, headers: dict[str, str] | None = None, auth: bool = True
    ) -> tuple[int, dict[str, Any]]:
        """POST ``body`` (bearer api key unless ``auth=False``); return status and JSON reply."""
        sent = {"Authorization": f"Bearer {self.apikey}"} if auth else {}
        sent.update(headers or {})
        async with self.session.post(self.url, data=body, headers=sent) as resp:
            self.last_headers = dict(resp.headers)
            return resp.status, msgspec.json.decode(await resp.read())


@pytest.fixture
async def start_hook() -> AsyncIterator[Callable[..., Awaitable[Hook]]]:
    """Start a receiver (kwargs go to ``WebhookReceiver``) on a real aiohttp server."""
    async with contextlib.AsyncExitStack() as stack:
        session = await stack.enter_async_context(aiohttp.ClientSession())

        async def start(**kwargs: Any) -> Hook:
            recorder = Recorder()
            kwargs.setdefault("apikey", DEFAULT_APIKEY)
            kwargs.setdefault("on_event", recorder)
            receiver = WebhookReceiver(**kwargs)
            app = web.Application()
            receiver.add_to(app)
            host, port = await stack.enter_async_context(aiohttp_serving(app))
            url = f"http://{host}:{port}/hooks/tel4vn"
            return Hook(session, url, recorder, receiver, kwargs["apikey"])

        yield start


@contextlib.asynccontextmanager
async def aiohttp_serving(app: web.Application) -> AsyncIterator[tuple[str, int]]:
    """Serve ``app`` on 127.0.0.1 (a free port) as ``web.run_app`` would; yield ``(host, port)``.

    Unlike aiohttp's ``TestServer``, this keeps ``run_app``'s default of not cancelling a
    handler when its client disconnects, which is what a provider timeout relies on.
    """
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        yield host, port
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def uvicorn_serving(app: Any, **config: Any) -> AsyncIterator[tuple[str, int]]:
    """Serve the ASGI ``app`` with uvicorn on 127.0.0.1 (a free port); yield ``(host, port)``."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    host, port = sock.getsockname()[:2]
    config.setdefault("log_level", "warning")
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", access_log=False, **config))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        with anyio.fail_after(10):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.01)
        yield host, port
    finally:
        server.should_exit = True
        with anyio.fail_after(20):
            await task
        sock.close()


@pytest.fixture
def make_body() -> Callable[..., bytes]:
    """The :func:`event_body` factory: ``make_body("cdr", status="ANSWERED")``."""
    return event_body
