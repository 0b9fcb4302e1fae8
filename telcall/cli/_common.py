"""What every command module shares: the parser class, the handler contract, TEL4VN options.

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
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import Any, NoReturn, Protocol, TypeAlias, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from telcall import AsyncTel4vnClient

__all__ = (
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "CliError",
    "Command",
    "Handler",
    "Parser",
    "Subparsers",
    "add_tel4vn_options",
    "closing",
    "enable_debug_logging",
    "non_negative_int",
    "port_number",
    "positive_int",
    "tel4vn_client",
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


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` for ``telcall`` and every command under it.

    Each parser takes ``--debug`` (so it may follow the command), reports a usage
    error as one usage line plus one error line (exit 2), and remembers itself on
    the namespace so an unknown flag is blamed on the command that was running.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Build the parser and add ``--debug``."""
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
    """An argparse type: an integer >= 1."""
    value = non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be >= 1")
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


def add_tel4vn_options(
    parser: argparse.ArgumentParser,
    *,
    providers: Sequence[str] = ("tel4vn",),
    description: str = (
        "Flags win over the environment: TELCALL_TEL4VN_BASE_URL, TELCALL_TEL4VN_API_KEY, "
        "TELCALL_TEL4VN_TOKEN. Prefer the environment for secrets: flags show in `ps`."
    ),
) -> argparse._ArgumentGroup:
    """Add the connection options of a TEL4VN command (``--base-url``, credentials, ...).

    A command serving more ``providers`` adds their own flags to the returned group.
    """
    group = parser.add_argument_group("connection", description)
    group.add_argument(
        "--provider",
        choices=providers,
        default=providers[0],
        help="call-center provider (default: %(default)s)",
    )
    group.add_argument(
        "--base-url", metavar="URL", help="PBX API address, e.g. https://pbx.example.vn"
    )
    group.add_argument("--api-key", metavar="KEY", help="API key (tokens are obtained for you)")
    group.add_argument("--token", metavar="TOKEN", help="a ready-made bearer token")
    group.add_argument(
        "--mapping",
        choices=("auto", "default", "flex"),
        default="auto",
        help="the account's CDR shape (default: %(default)s, detected per page)",
    )
    group.add_argument(
        "--tz",
        type=_zone,
        default=ZoneInfo("Asia/Ho_Chi_Minh"),
        metavar="ZONE",
        help="time zone of the PBX's naive times and of the output (default: Asia/Ho_Chi_Minh)",
    )
    group.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="per-request timeout (default: %(default)g)",
    )
    group.add_argument(
        "--deadline",
        type=float,
        metavar="SECONDS",
        help="bound on each call as a whole, retries included (default: none)",
    )
    return group


def tel4vn_client(args: argparse.Namespace) -> AsyncTel4vnClient:
    """Build the client from the options of :func:`add_tel4vn_options`.

    A missing address or credential is a usage error (exit 2), like a missing flag.
    """
    base_url = args.base_url or os.environ.get("TELCALL_TEL4VN_BASE_URL")
    api_key = args.api_key or os.environ.get("TELCALL_TEL4VN_API_KEY")
    token = args.token or os.environ.get("TELCALL_TEL4VN_TOKEN")
    if not base_url:
        raise CliError(
            "no PBX address: pass --base-url or set TELCALL_TEL4VN_BASE_URL", exit_code=EXIT_USAGE
        )
    if not (api_key or token):
        raise CliError(
            "no credentials: pass --api-key or --token, "
            "or set TELCALL_TEL4VN_API_KEY or TELCALL_TEL4VN_TOKEN",
            exit_code=EXIT_USAGE,
        )
    if args.api_key and not args.token:
        # The client prefers a token to an api key; an explicit --api-key must beat
        # a TELCALL_TEL4VN_TOKEN left in the environment.
        token = None
    return AsyncTel4vnClient(
        base_url=base_url,
        # "" rather than None: None would let the client read the environment again.
        api_key=api_key or "",
        token=token or "",
        timeout=args.timeout,
        deadline=args.deadline,
        tz=args.tz,
        cdr_mapping=args.mapping,
    )


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
