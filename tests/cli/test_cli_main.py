"""The ``telcall`` command as a whole: help, usage errors, runtime errors, exit codes."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import pytest

from telcall.cli import COMMANDS, build_parser

from .conftest import clean_env, run_cli, sim_env


def command_paths(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> list[tuple[str, ...]]:
    """Every command in the parser tree: (), ("cdrs",), ("cdrs", "list"), ..."""
    paths = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                paths.extend(command_paths(sub, (*prefix, name)))
    return paths


COMMAND_PATHS = command_paths(build_parser())


def test_every_command_module_registers():
    """Each module in COMMANDS has register() and adds at least one command."""
    top = {path[0] for path in COMMAND_PATHS if path}
    assert {"demo", "simulate", "cdrs"} <= top
    assert len(COMMANDS) == len(top)


@pytest.mark.parametrize(
    "path", [pytest.param(p, id=" ".join(p) or "telcall") for p in COMMAND_PATHS]
)
async def test_help_works_for_every_command(path):
    """`telcall ... --help` exits 0 and prints the command's usage and options."""
    result = await run_cli(*path, "--help")
    assert (result.code, result.err) == (0, "")
    assert result.out.startswith(f"usage: {' '.join(('telcall', *path))}")
    assert "--debug" in result.out


async def test_installed_script_runs():
    """The `telcall` console script is installed next to the interpreter and runs."""
    script = str(Path(sys.executable).with_name("telcall"))
    result = await run_cli("--version", command=(script,))
    assert result.code == 0
    assert result.out.startswith("telcall ")


@pytest.mark.parametrize(
    ("args", "usage", "error"),
    [
        pytest.param(
            ["cdrs", "list", "--bogus"],
            "usage: telcall cdrs list [options]",
            "telcall cdrs list: error: unrecognized arguments: --bogus",
            id="unknown-flag-on-subcommand",
        ),
        pytest.param(
            ["--bogus", "demo"],
            "usage: telcall demo [options]",
            "telcall demo: error: unrecognized arguments: --bogus",
            id="unknown-flag-before-command",
        ),
        pytest.param(
            [],
            "usage: telcall [options] COMMAND",
            "telcall: error: the following arguments are required: COMMAND",
            id="no-command",
        ),
        pytest.param(
            ["cdrs", "list", "--limit", "0"],
            "usage: telcall cdrs list [options]",
            "telcall cdrs list: error: argument --limit: '0' must be >= 1",
            id="bad-value",
        ),
        pytest.param(
            ["cdrs", "list", "--limit", "5", "--all"],
            "usage: telcall cdrs list [options]",
            "telcall cdrs list: error: argument --all: not allowed with argument --limit",
            id="exclusive-flags",
        ),
        pytest.param(
            ["cdrs", "get"],
            "usage: telcall cdrs get [options] ID",
            "telcall cdrs get: error: the following arguments are required: ID",
            id="missing-positional",
        ),
        pytest.param(
            ["simulate", "--error-rate", "1.5"],
            "usage: telcall simulate [options]",
            "telcall simulate: error: argument --error-rate: '1.5' is a probability: "
            "between 0 and 1",
            id="fault-out-of-range",
        ),
    ],
)
async def test_usage_error_is_one_usage_line_and_exit_2(args, usage, error):
    """A bad command line prints one usage line and one error line, and exits 2."""
    result = await run_cli(*args)
    assert (result.code, result.out) == (2, "")
    assert [usage, error] == result.err_lines


@pytest.mark.parametrize(
    ("env", "error"),
    [
        pytest.param(
            {},
            "no TEL4VN address: pass --base-url or set TELCALL_TEL4VN_BASE_URL",
            id="no-base-url",
        ),
        pytest.param(
            {"TELCALL_TEL4VN_BASE_URL": "http://127.0.0.1:9"},
            "no credentials: pass --api-key or --token, "
            "or set TELCALL_TEL4VN_API_KEY or TELCALL_TEL4VN_TOKEN",
            id="no-credentials",
        ),
    ],
)
async def test_missing_configuration_is_a_usage_error(env, error):
    """Without an address or credentials cdrs list names the flag and the variable, exit 2."""
    result = await run_cli("cdrs", "list", env=clean_env(**env))
    assert result.code == 2
    assert [f"telcall cdrs list: error: {error}"] == result.err_lines


