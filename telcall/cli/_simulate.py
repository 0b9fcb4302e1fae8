"""``telcall simulate``: serve an embedded provider simulator until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import re
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from telcall._core.spec import load
from telcall.providers import specs
from telcall.simulator import Faults, SimOption, SimulateCli

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


def _simulators() -> dict[str, SimulateCli]:
    """Every registered provider that offers ``telcall simulate``, in registry order."""
    return {name: load(spec.simulate) for name, spec in specs().items() if spec.simulate}


#: The simulators ``--provider`` chooses from, and how each is built and described.
SIMULATORS = _simulators()
#: Their names (the first is the default).
PROVIDERS = tuple(SIMULATORS)

_BULLET = re.compile(r"^- `(\w+)`: (.*)$")


def _owners() -> dict[str, tuple[str, ...]]:
    """Each simulator option's name, with every provider that takes it."""
    owners: dict[str, tuple[str, ...]] = {}
    for provider, cli in SIMULATORS.items():
        for name in cli.options:
            owners[name] = (*owners.get(name, ()), provider)
    return owners


# Parsed with default None so a flag given for another provider can be told from an unset one.
_OWNERS = _owners()


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
    ignored = sorted({name for cli in SIMULATORS.values() for name in cli.ignored_faults})
    limits = "".join(
        f" {_flag(name)} is not for "
        + ", ".join(p for p, cli in SIMULATORS.items() if name in cli.ignored_faults)
        + "."
        for name in ignored
    )
    group = parser.add_argument_group(
        "fault injection",
        f"One flag per telcall.simulator.Faults option; rates are per request.{limits}",
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


def _add_option(group: argparse._ArgumentGroup, name: str, option: SimOption, prefix: str) -> None:
    help_text = prefix + option.help
    if option.default is not None and option.kind != "flag" and "(default" not in option.help:
        help_text += f" (default: {option.default})"
    if option.kind == "flag":
        group.add_argument(_flag(name), action="store_true", default=None, help=help_text)
        return
    kinds: dict[str, dict[str, Any]] = {
        "count": {"type": non_negative_int, "metavar": option.metavar or "N"},
        "status": {"type": _http_status, "metavar": option.metavar or "STATUS"},
        "choice": {"choices": option.choices},
        "text": {"metavar": option.metavar},
    }
    group.add_argument(_flag(name), help=help_text, **kinds[option.kind])


def register(subparsers: Subparsers) -> None:
    """Add ``telcall simulate``."""
    labels = ", ".join(specs()[name].label for name in PROVIDERS)
    parser = subparsers.add_parser(
        "simulate",
        help="run a provider simulator (a fake call-center API with synthetic data) on 127.0.0.1",
        description=(
            f"Serve a simulated provider API ({labels}) on 127.0.0.1 "
            "with deterministic synthetic data and optional fault injection, until Ctrl-C or "
            "SIGTERM. Prints the base URL, the credentials to use and the matching "
            "TELCALL_<PROVIDER>_* environment variables."
        ),
    )
    parser.add_argument(
        "--provider",
        choices=PROVIDERS,
        default=PROVIDERS[0],
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
    shared = parser.add_argument_group("options of several simulators")
    for name, owners in _OWNERS.items():
        if len(owners) > 1:
            options = [SIMULATORS[owner].options[name] for owner in owners]
            same = all(option.default == options[0].default for option in options)
            first = options[0] if same else dataclasses.replace(options[0], default=None)
            _add_option(shared, name, first, f"{', '.join(owners)}: ")
    for provider, cli in SIMULATORS.items():
        group = parser.add_argument_group(f"{provider} options")
        for name, option in cli.options.items():
            if len(_OWNERS[name]) == 1:
                _add_option(group, name, option, "")
    parser.set_defaults(handler=_run, fault_fields=fault_options(parser))


def faults_from(args: argparse.Namespace) -> Faults:
    """The ``Faults`` that the flags of :func:`fault_options` ask for; unset flags keep defaults."""
    given = {name: getattr(args, name) for name in args.fault_fields}
    return Faults(**{name: value for name, value in given.items() if value is not None})


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """The provider-only options, defaults filled in; a flag of another provider is refused."""
    provider: str = args.provider
    for name in args.fault_fields:
        if getattr(args, name) is not None and name in SIMULATORS[provider].ignored_faults:
            raise CliError(
                f"{_flag(name)} does not apply to --provider {provider}", exit_code=EXIT_USAGE
            )
    settings: dict[str, Any] = {}
    own = SIMULATORS[provider].options
    for name, owners in _OWNERS.items():
        value = getattr(args, name)
        if name in own:
            settings[name] = own[name].default if value is None else value
        elif value is not None:
            only = " and ".join(owners)
            raise CliError(
                f"{_flag(name)} is for --provider {only}, not {provider}", exit_code=EXIT_USAGE
            )
    return settings


async def _run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    cli = SIMULATORS[args.provider]
    # A long-running server would keep every request it ever saw.
    sim = cli.build(
        seed=args.seed, faults=faults_from(args), port=args.port, record_requests=False, **settings
    )
    ui = Ui()
    async with sim:
        banner = cli.banner(sim, settings)
        for line in [
            banner.title,
            *_fields(banner.fields, sim.faults),
            "Use it from another shell:",
            *(f"  export {name}={value}" for name, value in banner.exports.items()),
            *(f"  {hint}" for hint in banner.hints),
            "Press Ctrl-C to stop.",
        ]:
            ui.print(line)
        await wait_for_stop_signal()
        ui.note("stopping the simulator")
    return EXIT_OK


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
