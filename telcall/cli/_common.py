"""What every command module shares: the parser class, the handler contract, connections.

A command module exposes ``register(subparsers)``. It adds its parser(s) with
``subparsers.add_parser(...)`` (they are :class:`Parser` instances, so they take
``--debug`` and report errors in one line) and sets ``handler`` to an
``async def handler(args) -> int`` with ``parser.set_defaults(handler=...)``.
Raise :class:`CliError` (or let a :class:`telcall.errors.TelcallError` escape)
for a one-line failure; ``main()`` turns it into the exit code.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from datetime import timedelta
from typing import Any, NamedTuple, NoReturn, Protocol, TypeAlias, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from telcall._core.client import AsyncBaseClient
from telcall.providers import ConnectionFlag, ProviderSpec, specs

__all__ = (
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "PROVIDERS",
    "CliError",
    "Command",
    "Handler",
    "HelpFormatter",
    "Parser",
    "ProviderCli",
    "Subparsers",
    "TopHelpFormatter",
    "add_connection_options",
    "closing",
    "connect",
    "enable_debug_logging",
    "environment_help",
    "format_default",
    "non_negative_int",
    "only_for",
    "port_number",
    "positive_int",
    "positive_seconds",
    "wait_for_stop_signal",
)

T = TypeVar("T")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
#: What a shell reports for a process ended by SIGTERM (128 + 15).
EXIT_TERMINATED = 143

Handler = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]
# A string: argparse's action class is not subscriptable at run time.
Subparsers: TypeAlias = "argparse._SubParsersAction[Parser]"


class Command(Protocol):
    """A command module: ``register`` adds its subcommand(s) to ``telcall``."""

    def register(self, subparsers: Subparsers, /) -> None:
        """Add this module's parser(s) to ``subparsers``."""


class CliError(Exception):
    """A failure to report as one line on stderr, with ``exit_code`` (1 unless told)."""

    def __init__(self, message: str, *, exit_code: int = EXIT_ERROR) -> None:
        """Keep the message and the exit code."""
        super().__init__(message)
        self.exit_code = exit_code


class HelpFormatter(argparse.HelpFormatter):
    """Help that ends each option with its default, unless it has none or says it already."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            not action.option_strings
            or default is None
            or isinstance(default, bool)
            or default is argparse.SUPPRESS
            or "default" in text
        ):
            return action.help
        # argparse %-formats the help afterwards.
        shown = format_default(default).replace("%", "%%")
        return f"{text} (default: {shown})"


class TopHelpFormatter(HelpFormatter, argparse.RawDescriptionHelpFormatter):
    """:class:`HelpFormatter` that keeps the description and epilog as written."""


def format_default(value: object) -> str:
    """A default as people type it: ``24h`` for a timedelta, ``30`` for 30.0."""
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        parts = []
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
            count, seconds = divmod(seconds, size)
            if count:
                parts.append(f"{count}{unit}")
        return "".join(parts) or "0"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` for ``telcall`` and every command under it.

    Each parser takes ``--debug`` (so it may follow the command), reports a usage
    error as one usage line plus one error line (exit 2), and remembers itself on
    the namespace so an unknown flag is blamed on the command that was running.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Build the parser and add ``--debug``."""
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)
        # SUPPRESS: a subcommand's parser must not reset a --debug given before it.
        self.add_argument(
            "--debug",
            action="store_true",
            default=argparse.SUPPRESS,
            help="on failure show the full traceback; log HTTP requests to stderr",
        )

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """Parse, then record the innermost parser that ran as ``cli_parser``."""
        parsed, extras = super().parse_known_args(args, namespace)
        # Subparsers run first and their namespace is copied up: the deepest wins.
        if not hasattr(parsed, "cli_parser"):
            parsed.cli_parser = self
        return parsed, extras

    def short_usage(self) -> str:
        """``telcall cdrs get [options] ID``: the command line shape in one line."""
        positionals = " ".join(
            action.metavar if isinstance(action.metavar, str) else action.dest.upper()
            for action in self._get_positional_actions()
        )
        return f"{self.prog} [options] {positionals}".rstrip()

    def error(self, message: str) -> NoReturn:
        """Print one usage line and one error line, then exit 2."""
        self.exit(EXIT_USAGE, f"usage: {self.short_usage()}\n{self.prog}: error: {message}\n")


