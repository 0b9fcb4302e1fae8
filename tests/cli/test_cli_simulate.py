"""``telcall simulate``: a real simulator, fault flags mapped onto ``Faults``, clean stops."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator

import msgspec
import pytest

from telcall import AsyncTel4vnClient, errors
from telcall.cli import build_parser
from telcall.cli._simulate import faults_from
from telcall.simulator import Faults

from .conftest import CLI, clean_env, run_cli


class Served(msgspec.Struct):
    """A running `telcall simulate` process and what it announced."""

    proc: asyncio.subprocess.Process
    base_url: str
    api_key: str
    banner: list[str]


async def start_simulate(*args: str) -> Served:
    """Start `telcall simulate --port 0 ...` and read its banner up to "Press Ctrl-C"."""
    proc = await asyncio.create_subprocess_exec(
        *CLI,
        "simulate",
        "--port",
        "0",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=clean_env(),
    )
    assert proc.stdout is not None
    banner: list[str] = []
    while not banner or not banner[-1].startswith("Press Ctrl-C"):
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert line, f"simulate exited early: {banner}"
        banner.append(line.decode().rstrip("\n"))
    return Served(proc, _after(banner, "base URL"), _after(banner, "api key"), banner)


def _after(banner: list[str], label: str) -> str:
    """The value printed after `label` in the banner."""
    [line] = [line for line in banner if line.strip().startswith(label)]
    return line.strip().removeprefix(label).strip()


@pytest.fixture
async def served() -> AsyncIterator[list[Served]]:
    """Started simulate processes; any still running at teardown is killed."""
    started: list[Served] = []
    yield started
    for s in started:
        if s.proc.returncode is None:
            s.proc.kill()
            await s.proc.wait()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(
    "sig",
    [pytest.param(signal.SIGINT, id="SIGINT"), pytest.param(signal.SIGTERM, id="SIGTERM")],
)
async def test_simulate_serves_until_signalled(served, sig):
    """It prints a base URL that answers real SDK calls, and exits 0 on SIGINT or SIGTERM."""
    sim = await start_simulate("--cdrs", "50", "--seed", "3")
    served.append(sim)
    assert sim.banner[0] == (
        "TEL4VN simulator: 50 CDRs from 2026-11-01 to 2026-11-08 (seed 3, default mapping)"
    )
    async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as client:
        page = await client.cdrs.list(offset=0, limit=10)
    assert (len(page.items), page.total) == (10, 50)
    sim.proc.send_signal(sig)
    _, err = await asyncio.wait_for(sim.proc.communicate(), 30)
    assert sim.proc.returncode == 0
    assert err.decode() == "stopping the simulator\n"


async def test_simulate_fault_flags_reach_the_server(served):
    """--error-rate 1 --error-statuses 503: every API call fails with 503, as announced."""
    sim = await start_simulate("--cdrs", "10", "--error-rate", "1", "--error-statuses", "503")
    served.append(sim)
    assert "  faults    error_rate=1.0 error_statuses=(503,)" in sim.banner
    async with AsyncTel4vnClient(
        base_url=sim.base_url, api_key=sim.api_key, max_retries=0
    ) as client:
        with pytest.raises(errors.ServerError) as caught:
            await client.cdrs.list(limit=1)
    assert caught.value.status == 503


def test_fault_flags_map_one_to_one_onto_faults():
    """Every Faults field has a flag, and the flags build the Faults they name."""
    args = build_parser().parse_args(
        [
            "simulate",
            "--error-rate", "0.25",
            "--error-statuses", "500,429",
            "--rate-limit-burst", "7",
            "--latency", "0.5",
            "--token-expire-after", "3",
            "--include-auth",
        ]
    )  # fmt: skip
    assert set(args.fault_fields) == {f.name for f in msgspec.structs.fields(Faults)}
    assert faults_from(args) == Faults(
        error_rate=0.25,
        error_statuses=(500, 429),
        rate_limit_burst=7,
        latency=0.5,
        token_expire_after=3,
        include_auth=True,
    )
    assert faults_from(build_parser().parse_args(["simulate"])) == Faults()


@pytest.mark.parametrize(
    ("flag", "value", "error"),
    [
        pytest.param("--drop-rate", "x", "argument --drop-rate: 'x': Expected `float`", id="type"),
        pytest.param("--latency", "-1", "argument --latency: '-1' must not be negative", id="neg"),
        pytest.param(
            "--error-statuses",
            "500,x",
            "argument --error-statuses: '500,x': Expected `int`",
            id="list",
        ),
    ],
)
async def test_bad_fault_values_are_usage_errors(flag, value, error):
    """A fault flag value Faults cannot mean is rejected before anything starts, exit 2."""
    result = await run_cli("simulate", flag, value)
    assert result.code == 2
    assert result.err_lines[1].startswith(f"telcall simulate: error: {error}")


async def test_port_in_use_is_one_line(tel4vn_simulator):
    """A port already taken: one line saying so, exit 1."""
    result = await run_cli("simulate", "--port", str(tel4vn_simulator.port))
    assert result.code == 1
    [line] = result.err_lines
    assert line.startswith("telcall simulate: error: ")
    assert "address already in use" in line.lower()