async def test_bad_date_is_a_usage_error(tel4vn_simulator):
    """A filter the SDK rejects before sending is reported in one line, exit 2."""
    result = await run_cli(
        "cdrs", "list", "--start-date", "yesterday", env=sim_env(tel4vn_simulator)
    )
    assert result.code == 2
    [line] = result.err_lines
    assert line.startswith("telcall cdrs list: error: start_date must be")


async def test_bad_credentials_one_error_line_exit_1(tel4vn_simulator):
    """A wrong api key against a running simulator: one clear line, no traceback, exit 1."""
    env = clean_env(TELCALL_TEL4VN_BASE_URL=tel4vn_simulator.base_url)
    result = await run_cli("cdrs", "list", "--api-key", "wrong-key", env=env)
    assert (result.code, result.out) == (1, "")
    [line] = result.err_lines
    assert line.startswith("telcall cdrs list: error: tel4vn HTTP 401")
    assert line.endswith("(check the API key or token)")
    assert "wrong-key" not in line


async def test_api_key_flag_beats_token_in_environment(tel4vn_simulator):
    """--api-key wins over a stale TELCALL_TEL4VN_TOKEN, as flags win over the environment."""
    env = clean_env(TELCALL_TEL4VN_BASE_URL=tel4vn_simulator.base_url, TELCALL_TEL4VN_TOKEN="stale")
    result = await run_cli(
        "cdrs", "list", "--limit", "1", "--json", "--api-key", tel4vn_simulator.api_key, env=env
    )
    assert (result.code, result.err) == (0, "")
    assert len(result.out.splitlines()) == 1


async def test_debug_shows_the_traceback(tel4vn_simulator):
    """With --debug (anywhere on the line) the failure shows the traceback and request logs."""
    env = clean_env(TELCALL_TEL4VN_BASE_URL=tel4vn_simulator.base_url)
    result = await run_cli("cdrs", "list", "--api-key", "wrong-key", "--debug", env=env)
    assert result.code == 1
    assert "Traceback (most recent call last)" in result.err
    assert "AuthenticationError" in result.err
    assert "wrong-key" not in result.err


async def test_connection_refused_is_one_line(unused_tcp_port):
    """Nothing listening at the base URL: one line saying so, exit 1."""
    env = clean_env(
        TELCALL_TEL4VN_BASE_URL=f"http://127.0.0.1:{unused_tcp_port}",
        TELCALL_TEL4VN_TOKEN="t",
    )
    result = await run_cli("cdrs", "get", "x", "--timeout", "5", env=env)
    assert result.code == 1
    [line] = result.err_lines
    assert line.startswith("telcall cdrs get: error: cannot connect")


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash for PIPESTATUS")
async def test_closed_stdout_exits_quietly(tel4vn_simulator_factory):
    """`telcall cdrs list --all --json | head -1`: exit 141, nothing on stderr."""
    # Several MB of output, more than any pipe buffer: the writer must see the pipe close.
    sim = await tel4vn_simulator_factory(cdrs=5000)
    script = f"{sys.executable} -m telcall.cli cdrs list --all --json | head -1 >/dev/null"
    result = await run_cli(
        "-c", script + '; echo "${PIPESTATUS[0]}"', command=("bash",), env=sim_env(sim)
    )
    assert (result.out, result.err) == ("141\n", "")


async def test_works_without_rich(tel4vn_simulator):
    """With rich unimportable the CLI still lists CDRs, as plain text."""
    code = (
        "import sys; sys.modules['rich'] = None; from telcall.cli import main; "
        "raise SystemExit(main())"
    )
    result = await run_cli(
        "cdrs", "list", "--limit", "2",
        command=(sys.executable, "-c", code),
        env=sim_env(tel4vn_simulator),
    )  # fmt: skip
    assert result.code == 0
    assert result.out.splitlines()[0].startswith("ID ")
    assert len(result.out.splitlines()) == 3


async def test_rich_is_not_imported_by_the_package():
    """Importing telcall and telcall.cli does not import rich (it is an optional extra)."""
    code = "import sys, telcall, telcall.cli; print('rich' in sys.modules)"
    result = await run_cli(command=(sys.executable, "-c", code))
    assert (result.code, result.out) == (0, "False\n")
