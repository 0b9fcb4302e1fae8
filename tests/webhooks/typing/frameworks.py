"""Checked by mypy --strict in test_frameworks.py: the documented FastAPI/Starlette mounts."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

from telcall.tel4vn.events import Event
from telcall.webhooks import DeliveryContext, WebhookReceiver


async def on_event(event: Event) -> None:
    """The one-argument callback."""


async def on_event_with_context(event: Event, context: DeliveryContext) -> None:
    """The two-argument callback, which also gets the delivery."""
    print(context.remote, context.received_at.isoformat(), context.attempt, context.headers)


receiver = WebhookReceiver(apikey="k", on_event=on_event)
with_context = WebhookReceiver(apikey="k", on_event=on_event_with_context)

app = FastAPI()
app.add_route("/hooks/tel4vn", receiver, methods=["POST"])
app.router.add_route("/hooks/other", with_context, methods=["POST"])

starlette_app = Starlette(routes=[Route("/hooks/tel4vn", receiver, methods=["POST"])])
starlette_app.add_route("/hooks/again", with_context, methods=["POST"])
mounted = Mount("/hooks", app=receiver)
as_asgi: ASGIApp = receiver


@app.post("/custom")
async def custom(request: Request) -> Response:
    """The receiver called from a route of your own returns a Starlette response."""
    return await receiver(request)
