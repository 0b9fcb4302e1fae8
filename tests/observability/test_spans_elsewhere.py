"""Spans outside the request path: one per export window, one per webhook delivery."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import msgspec
import pytest
from aiohttp import web

from telcall import AsyncTel4vnClient
from telcall.export import export_cdrs
from telcall.tel4vn.events import Event
from telcall.webhooks import WebhookReceiver

from .otel_fixtures import Telemetry, install


@pytest.fixture
def telemetry(monkeypatch: pytest.MonkeyPatch) -> Iterator[Telemetry]:
    """SDK tracer and meter providers with in-memory exporters, for this test only."""
    yield from install(monkeypatch)


async def test_export_has_a_span_per_window(
    telemetry: Telemetry, client: AsyncTel4vnClient, tmp_path: Path
) -> None:
    """Two daily windows: two ``telcall.export.window`` spans, each above its listing."""
    summary = await export_cdrs(client, "2026-11-01", "2026-11-03", tmp_path)
    spans = telemetry.spans()
    windows = sorted(
        (s for s in spans if s.name == "telcall.export.window"),
        key=lambda s: str((s.attributes or {})["telcall.export.start"]),
    )
    assert [(s.attributes or {})["telcall.export.start"][:10] for s in windows] == [
        "2026-11-01",
        "2026-11-02",
    ]
    assert sum(int((s.attributes or {})["telcall.export.records"]) for s in windows) == (
        summary.records
    )
    ids = {w.context.span_id for w in windows}
    listings = [s for s in spans if s.name.startswith("telcall.tel4vn.cdrs.")]
    listings = [s for s in listings if not s.name.endswith(" page")]
    assert listings
    assert all(s.parent is not None and s.parent.span_id in ids for s in listings)


@pytest.fixture
async def receiver_url() -> AsyncIterator[str]:
    """A webhook receiver served on 127.0.0.1."""

    async def on_event(event: Event) -> None:
        return None

    app = web.Application()
    WebhookReceiver(apikey="cb-key-123456", on_event=on_event).add_to(app, "/hooks")
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/hooks"
    finally:
        await runner.cleanup()


async def test_webhook_has_a_span_per_delivery(telemetry: Telemetry, receiver_url: str) -> None:
    """Each delivery is one ``telcall.webhook.delivery`` span with its state and answer."""
    body = msgspec.json.encode(
        {
            "call_id": "c-1",
            "direction": "outbound",
            "from_number": "0899888999",
            "to_number": "101",
            "state": "hangup",
        }
    )
    headers = {"Authorization": "Bearer cb-key-123456", "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session:
        for _ in range(2):
            async with session.post(receiver_url, data=body, headers=headers) as resp:
                assert resp.status == 200
    deliveries = [s for s in telemetry.spans() if s.name == "telcall.webhook.delivery"]
    assert [
        ((s.attributes or {})["telcall.webhook.state"], (s.attributes or {})["telcall.call_id"])
        for s in deliveries
    ] == [("hangup", "c-1")] * 2
    assert all((s.attributes or {})["http.response.status_code"] == 200 for s in deliveries)
    assert "cb-key-123456" not in repr([dict(s.attributes or {}) for s in deliveries])
