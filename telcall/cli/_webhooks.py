"""``telcall webhooks listen``: print TEL4VN event hooks as they arrive (a debugging aid).

Events go to stdout, one line each (or NDJSON with ``--json``); the address
and rejected deliveries (wrong api key, bad body) go to stderr, so
``telcall webhooks listen --json > events.ndjson`` keeps only events.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
from collections.abc import Iterator
from datetime import datetime
from typing import TextIO

import msgspec
from aiohttp import web

from telcall.tel4vn.events import CdrEvent, Event, HangupEvent
from telcall.webhooks import WebhookReceiver

from ._common import (
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    Subparsers,
    port_number,
    wait_for_stop_signal,
)
from ._ui import Ui

__all__ = ("event_line", "register")

_APIKEY_ENV = "TELCALL_WEBHOOK_APIKEY"

_encoder = msgspec.json.Encoder()


def register(subparsers: Subparsers) -> None:
    """Add ``telcall webhooks listen``."""
    parser = subparsers.add_parser(
        "webhooks",
        help="receive provider event hooks",
        description="Tools for the event hooks (webhooks) a PBX POSTs to your application.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    listen = commands.add_parser(
        "listen",
        help="print event hooks as they arrive",
        description=(
            "Serve a TEL4VN hook endpoint and print every event it accepts, one line each "
            "(time, state, call_id, direction, from -> to, duration/status) or NDJSON with "
            "--json, until Ctrl-C or SIGTERM. Deliveries are checked as "
            "telcall.webhooks.WebhookReceiver checks them: api key (401), size (413), body "
            "(400); repeats of a (call_id, state) are answered but printed once. Rejections "
            "are reported on stderr."
        ),
    )
    listen.add_argument(
        "--port",
        type=port_number,
        default=8090,
        help="port to listen on; 0 picks a free one (default: %(default)s)",
    )
    listen.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on; 0.0.0.0 to accept a real PBX (default: %(default)s)",
    )
    listen.add_argument(
        "--path", default="/hooks/tel4vn", help="the endpoint's path (default: %(default)s)"
    )
    listen.add_argument(
        "--apikey",
        metavar="KEY",
        help=f"the subscription's callback_apikey (default: ${_APIKEY_ENV}; flags show in `ps`)",
    )
    listen.add_argument(
        "--header",
        default="Authorization",
        help="header carrying the api key (default: %(default)s)",
    )
    listen.add_argument(
        "--scheme",
        default="Bearer",
        help="scheme before the api key; '' expects the bare key (default: %(default)s)",
    )
    listen.add_argument("--json", action="store_true", help="NDJSON output, one event per line")
    listen.set_defaults(handler=_listen)


def event_line(event: Event, received: datetime, *, arrow: str = "→") -> str:
    """``12:00:05  hangup  <call_id>  outbound  0899888999 → 101  47s, talk 42s``."""
    outcome = ""
    if isinstance(event, HangupEvent):
        outcome = f"{event.duration}s, talk {event.billsec}s"
    elif isinstance(event, CdrEvent):
        outcome = f"{event.status or '-'} {event.duration}s"
    return "  ".join(
        (
            received.strftime("%H:%M:%S"),
            f"{event.state:<8}",
            event.call_id,
            f"{event.direction or '-'!s:<8}",
            f"{event.from_number or '-'} {arrow} {event.to_number or '-'}",
            outcome,
        )
    ).rstrip()


class _Printer:
    """The receiver's ``on_event``: prints each event; notices when stdout's reader left."""

    def __init__(self, ui: Ui, *, as_json: bool) -> None:
        self._ui = ui
        self._as_json = as_json
        self._arrow = "→" if _can_encode(ui.out, "→") else "->"
        self.pipe_closed = asyncio.Event()

    async def __call__(self, event: Event) -> None:
        received = datetime.now().astimezone()
        if self._as_json:
            line = _encoder.encode(
                {"received_at": received.isoformat(), **msgspec.to_builtins(event)}
            ).decode()
        else:
            line = event_line(event, received, arrow=self._arrow)
        try:
            self._ui.print(line)
        except BrokenPipeError:
            # `listen | head -3`: nobody reads any more; stop instead of failing every event.
            self.pipe_closed.set()


def _can_encode(stream: TextIO, text: str) -> bool:
    try:
        text.encode(stream.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


@contextlib.contextmanager
def _rejections_to(stream: TextIO) -> Iterator[None]:
    """Show the receiver's warnings (rejected deliveries) on ``stream`` while listening."""
    logger = logging.getLogger("telcall.webhooks")
    if logger.getEffectiveLevel() <= logging.DEBUG:
        # --debug already sends everything telcall logs to stderr.
        yield
        return
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    handler.setLevel(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


async def _listen(args: argparse.Namespace) -> int:
    apikey: str = args.apikey or os.environ.get(_APIKEY_ENV, "")
    if not apikey:
        raise CliError(
            f"an api key is required: --apikey KEY or ${_APIKEY_ENV}", exit_code=EXIT_USAGE
        )
    path: str = args.path
    if not path.startswith("/"):
        raise CliError(f"--path must start with '/', not {path!r}", exit_code=EXIT_USAGE)
    ui = Ui()
    printer = _Printer(ui, as_json=args.json)
    receiver = WebhookReceiver(
        apikey=apikey, on_event=printer, header=args.header, scheme=args.scheme or None
    )
    app = web.Application()
    receiver.add_to(app, path)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    # Catch the stop signals before announcing the address: a script may signal right after.
    stopped = asyncio.create_task(wait_for_stop_signal())
    closed = asyncio.create_task(printer.pipe_closed.wait())
    try:
        await web.TCPSite(runner, args.host, args.port).start()
        host, port = runner.addresses[0][:2]
        shown = f"[{host}]" if ":" in host else host
        ui.note(f"listening on http://{shown}:{port}{path} (Ctrl-C to stop)")
        with _rejections_to(ui.err):
            await asyncio.wait((stopped, closed), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (stopped, closed):
            task.cancel()
        await asyncio.gather(stopped, closed, return_exceptions=True)
        await runner.cleanup()
    if printer.pipe_closed.is_set():
        raise BrokenPipeError
    ui.note("stopped")
    return EXIT_OK
