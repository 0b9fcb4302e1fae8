"""The ``telcall`` command.

Each subcommand lives in its own module listed in :data:`COMMANDS`; a module
exposes ``register(subparsers)`` (see :mod:`telcall.cli._common` for the
contract). To add a command, write the module and add one line to the tuple.

Exit codes: 0 success, 1 runtime or API error, 2 usage error, 130 Ctrl-C,
143 SIGTERM for ``export cdrs`` (which stops cleanly on it as on Ctrl-C)
(serving commands such as ``simulate`` exit 0 on Ctrl-C or SIGTERM: it is how
they are meant to stop), 141 when the reader of stdout went away (``| head``).
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from typing import cast

from telcall import __version__, errors

from ._common import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    CliError,
    Command,
    Handler,
    Parser,
    TopHelpFormatter,
    enable_debug_logging,
    environment_help,
)

__all__ = ("COMMANDS", "main")

#: Command modules, relative to this package, in ``telcall --help`` order.
COMMANDS: tuple[str, ...] = (
    "._demo",
    "._simulate",
    "._cdrs",
    "._export",
    "._webhooks",
)

# What a shell reports for a process killed by SIGPIPE (128 + 13).
_EXIT_BROKEN_PIPE = 141

_EPILOG = f"""\
{environment_help()}
  HTTPS_PROXY, HTTP_PROXY, NO_PROXY: proxies (loopback is always direct)

Run 'telcall COMMAND --help' for a command's options.
"""


def build_parser() -> Parser:
    """The ``telcall`` parser with every command in :data:`COMMANDS` registered."""
    parser = Parser(
        prog="telcall",
        description="Vietnamese call-center APIs (TEL4VN, OMICall, AI Call Center) from the "
        "command line.",
        epilog=_EPILOG,
        # Keep the epilog's table as written.
        formatter_class=TopHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"telcall {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = cast(Command, importlib.import_module(name, __package__))
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``telcall`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    command: Parser = args.cli_parser
    if extras:
        command.error(f"unrecognized arguments: {' '.join(extras)}")
    debug: bool = getattr(args, "debug", False)
    if debug:
        enable_debug_logging()
    handler: Handler = args.handler
    try:
        return asyncio.run(handler(args))
    except KeyboardInterrupt:
        print(f"{command.prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # Python would complain again when flushing stdout at exit; point it at /dev/null.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return _EXIT_BROKEN_PIPE
    except Exception as exc:
        if debug:
            traceback.print_exc()
        else:
            print(f"{command.prog}: error: {_describe(exc)}", file=sys.stderr)
        return _exit_code(exc)


def _describe(exc: Exception) -> str:
    """One line saying what went wrong, with a hint where one helps."""
    message = " ".join(str(exc).split())
    if isinstance(exc, CliError | errors.TelcallError | OSError):
        if isinstance(exc, errors.AuthenticationError):
            message += " (check the API key or token)"
        return message
    return f"unexpected {type(exc).__name__}: {message} (run with --debug for the traceback)"


def _exit_code(exc: Exception) -> int:
    if isinstance(exc, CliError):
        return exc.exit_code
    if isinstance(exc, errors.ValidationError):
        # Input the SDK refused before sending anything: the command line was wrong.
        return EXIT_USAGE
    return EXIT_ERROR
