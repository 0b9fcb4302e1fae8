"""``telcall webhooks listen``: a real listener process fed by raw POSTs and by the simulator."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from collections.abc import AsyncIterator
from datetime import datetime

import aiohttp
import msgspec
import pytest

from telcall import AsyncTel4vnClient
from telcall.cli._webhooks import event_line
from telcall.simulator import DeliveryOptions
from telcall.tel4vn.events import parse_event

from .conftest import CLI, clean_env, run_cli

APIKEY = "listen-key-3b1f"
HANGUP = {
    "call_id": "avavavav-1111-2222-3333-eeeeeeee",
    "direction": "outbound",
    "from_number": "101",
    "to_number": "0899888999",
    "state": "hangup",
    "duration": 47,
    "billsec": 42,
}

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


class Listener(msgspec.Struct):
    """A running `telcall webhooks listen` process and the URL it announced."""

    proc: asyncio.subprocess.Process
    url: str

    async def line(self) -> str:
        """The next stdout line."""
        assert self.proc.stdout is not None
        return (await asyncio.wait_for(self.proc.stdout.readline(), 10)).decode().rstrip("\n")

    async def stop(self, sig: signal.Signals) -> tuple[int, str, str]:
        """Send `sig`; return the exit code and the rest of stdout and stderr."""
        self.proc.send_signal(sig)
        out, err = await asyncio.wait_for(self.proc.communicate(), 10)
        assert self.proc.returncode is not None
        return self.proc.returncode, out.decode(), err.decode()


@pytest.fixture
async def listen() -> AsyncIterator[list[Listener]]:
    """Started listeners; any still running at teardown is killed."""
    started: list[Listener] = []
    yield started
    for listener in started:
        if listener.proc.returncode is None:
            listener.proc.kill()
            await listener.proc.wait()


async def start_listener(started: list[Listener], *args: str, **env: str) -> Listener:
    """Start `telcall webhooks listen --port 0 ...` and read the address it announces."""
    proc = await asyncio.create_subprocess_exec(
        *CLI,
        "webhooks",
        "listen",
        "--port",
        "0",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=clean_env(**env),
    )
    listener = Listener(proc, "")
    started.append(listener)
    assert proc.stderr is not None
    first = (await asyncio.wait_for(proc.stderr.readline(), 30)).decode()
    assert first.startswith("listening on http://127.0.0.1:"), first
    listener.url = first.split()[2]
    return listener


async def post(url: str, body: object, apikey: str) -> int:
    """POST `body` as JSON with a bearer api key; return the status."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=body, headers={"Authorization": f"Bearer {apikey}"}) as resp,
    ):
        return resp.status


@posix_only
async def test_listen_prints_event_rejects_bad_key_and_stops_on_sigint(listen) -> None:
    """A posted event is printed as one line, a wrong key gets 401, SIGINT exits 0."""
    listener = await start_listener(listen, "--apikey", APIKEY)
    assert listener.url.endswith("/hooks/tel4vn")

    assert await post(listener.url, HANGUP, APIKEY) == 200
    line = await listener.line()
    assert await post(listener.url, {**HANGUP, "state": "cdr"}, "wrong-key") == 401
    code, rest, err = await listener.stop(signal.SIGINT)

    assert line[8:] == (
        "  hangup    avavavav-1111-2222-3333-eeeeeeee  outbound  101 → 0899888999  47s, talk 42s"
    )
    assert (code, rest) == (0, "")
    assert "webhook rejected: missing or wrong api key" in err
    assert err.rstrip().endswith("stopped")


@posix_only
async def test_listen_json_receives_simulated_call(listen, tel4vn_simulator_factory) -> None:
    """With --json and the key from the environment, a simulated call arrives as NDJSON."""
    listener = await start_listener(listen, "--json", TELCALL_WEBHOOK_APIKEY=APIKEY)
    sim = await tel4vn_simulator_factory(
        cdrs=10, deliver_events=True, delivery=DeliveryOptions(duplicate_rate=1.0)
    )
    async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as client:
        await client.events.ensure(
            listener.url, events=["ringing", "answered", "hangup", "cdr"], apikey=APIKEY
        )

    payloads = await sim.simulate_call(call_id="call-1")
    lines = [await listener.line() for _ in payloads]
    code, rest, _ = await listener.stop(signal.SIGTERM)

    records = [msgspec.json.decode(line) for line in lines]
    assert [r["state"] for r in records] == ["ringing", "answered", "hangup", "cdr"]
    assert {r["call_id"] for r in records} == {"call-1"}
    assert all(datetime.fromisoformat(r["received_at"]).tzinfo for r in records)
    assert [parse_event(msgspec.json.encode(p)) for p in payloads] == [
        parse_event(line.encode()) for line in lines
    ]
    # Every event was delivered twice; the duplicates were answered but not printed.
    assert (code, rest) == (0, "")
    assert len(sim.deliveries) == 8


@pytest.mark.parametrize(
    ("args", "error"),
    [
        pytest.param((), "an api key is required", id="no-apikey"),
        pytest.param(("--apikey", "k", "--path", "hooks"), "--path must start with '/'", id="path"),
    ],
)
async def test_listen_usage_errors(args, error) -> None:
    """A missing api key or a relative path is a usage error (exit 2) before listening."""
    result = await run_cli("webhooks", "listen", "--port", "0", *args)

    assert result.code == 2
    [line] = result.err_lines
    assert line.startswith("telcall webhooks listen: error: ")
    assert error in line


async def test_listen_on_a_busy_port_fails() -> None:
    """A port already in use is a one-line runtime error (exit 1)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = await run_cli("webhooks", "listen", "--port", str(port), "--apikey", "k")

    assert result.code == 1
    assert len(result.err_lines) == 1
    assert "address already in use" in result.err.lower()


@pytest.mark.parametrize(
    ("fields", "tail"),
    [
        pytest.param({"state": "ringing"}, "101 -> 0899888999", id="ringing"),
        pytest.param({"state": "answered"}, "101 -> 0899888999", id="answered"),
        pytest.param({"state": "hangup", "duration": 9, "billsec": 4}, "9s, talk 4s", id="hangup"),
        pytest.param({"state": "cdr", "status": "BUSY", "duration": 3}, "BUSY 3s", id="cdr"),
        pytest.param(
            {"state": "cdr", "direction": 3, "from_number": ""},
            "- -> 0899888999  - 47s",
            id="quirks",
        ),
    ],
)
def test_event_line_shape(fields, tail) -> None:
    """One line per event: time, state, call_id, direction, from -> to, then the outcome."""
    event = parse_event(msgspec.json.encode({**HANGUP, **fields}))

    line = event_line(event, datetime(2026, 11, 2, 9, 5, 7), arrow="->")

    assert line.startswith(f"09:05:07  {fields['state']:<8}  avavavav-1111-2222-3333-eeeeeeee  ")
    assert line.endswith(tail)
