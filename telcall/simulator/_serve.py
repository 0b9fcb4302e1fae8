"""Run a simulator until cancelled: `serve()` for code, `main()` for `python -m`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from telcall.simulator._data import Mapping
from telcall.simulator._faults import Faults
from telcall.simulator._tel4vn import ScrollStyle, Tel4vnSimulator

__all__ = ("main", "serve")


async def serve(
    *,
    port: int = 8080,
    cdrs: int = 1000,
    seed: int = 1,
    faults: Faults | None = None,
    mapping: Mapping = "default",
    scroll_style: ScrollStyle = "scroll_id",
    record_requests: bool = False,
    on_ready: Callable[[Tel4vnSimulator], None] | None = None,
) -> None:
    """Serve a `Tel4vnSimulator` on 127.0.0.1:`port` until the task is cancelled.

    Requests are not recorded by default: a long-running server would keep them all.
    """
    sim = Tel4vnSimulator(
        cdrs=cdrs,
        seed=seed,
        faults=faults,
        mapping=mapping,
        scroll_style=scroll_style,
        port=port,
        record_requests=record_requests,
    )
    async with sim:
        if on_ready is not None:
            on_ready(sim)
        await asyncio.Event().wait()


def _announce(sim: Tel4vnSimulator) -> None:
    print(f"TEL4VN simulator on {sim.base_url}", flush=True)
    print(f"api_key={sim.api_key} username={sim.username} password={sim.password}", flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Parse `argv` and serve until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m telcall.simulator", description="Run the TEL4VN simulator."
    )
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--cdrs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mapping", choices=("default", "flex", "mixed"), default="default")
    parser.add_argument("--scroll-style", choices=("scroll_id", "offset"), default="scroll_id")
    for field in msgspec.structs.fields(Faults):
        if field.type in (float, int, int | None):
            kind: Any = float if field.type is float else int
            parser.add_argument(f"--{field.name.replace('_', '-')}", type=kind, default=None)
    args = vars(parser.parse_args(argv))
    fault_names = {f.name for f in msgspec.structs.fields(Faults)}
    faults = Faults(**{k: v for k, v in args.items() if k in fault_names and v is not None})
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            serve(
                port=args["port"],
                cdrs=args["cdrs"],
                seed=args["seed"],
                faults=faults,
                mapping=args["mapping"],
                scroll_style=args["scroll_style"],
                on_ready=_announce,
            )
        )