def enable_debug_logging() -> None:
    """Send telcall's own log records (requests, retries, token renewals) to stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logger = logging.getLogger("telcall")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)


def non_negative_int(text: str) -> int:
    """An argparse type: an integer >= 0."""
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be >= 0")
    return value


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1 (one message for 0 and for negative numbers)."""
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be >= 1")
    return value


def positive_seconds(text: str) -> float:
    """An argparse type: a finite number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number of seconds > 0")
    return value


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 0 meaning "any free port"."""
    value = non_negative_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0-65535)")
    return value


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(f"unknown time zone {name!r}") from None


class ProviderCli(NamedTuple):
    """How the CLI reaches one provider: its spec, async client and the name people know it by."""

    spec: ProviderSpec
    client: type[AsyncBaseClient]

    @property
    def label(self) -> str:
        """What people call the provider (``"AI Call Center"``)."""
        return self.spec.label

    @property
    def secret_flag(self) -> str:
        """``--api-key`` or ``--secret-key``: the flag of the provider's long-lived secret."""
        return "--" + self.client.secret_name.replace("_", "-")

    @property
    def env_names(self) -> tuple[str, str, str]:
        """The provider's address, secret and token variables."""
        return self.spec.env_names


#: Every provider the CLI can talk to, in ``--provider`` order (the first is the default).
PROVIDERS: dict[str, ProviderCli] = {
    name: ProviderCli(spec, spec.client_class()) for name, spec in specs().items()
}


def environment_help(providers: Sequence[str] = tuple(PROVIDERS)) -> str:
    """The ``environment:`` lines of a help epilog for ``providers``."""
    lines = ["environment (flags win; the secret and the token as a set):"]
    for name in providers:
        spec = PROVIDERS[name]
        lines.append(f"  {spec.label}: " + ", ".join(spec.env_names))
    return "\n".join(lines)


def add_connection_options(
    parser: argparse.ArgumentParser,
    *,
    providers: Sequence[str] = tuple(PROVIDERS),
) -> argparse._ArgumentGroup:
    """Add ``--provider`` and the connection options of ``providers`` to ``parser``.

    :func:`connect` builds the client from them. A command adds flags of its own to the
    returned group.
    """
    specs_ = [PROVIDERS[name] for name in providers]
    envs = "; ".join(f"{spec.label}: {', '.join(spec.env_names)}" for spec in specs_)
    group = parser.add_argument_group(
        "connection",
        f"Flags win over the environment, and the secret and the token count as a set: "
        f"either flag stops both being read from it. {envs}. "
        "Prefer the environment for secrets: flags show in `ps`.",
    )
    group.add_argument(
        "--provider",
        choices=providers,
        default=providers[0],
        help="call-center provider",
    )
    group.add_argument("--base-url", metavar="URL", help="API address, e.g. https://pbx.example.vn")
    for flag in dict.fromkeys(spec.secret_flag for spec in specs_):
        owners = " and ".join(spec.label for spec in specs_ if spec.secret_flag == flag)
        group.add_argument(
            flag,
            metavar="KEY",
            help=f"{owners} {flag[2:].replace('-', ' ')} (tokens are obtained for you)",
        )
    group.add_argument("--token", metavar="TOKEN", help="a ready-made access token")
    for extra in _connection_flags(specs_).values():
        group.add_argument(
            f"--{extra.name.replace('_', '-')}", choices=extra.choices, help=extra.help
        )
    group.add_argument(
        "--tz",
        type=_zone,
        default=ZoneInfo("Asia/Ho_Chi_Minh"),
        metavar="ZONE",
        help="time zone of the provider's naive times and of the output (default: %(default)s)",
    )
    group.add_argument(
        "--timeout",
        type=positive_seconds,
        default=30.0,
        metavar="SECONDS",
        help="per-request timeout (default: %(default)g)",
    )
    group.add_argument(
        "--proxy",
        metavar="URL",
        help="HTTP(S) proxy, e.g. http://proxy:3128 (default: HTTPS_PROXY/HTTP_PROXY)",
    )
    group.add_argument(
        "--deadline",
        type=float,
        metavar="SECONDS",
        help="bound on each call as a whole, retries included (default: none)",
    )
    return group


