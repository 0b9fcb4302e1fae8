"""Clients that stall or vanish mid-body, on raw sockets, against aiohttp and uvicorn (ASGI)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import pytest
from aiohttp import web

from telcall.webhooks import WebhookReceiver

from .conftest import DEFAULT_APIKEY, Recorder, aiohttp_serving, event_body, uvicorn_serving

ServeFactory = Callable[..., contextlib.AbstractAsyncContextManager[tuple[str, int]]]


@contextlib.asynccontextmanager
async def served_by_aiohttp(receiver: WebhookReceiver) -> AsyncIterator[tuple[str, int]]:
    """Serve ``receiver`` through ``add_to`` on an aiohttp server at 127.0.0.1."""
    app = web.Application()
    receiver.add_to(app)
    async with aiohttp_serving(app) as address:
        yield address


@pytest.fixture(
    params=[
        pytest.param(served_by_aiohttp, id="aiohttp"),
        pytest.param(uvicorn_serving, id="asgi-uvicorn"),
    ]
)
def serving(request: pytest.FixtureRequest) -> ServeFactory:
    """Each way of serving the receiver: its ``handle`` on aiohttp, or as an ASGI app."""
    factory: ServeFactory = request.param
    return factory


def request_head(length: int, **headers: str) -> bytes:
    """An HTTP/1.1 POST head with the receiver's api key and a declared body length."""
    lines = [
        "POST /hooks/tel4vn HTTP/1.1",
        "Host: 127.0.0.1",
        f"Authorization: Bearer {DEFAULT_APIKEY}",
        "Content-Type: application/json",
        f"Content-Length: {length}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def test_stalled_body_gets_408_and_the_connection_is_closed(serving: ServeFactory) -> None:
    """Headers and part of a body, then silence: 408 once ``read_timeout`` passes, then EOF."""
    recorder = Recorder()
    receiver = WebhookReceiver(apikey=DEFAULT_APIKEY, on_event=recorder, read_timeout=0.5)
    body = event_body("hangup")

    async with serving(receiver) as (host, port):
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(request_head(len(body)) + body[:10])
        await writer.drain()
        # EOF right after the 408: aiohttp's lingering on the unread body would take 10 s.
        with anyio.fail_after(5):
            answer = await reader.read()
        writer.close()

    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b'{"ok":false,"error":"body not received within 0.5 s"}' in answer
    assert recorder.events == []


async def test_many_stalled_bodies_are_all_released(serving: ServeFactory) -> None:
    """Twenty stalled uploads are all answered and closed; none holds its connection."""
    receiver = WebhookReceiver(apikey=DEFAULT_APIKEY, on_event=Recorder(), read_timeout=0.5)
    body = event_body("cdr")

    async with serving(receiver) as (host, port):
        connections = [await asyncio.open_connection(host, port) for _ in range(20)]
        for _, writer in connections:
            writer.write(request_head(len(body)) + body[:5])
        with anyio.fail_after(30):
            answers = await asyncio.gather(*(reader.read() for reader, _ in connections))
        for _, writer in connections:
            writer.close()

    assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in answers)


async def test_disconnect_mid_body_is_one_log_line(serving: ServeFactory, caplog) -> None:
    """A client gone mid-body is logged as one line, without aiohttp's traceback."""
    recorder = Recorder()
    receiver = WebhookReceiver(apikey=DEFAULT_APIKEY, on_event=recorder)
    body = event_body("hangup")

    def disconnect_lines() -> list[logging.LogRecord]:
        return [r for r in caplog.records if "disconnected" in r.getMessage()]

    with caplog.at_level(logging.DEBUG):
        async with serving(receiver) as (host, port):
            _, writer = await asyncio.open_connection(host, port)
            writer.write(request_head(len(body)) + body[:10])
            await writer.drain()
            with anyio.fail_after(20):
                while not disconnect_lines():
                    await asyncio.sleep(0.02)
                    if not writer.is_closing():
                        writer.close()

    [line] = disconnect_lines()
    assert line.name == "telcall.webhooks"
    assert line.exc_info is None
    assert "after 10 of" in line.getMessage()
    errors: list[Any] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
    assert "Traceback" not in caplog.text
    assert recorder.events == []
