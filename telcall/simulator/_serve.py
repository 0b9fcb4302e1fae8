"""Run a simulator until cancelled: `serve()` for code, `main()` for `python -m`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import msgspec

from telcall.simulator._aicallcenter import AICallCenterSimulator
from telcall.simulator._base import SimulatorBase
from telcall.simulator._data import Mapping
from telcall.simulator._faults import Faults
from telcall.simulator._omicall import OmicallSimulator
from telcall.simulator._tel4vn import ScrollStyle, Tel4vnSimulator

__all__ = ("main", "serve")

S = TypeVar("S", bound=SimulatorBase)

# Flags of `main()` that only one provider takes (parsed with default None to spot misuse).
_PROVIDER_FLAGS = {
    "cdrs": "tel4vn",
    "mapping": "tel4vn",
    "scroll_style": "tel4vn",
    "deliver_events": "tel4vn",
    "calls": "omicall",
    "contacts": "omicall",
    "calls_per_campaign": "aicallcenter",
}


async def serve(
    *,
    port: int = 8080,
    cdrs: int = 1000,
    seed: int = 1,
    faults: Faults | None = None,
    mapping: Mapping = "default",
    scroll_style: ScrollStyle = "scroll_id",
    record_requests: bool = False,
    deliver_events: bool = False,
    on_ready: Callable[[Tel4vnSimulator], None] | None = None,
) -> None:
    """Serve a `Tel4vnSimulator` on 127.0.0.1:`port` until the task is cancelled.

    Requests are not recorded by default: a long-running server would keep them all.
    `deliver_events` POSTs call events to the stored subscriptions (see `Tel4vnSimulator`).
    """
    sim = Tel4vnSimulator(
        cdrs=cdrs,
        seed=seed,
        faults=faults,
        mapping=mapping,
        scroll_style=scroll_style,
        port=port,
        record_requests=record_requests,
        deliver_events=deliver_events,
    )
    await _serve_until_cancelled(sim, on_ready)


async def _serve_until_cancelled(sim: S, on_ready: Callable[[S], None] | None) -> None:
    async with sim:
        if on_ready is not None:
            on_ready(sim)
        await asyncio.Event().wait()


def _announce(sim: SimulatorBase) -> None:
    """Two lines: `<Provider> simulator on <base URL>`, then the credentials as key=value."""
    if isinstance(sim, Tel4vnSimulator):
        name = "TEL4VN"
        secrets = f"api_key={sim.api_key} username={sim.username} password={sim.password}"
    elif isinstance(sim, OmicallSimulator):
        name, secrets = "OMICall", f"api_key={sim.api_key}"
    elif isinstance(sim, AICallCenterSimulator):
        name = "AI Call Center"
        secrets = (
            f"secret_key={sim.secret_key} campaign_id={sim.campaign_id} "
            f"otp_campaign_id={sim.otp_campaign_id} "
            f"stopped_campaign_id={sim.stopped_campaign_id}"
        )
    else:
        raise TypeError(f"no announcement for {type(sim).__name__}")
    print(f"{name} simulator on {sim.base_url}", flush=True)
    print(secrets, flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Parse `argv` and serve until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m telcall.simulator",
        description="Run a provider simulator (TEL4VN, OMICall or AI Call Center).",
    )
    parser.add_argument(
        "--provider", choices=("tel4vn", "omicall", "aicallcenter"), default="tel4vn"
    )
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cdrs", type=int, help="tel4vn: number of CDRs (default: 1000)")
    parser.add_argument("--mapping", choices=("default", "flex", "mixed"), help="tel4vn")
    parser.add_argument("--scroll-style", choices=("scroll_id", "offset"), help="tel4vn")
    parser.add_argument(
        "--deliver-events",
        action="store_true",
        default=None,
        help="tel4vn: POST call events to the subscribed callback URLs",
    )
    parser.add_argument("--calls", type=int, help="omicall: call-history records (default: 2000)")
    parser.add_argument("--contacts", type=int, help="omicall: contacts (default: 25)")
    parser.add_argument(
        "--calls-per-campaign", type=int, help="aicallcenter: calls per campaign (default: 120)"
    )
    for field in msgspec.structs.fields(Faults):
        if field.type in (float, int, int | None):
            kind: Any = float if field.type is float else int
            parser.add_argument(f"--{field.name.replace('_', '-')}", type=kind, default=None)
    args = vars(parser.parse_args(argv))
    provider = args["provider"]
    for name, owner in _PROVIDER_FLAGS.items():
        if args[name] is not None and owner != provider:
            parser.error(f"--{name.replace('_', '-')} is for --provider {owner}")
    fault_names = {f.name for f in msgspec.structs.fields(Faults)}
    faults = Faults(**{k: v for k, v in args.items() if k in fault_names and v is not None})
    given = {k: v for k, v in args.items() if k in _PROVIDER_FLAGS and v is not None}
    # A long-running server would keep every request it ever saw.
    common = {
        "seed": args["seed"],
        "faults": faults,
        "port": args["port"],
        "record_requests": False,
    }
    kinds: dict[str, type[SimulatorBase]] = {
        "tel4vn": Tel4vnSimulator,
        "omicall": OmicallSimulator,
        "aicallcenter": AICallCenterSimulator,
    }

    async def run() -> None:
        # Built on the running loop, like `serve()` does.
        await _serve_until_cancelled(kinds[provider](**common, **given), _announce)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
