"""``telcall simulate``: serve the embedded provider simulator until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import inspect
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec

from telcall.simulator import VN, Faults, Tel4vnSimulator

from ._common import EXIT_OK, Subparsers, non_negative_int, port_number, wait_for_stop_signal
from ._ui import Ui

__all__ = ("fault_options", "faults_from", "register")

_BULLET = re.compile(r"^- `(\w+)`: (.*)$")


def _fault_docs() -> dict[str, str]:
    """Each option's description, from the ``- `name`: text`` list in ``Faults``' docstring."""
    docs: dict[str, str] = {}
    name: str | None = None
    for line in inspect.cleandoc(Faults.__doc__ or "").splitlines():
        match = _BULLET.match(line)
        if match:
            name = match[1]
            docs[name] = match[2]
        elif name is not None and line.startswith("  "):
            docs[name] += " " + line.strip()
        else:
            name = None
    return {k: v.replace("`", "").replace("%", "%%") for k, v in docs.items()}


def _converter(name: str, kind: Any, *, sequence: bool) -> Callable[[str], Any]:
    """Parse a flag's text into the field's type, rejecting what ``Faults`` cannot mean."""

    def convert(text: str) -> Any:
        raw: Any = text.split(",") if sequence else text
        try:
            value = msgspec.convert(raw, kind, strict=False)
        except msgspec.ValidationError as exc:
            raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None
        numbers = value if isinstance(value, tuple) else (value,)
        if any(isinstance(n, int | float) and n < 0 for n in numbers):
            raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
        if name.endswith("_rate") and value > 1:
            raise argparse.ArgumentTypeError(f"{text!r} is a probability: between 0 and 1")
        return value

    convert.__name__ = name  # argparse names the type in "invalid <name> value" errors
    return convert


def fault_options(parser: argparse.ArgumentParser) -> list[str]:
    """Add one flag per ``Faults`` field (``--error-rate`` ...); return the field names."""
    group = parser.add_argument_group(
        "fault injection", "One flag per telcall.simulator.Faults option; rates are per request."
    )
    docs = _fault_docs()
    names = []
    for field in msgspec.structs.fields(Faults):
        flag = "--" + field.name.replace("_", "-")
        default = field.default
        sequence = isinstance(default, tuple)
        shown = ",".join(map(str, default)) if sequence else default
        help_text = f"{docs.get(field.name, field.name)} (default: {shown})"
        if field.type is bool:
            group.add_argument(flag, action="store_true", default=None, help=help_text)
        else:
            metavar = "P" if field.name.endswith("_rate") else "X" if field.type is float else "N"
            if sequence:
                metavar = "N[,N...]"
            group.add_argument(
                flag,
                type=_converter(field.name, field.type, sequence=sequence),
                default=None,
                metavar=metavar,
                help=help_text,
            )
        names.append(field.name)
    return names


def register(subparsers: Subparsers) -> None:
    """Add ``telcall simulate``."""
    parser = subparsers.add_parser(
        "simulate",
        help="run a provider simulator (a fake PBX with synthetic CDRs) on 127.0.0.1",
        description=(
            "Serve a simulated provider API on 127.0.0.1 with deterministic synthetic data and "
            "optional fault injection, until Ctrl-C or SIGTERM. Prints the base URL and the "
            "credentials to use."
        ),
    )
    parser.add_argument(
        "--provider",
        choices=("tel4vn",),
        default="tel4vn",
        help="API to simulate (default: %(default)s)",
    )
    parser.add_argument(
        "--port",
        type=port_number,
        default=8080,
        help="port on 127.0.0.1; 0 picks a free one (default: %(default)s)",
    )
    parser.add_argument(
        "--cdrs",
        type=non_negative_int,
        default=1000,
        metavar="N",
        help="number of CDRs (default: %(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="seed of the data and the faults (default: %(default)s)"
    )
    parser.add_argument(
        "--mapping",
        choices=("default", "flex", "mixed"),
        default="default",
        help="CDR record shape; mixed alternates default and flex (default: %(default)s)",
    )
    parser.add_argument(
        "--scroll-style",
        choices=("scroll_id", "offset"),
        default="scroll_id",
        help="how an unpaginated CDR listing continues (default: %(default)s)",
    )
    parser.add_argument(
        "--api-key", metavar="KEY", help="accept this API key (default: one derived from the seed)"
    )
    parser.set_defaults(handler=_run, fault_fields=fault_options(parser))


def faults_from(args: argparse.Namespace) -> Faults:
    """The ``Faults`` that the flags of :func:`fault_options` ask for; unset flags keep defaults."""
    given = {name: getattr(args, name) for name in args.fault_fields}
    return Faults(**{name: value for name, value in given.items() if value is not None})


async def _run(args: argparse.Namespace) -> int:
    faults = faults_from(args)
    ui = Ui()
    sim = Tel4vnSimulator(
        cdrs=args.cdrs,
        seed=args.seed,
        faults=faults,
        mapping=args.mapping,
        scroll_style=args.scroll_style,
        port=args.port,
        api_key=args.api_key,
        # A long-running server would keep every request it ever saw.
        record_requests=False,
    )
    async with sim:
        _announce(ui, sim, args)
        await wait_for_stop_signal()
        ui.note("stopping the simulator")
    return EXIT_OK


def _announce(ui: Ui, sim: Tel4vnSimulator, args: argparse.Namespace) -> None:
    start = datetime.fromtimestamp(sim.store.t0, VN).date()
    end = datetime.fromtimestamp(sim.store.t0 + sim.store.span, VN).date()
    ui.print(
        f"TEL4VN simulator: {args.cdrs:,} CDRs from {start} to {end} "
        f"(seed {args.seed}, {args.mapping} mapping)"
    )
    ui.print(f"  base URL  {sim.base_url}")
    ui.print(f"  api key   {sim.api_key}")
    ui.print(f"  login     {sim.username} / {sim.password}")
    if sim.faults != Faults():
        ui.print(f"  faults    {_describe_faults(sim.faults)}")
    ui.print("Use it from another shell:")
    ui.print(f"  export TELCALL_TEL4VN_BASE_URL={sim.base_url}")
    ui.print(f"  export TELCALL_TEL4VN_API_KEY={sim.api_key}")
    ui.print(f"  telcall cdrs list --start-date {start} --limit 10")
    ui.print("Press Ctrl-C to stop.")


def _describe_faults(faults: Faults) -> str:
    defaults = Faults()
    changed = (
        f"{f.name}={getattr(faults, f.name)}"
        for f in msgspec.structs.fields(Faults)
        if getattr(faults, f.name) != getattr(defaults, f.name)
    )
    return " ".join(changed)
