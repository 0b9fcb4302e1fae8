"""``telcall simulate``: serve an embedded provider simulator until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import inspect
import random
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

import msgspec

from telcall.simulator import (
    VN,
    AICallCenterSimulator,
    Faults,
    OmicallSimulator,
    SimulatorBase,
    Tel4vnSimulator,
)

from ._common import (
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    Subparsers,
    non_negative_int,
    port_number,
    wait_for_stop_signal,
)
from ._ui import Ui

__all__ = ("PROVIDERS", "fault_options", "faults_from", "register")

#: The simulators ``--provider`` chooses from.
PROVIDERS = ("tel4vn", "omicall", "aicallcenter")

_BULLET = re.compile(r"^- `(\w+)`: (.*)$")

# The Faults options a simulator does not act on: asking for them is a usage error, not a no-op.
_IGNORED_FAULTS: dict[str, frozenset[str]] = {
    "tel4vn": frozenset(),
    "omicall": frozenset({"insert_during_scroll", "insert_every"}),
    # AI Call Center tokens never expire (the provider documents no lifetime).
    "aicallcenter": frozenset({"insert_during_scroll", "insert_every", "token_expire_after"}),
}


class _Option(NamedTuple):
    """A provider-only flag: the providers it applies to and its default."""

    providers: tuple[str, ...]
    default: Any


# Parsed with default None so a flag given for another provider can be told from an unset one.
_OPTIONS: dict[str, _Option] = {
    "cdrs": _Option(("tel4vn",), 1000),
    "mapping": _Option(("tel4vn",), "default"),
    "scroll_style": _Option(("tel4vn",), "scroll_id"),
    "deliver_events": _Option(("tel4vn",), False),
    "api_key": _Option(("tel4vn", "omicall"), None),
    "calls": _Option(("omicall",), 2000),
    "contacts": _Option(("omicall",), 25),
    "calls_per_campaign": _Option(("aicallcenter",), 120),
    "error_status": _Option(("aicallcenter",), 200),
    "secret_key": _Option(("aicallcenter",), None),
}


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
        "fault injection",
        "One flag per telcall.simulator.Faults option; rates are per request. "
        "--insert-during-scroll and --insert-every are for tel4vn only; "
        "--token-expire-after is not for aicallcenter (its tokens never expire).",
    )
    docs = _fault_docs()
    names = []
    for field in msgspec.structs.fields(Faults):
        flag = _flag(field.name)
        default = field.default
        sequence = isinstance(default, tuple)
        shown = ",".join(map(str, default)) if sequence else default
        doc = docs.get(field.name, field.name)
        # A flag's default is "off"; a field's docs may name its default already.
        plain = field.type is bool or "default" in doc
        help_text = doc if plain else f"{doc} (default: {'none' if shown is None else shown})"
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


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _http_status(text: str) -> int:
    """An argparse type: an HTTP status code (200-599)."""
    value = non_negative_int(text)
    if not 200 <= value <= 599:
        raise argparse.ArgumentTypeError(f"{text!r} is not an HTTP status (200-599)")
    return value


def _default(name: str) -> str:
    return f"(default: {_OPTIONS[name].default})"


def register(subparsers: Subparsers) -> None:
    """Add ``telcall simulate``."""
    parser = subparsers.add_parser(
        "simulate",
        help="run a provider simulator (a fake call-center API with synthetic data) on 127.0.0.1",
        description=(
            "Serve a simulated provider API (TEL4VN, OMICall or AI Call Center) on 127.0.0.1 "
            "with deterministic synthetic data and optional fault injection, until Ctrl-C or "
            "SIGTERM. Prints the base URL, the credentials to use and the matching "
            "TELCALL_<PROVIDER>_* environment variables."
        ),
    )
    parser.add_argument(
        "--provider",
        choices=PROVIDERS,
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
        "--seed",
        type=int,
        default=1,
        help="seed of the data, the faults and the default credentials (default: %(default)s)",
    )
    parser.add_argument(
        "--api-key",
        metavar="KEY",
        help="tel4vn, omicall: accept this API key (default: one derived from the seed)",
    )

    tel4vn = parser.add_argument_group("tel4vn options")
    tel4vn.add_argument(
        "--cdrs",
        type=non_negative_int,
        metavar="N",
        help=f"number of CDRs {_default('cdrs')}",
    )
    tel4vn.add_argument(
        "--mapping",
        choices=("default", "flex", "mixed"),
        help=f"CDR record shape; mixed alternates default and flex {_default('mapping')}",
    )
    tel4vn.add_argument(
        "--scroll-style",
        choices=("scroll_id", "offset"),
        help=f"how an unpaginated CDR listing continues {_default('scroll_style')}",
    )
    tel4vn.add_argument(
        "--deliver-events",
        action="store_true",
        default=None,
        help=(
            "POST call events to the subscribed callback URLs (loopback only): every "
            "successful click-to-call becomes an answered call whose events are delivered"
        ),
    )

    omicall = parser.add_argument_group("omicall options")
    omicall.add_argument(
        "--calls",
        type=non_negative_int,
        metavar="N",
        help=f"number of call-history records {_default('calls')}",
    )
    omicall.add_argument(
        "--contacts",
        type=non_negative_int,
        metavar="N",
        help=f"number of contacts {_default('contacts')}",
    )

    aicc = parser.add_argument_group("aicallcenter options")
    aicc.add_argument(
        "--calls-per-campaign",
        type=non_negative_int,
        metavar="N",
        help=f"generated calls in each of the three campaigns {_default('calls_per_campaign')}",
    )
    aicc.add_argument(
        "--error-status",
        type=_http_status,
        metavar="STATUS",
        help=f"HTTP status of failure answers ({{status: 0, ...}}) {_default('error_status')}",
    )
    aicc.add_argument(
        "--secret-key",
        metavar="KEY",
        help="accept this secret key (default: one derived from the seed)",
    )
    parser.set_defaults(handler=_run, fault_fields=fault_options(parser))


def faults_from(args: argparse.Namespace) -> Faults:
    """The ``Faults`` that the flags of :func:`fault_options` ask for; unset flags keep defaults."""
    given = {name: getattr(args, name) for name in args.fault_fields}
    return Faults(**{name: value for name, value in given.items() if value is not None})


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """The provider-only options, defaults filled in; a flag of another provider is refused."""
    provider: str = args.provider
    for name in args.fault_fields:
        if getattr(args, name) is not None and name in _IGNORED_FAULTS[provider]:
            raise CliError(
                f"{_flag(name)} does not apply to --provider {provider}", exit_code=EXIT_USAGE
            )
    settings: dict[str, Any] = {}
    for name, option in _OPTIONS.items():
        value = getattr(args, name)
        if provider in option.providers:
            settings[name] = option.default if value is None else value
        elif value is not None:
            only = " and ".join(option.providers)
            raise CliError(
                f"{_flag(name)} is for --provider {only}, not {provider}", exit_code=EXIT_USAGE
            )
    return settings


def _derived_key(seed: int) -> str:
    """A credential that stays the same across restarts with the same seed (like TEL4VN's)."""
    return f"{random.Random(seed ^ 0x5EC7E7).getrandbits(128):032x}"


class _Served(NamedTuple):
    """A simulator to start, and how to describe it once it listens."""

    sim: SimulatorBase
    banner: Callable[[], list[str]]


async def _run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    faults = faults_from(args)
    build = {"tel4vn": _tel4vn, "omicall": _omicall, "aicallcenter": _aicallcenter}
    served = build[args.provider](args, settings, faults)
    ui = Ui()
    async with served.sim:
        for line in served.banner():
            ui.print(line)
        await wait_for_stop_signal()
        ui.note("stopping the simulator")
    return EXIT_OK


def _tel4vn(args: argparse.Namespace, settings: dict[str, Any], faults: Faults) -> _Served:
    sim = Tel4vnSimulator(
        cdrs=settings["cdrs"],
        seed=args.seed,
        faults=faults,
        mapping=settings["mapping"],
        scroll_style=settings["scroll_style"],
        port=args.port,
        api_key=settings["api_key"],
        # A long-running server would keep every request it ever saw.
        record_requests=False,
        deliver_events=settings["deliver_events"],
    )

    def banner() -> list[str]:
        start, end = _day(sim.store.t0), _day(sim.store.t0 + sim.store.span)
        fields = [
            ("base URL", sim.base_url),
            ("api key", sim.api_key),
            ("login", f"{sim.username} / {sim.password}"),
        ]
        if settings["deliver_events"]:
            fields.append(("events", "click-to-call POSTs call events to subscribed loopback URLs"))
        return [
            f"TEL4VN simulator: {settings['cdrs']:,} CDRs from {start} to {end} "
            f"(seed {args.seed}, {settings['mapping']} mapping)",
            *_fields(fields, sim.faults),
            "Use it from another shell:",
            f"  export TELCALL_TEL4VN_BASE_URL={sim.base_url}",
            f"  export TELCALL_TEL4VN_API_KEY={sim.api_key}",
            f"  telcall cdrs list --start-date {start} --limit 10",
            "Press Ctrl-C to stop.",
        ]

    return _Served(sim, banner)


def _omicall(args: argparse.Namespace, settings: dict[str, Any], faults: Faults) -> _Served:
    sim = OmicallSimulator(
        calls=settings["calls"],
        contacts=settings["contacts"],
        seed=args.seed,
        faults=faults,
        port=args.port,
        api_key=settings["api_key"] or _derived_key(args.seed),
        record_requests=False,
    )

    def banner() -> list[str]:
        start, end = _day(sim.t0_ms // 1000), _day((sim.t0_ms + sim.span_ms) // 1000)
        return [
            f"OMICall simulator: {sim.call_count:,} calls from {start} to {end}, "
            f"{len(sim.contacts):,} contacts (seed {args.seed})",
            *_fields([("base URL", sim.base_url), ("api key", sim.api_key)], sim.faults),
            "Use it from another shell:",
            f"  export TELCALL_OMICALL_BASE_URL={sim.base_url}",
            f"  export TELCALL_OMICALL_API_KEY={sim.api_key}",
            "Press Ctrl-C to stop.",
        ]

    return _Served(sim, banner)


def _aicallcenter(args: argparse.Namespace, settings: dict[str, Any], faults: Faults) -> _Served:
    sim = AICallCenterSimulator(
        calls_per_campaign=settings["calls_per_campaign"],
        seed=args.seed,
        faults=faults,
        error_status=settings["error_status"],
        port=args.port,
        secret_key=settings["secret_key"] or _derived_key(args.seed),
        record_requests=False,
    )

    def banner() -> list[str]:
        start, end = _day(sim.t0), _day(sim.t0 + sim.span)
        campaigns = [
            ("campaign", f"{sim.campaign_id} (running)"),
            ("campaign", f"{sim.otp_campaign_id} (running, voice OTP)"),
            ("campaign", f"{sim.stopped_campaign_id} (stopped)"),
        ]
        return [
            f"AI Call Center simulator: 3 campaigns of {settings['calls_per_campaign']:,} calls "
            f"from {start} to {end} (seed {args.seed})",
            *_fields(
                [("base URL", sim.base_url), ("secret key", sim.secret_key), *campaigns],
                sim.faults,
            ),
            "Use it from another shell:",
            f"  export TELCALL_AICALLCENTER_BASE_URL={sim.base_url}",
            f"  export TELCALL_AICALLCENTER_SECRET_KEY={sim.secret_key}",
            "Press Ctrl-C to stop.",
        ]

    return _Served(sim, banner)


def _day(timestamp: int) -> date:
    return datetime.fromtimestamp(timestamp, VN).date()


def _fields(fields: Sequence[tuple[str, str]], faults: Faults) -> list[str]:
    """``  label  value`` lines, values aligned; the faults last when any is set."""
    if faults != Faults():
        fields = [*fields, ("faults", _describe_faults(faults))]
    width = max(len(label) for label, _ in fields)
    return [f"  {label:<{width}}  {value}" for label, value in fields]


def _describe_faults(faults: Faults) -> str:
    defaults = Faults()
    changed = (
        f"{f.name}={getattr(faults, f.name)}"
        for f in msgspec.structs.fields(Faults)
        if getattr(faults, f.name) != getattr(defaults, f.name)
    )
    return " ".join(changed)