def _connection_flags(providers: Sequence[ProviderCli]) -> dict[str, ConnectionFlag]:
    """The provider-only connection flags of ``providers`` by name (the first declaration wins)."""
    flags: dict[str, ConnectionFlag] = {}
    for provider in providers:
        for flag in provider.spec.connection_flags:
            flags.setdefault(flag.name, flag)
    return flags


def _flag_owners() -> dict[str, list[str]]:
    """``--api-key``, ``--mapping``, ...: each provider-only flag and the providers that take it."""
    owners: dict[str, list[str]] = {}
    for name, provider in PROVIDERS.items():
        owners.setdefault(provider.secret_flag, []).append(name)
        for flag in provider.spec.connection_flags:
            owners.setdefault(f"--{flag.name.replace('_', '-')}", []).append(name)
    return owners


def only_for(args: argparse.Namespace, flags: Mapping[str, Sequence[str]]) -> None:
    """Refuse, as a usage error, a flag given for a provider it does not belong to.

    ``flags`` maps a flag (``--campaign``) to the providers that take it.
    """
    provider: str = args.provider
    for flag, owners in flags.items():
        if getattr(args, flag[2:].replace("-", "_"), None) is not None and provider not in owners:
            raise CliError(
                f"{flag} is for --provider {' and '.join(owners)}, not {provider}",
                exit_code=EXIT_USAGE,
            )


def connect(args: argparse.Namespace) -> Any:
    """The client of ``--provider`` from the options of :func:`add_connection_options`.

    Flags are passed as given and the client reads the rest from the environment, the
    secret and the token as a set. A missing address or credential, or a flag of another
    provider, is a usage error (exit 2), like a missing flag.
    """
    spec = PROVIDERS[args.provider]
    only_for(args, _flag_owners())
    client = spec.client
    url_env, secret_env, token_env = spec.env_names
    secret = getattr(args, client.secret_name)
    if not (args.base_url or os.environ.get(url_env) or client.default_base_url):
        raise CliError(
            f"no {spec.label} address: pass --base-url or set {url_env}", exit_code=EXIT_USAGE
        )
    if not (secret or args.token or os.environ.get(secret_env) or os.environ.get(token_env)):
        raise CliError(
            f"no credentials: pass {spec.secret_flag} or --token, "
            f"or set {secret_env} or {token_env}",
            exit_code=EXIT_USAGE,
        )
    options: dict[str, Any] = {
        "base_url": args.base_url,
        client.secret_name: secret,
        client.token_name: args.token,
        "timeout": args.timeout,
        "tz": args.tz,
        "proxy": args.proxy,
        "deadline": args.deadline,
    }
    for flag in spec.spec.connection_flags:
        value = getattr(args, flag.name, None)
        if value is None:
            value = flag.default
        if value is not None:
            options[flag.param] = value
    return client(**options)


@contextlib.asynccontextmanager
async def closing(iterator: AsyncIterator[T]) -> AsyncIterator[AsyncIterator[T]]:
    """Like ``contextlib.aclosing`` for the SDK's listings, typed as plain ``AsyncIterator``.

    Closing here, not when the event loop shuts down, lets a listing stop its
    in-flight page requests in order when the loop body fails (e.g. a closed pipe).
    """
    try:
        yield iterator
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()


async def wait_for_stop_signal() -> None:
    """Return when SIGINT (Ctrl-C) or SIGTERM arrives: the normal end of a serving command.

    Where the loop cannot catch signals (Windows), Ctrl-C interrupts as usual.
    """
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    caught: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
            caught.append(sig)
    try:
        await stop.wait()
    finally:
        for sig in caught:
            loop.remove_signal_handler(sig)
