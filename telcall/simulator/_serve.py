"""Run a simulator until cancelled: `serve()` for code, `main()` for `python -m`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import msgspec

from telcall._core.spec import load
from telcall.providers import specs
from telcall.simulator._base import SimulatorBase
from telcall.simulator._data import Mapping
from telcall.simulator._faults import Faults
from telcall.simulator._plug import SimulateCli
from telcall.simulator._tel4vn import ScrollStyle, Tel4vnSimulator

__all__ = ("main", "serve")

S = TypeVar("S", bound=SimulatorBase)


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


def main(argv: Sequence[str] | None = None) -> None:
    """Parse `argv` and serve until interrupted."""
    simulators: dict[str, SimulateCli] = {
        name: load(spec.simulate) for name, spec in specs().items() if spec.simulate
    }
    labels = ", ".join(specs()[name].label for name in simulators)
    parser = argparse.ArgumentParser(
        prog="python -m telcall.simulator",
        description=f"Run a provider simulator ({labels}).",
    )
    parser.add_argument("--provider", choices=tuple(simulators), default=next(iter(simulators)))
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--seed", type=int, default=1)
    # Flags that only some providers take, parsed with default None to spot misuse.
    owners: dict[str, list[str]] = {}
    for provider, cli in simulators.items():
        for name, option in cli.options.items():
            if name in owners:
                owners[name].append(provider)
                continue
            owners[name] = [provider]
            flag = f"--{name.replace('_', '-')}"
            help_text = f"{provider}: {option.help}"
            if option.kind == "flag":
                parser.add_argument(flag, action="store_true", default=None, help=help_text)
            elif option.kind == "choice":
                parser.add_argument(flag, choices=option.choices, help=help_text)
            else:
                parser.add_argument(
                    flag, type=int if option.kind != "text" else str, help=help_text
                )
    for field in msgspec.structs.fields(Faults):
        if field.type in (float, int, int | None):
            kind: Any = float if field.type is float else int
            parser.add_argument(f"--{field.name.replace('_', '-')}", type=kind, default=None)
    args = vars(parser.parse_args(argv))
    provider = args["provider"]
    for name, providers in owners.items():
        if args[name] is not None and provider not in providers:
            parser.error(f"--{name.replace('_', '-')} is for --provider {' and '.join(providers)}")
    fault_names = {f.name for f in msgspec.structs.fields(Faults)}
    faults = Faults(**{k: v for k, v in args.items() if k in fault_names and v is not None})
    given = {k: v for k, v in args.items() if k in owners and v is not None}
    cli = simulators[provider]
    label = specs()[provider].label

    def announce(sim: SimulatorBase) -> None:
        """Two lines: `<Provider> simulator on <base URL>`, then the credentials as key=value."""
        print(f"{label} simulator on {sim.base_url}", flush=True)
        print(cli.credentials(sim), flush=True)

    async def run() -> None:
        # Built on the running loop, like `serve()` does; a long-running server would keep
        # every request it ever saw.
        sim = cli.build(
            seed=args["seed"], faults=faults, port=args["port"], record_requests=False, **given
        )
        await _serve_until_cancelled(sim, announce)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
