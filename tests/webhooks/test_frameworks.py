"""WebhookReceiver on real FastAPI/Starlette apps under uvicorn, and its types under mypy."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import msgspec
import pytest
from fastapi import FastAPI, Request, Response
from starlette.applications import Starlette
from starlette.routing import Route

from telcall.tel4vn.events import Event
from telcall.webhooks import DeliveryContext, WebhookReceiver

from .conftest import DEFAULT_APIKEY, Recorder, event_body, uvicorn_serving

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
AUTH = {"Authorization": f"Bearer {DEFAULT_APIKEY}"}


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session for the test's requests."""
    async with aiohttp.ClientSession() as client:
        yield client


async def post(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str] = AUTH
) -> tuple[int, object]:
    """POST ``body``; return the status and the decoded JSON reply."""
    async with session.post(url, data=body, headers=headers) as resp:
        return resp.status, msgspec.json.decode(await resp.read())


async def test_fastapi_add_route_serves_the_receiver(session) -> None:
    """``app.add_route(path, receiver, methods=["POST"])`` on FastAPI handles deliveries."""
    recorder = Recorder()
    app = FastAPI()
    app.add_route(
        "/hooks/tel4vn", WebhookReceiver(apikey=DEFAULT_APIKEY, on_event=recorder), methods=["POST"]
    )

    async with uvicorn_serving(app) as (host, port):
        url = f"http://{host}:{port}/hooks/tel4vn"
        first = await post(session, url, event_body("cdr"))
        again = await post(session, url, event_body("cdr"))
        refused = await post(session, url, event_body("cdr"), headers={})
        async with session.get(url) as resp:
            wrong_method = resp.status

    assert first == (200, {"ok": True})
    assert again == (200, {"ok": True, "duplicate": True})
    assert refused == (401, {"ok": False, "error": "unauthorized"})
    assert wrong_method == 405
    assert [e.state for e in recorder.events] == ["cdr"]


async def test_starlette_route_passes_the_context(session) -> None:
    """On a Starlette ``Route``, a two-argument callback gets the peer and the headers."""
    contexts: list[DeliveryContext] = []

    async def on_event(event: Event, context: DeliveryContext) -> None:
        contexts.append(context)

    receiver = WebhookReceiver(apikey=DEFAULT_APIKEY, on_event=on_event)
    app = Starlette(routes=[Route("/hooks/tel4vn", receiver, methods=["POST"])])

    async with uvicorn_serving(app) as (host, port):
        status, _ = await post(
            session,
            f"http://{host}:{port}/hooks/tel4vn",
            event_body("ringing"),
            {**AUTH, "X-Telcall-Attempt": "2"},
        )

    assert status == 200
    [context] = contexts
    assert (context.remote, context.attempt) == ("127.0.0.1", 2)
    assert "authorization" not in context.headers


async def test_receiver_called_from_a_fastapi_route(session) -> None:
    """``await receiver(request)`` inside your own route answers with a Starlette response."""
    recorder = Recorder()
    receiver = WebhookReceiver(apikey=DEFAULT_APIKEY, on_event=recorder, max_body=400)
    app = FastAPI()

    @app.post("/custom")
    async def custom(request: Request) -> Response:
        return await receiver(request)

    async with uvicorn_serving(app) as (host, port):
        url = f"http://{host}:{port}/custom"
        handled = await post(session, url, event_body("hangup", billsec=3))
        duplicate = await post(session, url, event_body("hangup", billsec=3))
        too_big = await post(session, url, event_body("cdr", recording_url="x" * 500))
        bad = await post(session, url, b"{nope")

    assert handled == (200, {"ok": True})
    assert duplicate == (200, {"ok": True, "duplicate": True})
    assert too_big == (413, {"ok": False, "error": "body over 400 bytes"})
    assert bad == (400, {"ok": False, "error": "not JSON"})
    assert len(recorder.events) == 1


@pytest.mark.slow
def test_documented_mounts_type_check() -> None:
    """mypy --strict accepts tests/webhooks/typing/frameworks.py (add_route, Route, Mount)."""
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", str(HERE / "typing" / "frameworks.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
