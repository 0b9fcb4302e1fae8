"""``telcall simulate``: every provider served for real, fault flags mapped onto ``Faults``."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime

import msgspec
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from telcall import AsyncAICallCenterClient, AsyncOmicallClient, AsyncTel4vnClient, errors
from telcall.cli import build_parser
from telcall.cli._simulate import faults_from
from telcall.simulator import VN, Faults, Tel4vnSimulator

from .conftest import CLI, clean_env, run_cli

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


class Served(msgspec.Struct):
    """A running simulator process and what it announced."""

    proc: asyncio.subprocess.Process
    banner: list[str]

    @property
    def exports(self) -> dict[str, str]:
        """The variables of the banner's ``export NAME=value`` lines."""
        pairs = (
            line.strip().removeprefix("export ").split("=", 1)
            for line in self.banner
            if line.strip().startswith("export ")
        )
        return dict(pairs)

    @property
    def base_url(self) -> str:
        """The printed base URL."""
        return self.value("base URL")

    @property
    def api_key(self) -> str:
        """The printed TEL4VN or OMICall api key."""
        return self.value("api key")

    def value(self, label: str) -> str:
        """The value printed after `label` on the one banner line that starts with it."""
        [line] = [line for line in self.banner if line.strip().startswith(label)]
        return line.strip().removeprefix(label).strip()

    def values(self, label: str) -> list[str]:
        """The first word after `label` on every banner line that starts with it."""
        lines = [line.strip() for line in self.banner if line.strip().startswith(label)]
        return [line.removeprefix(label).split()[0] for line in lines]

    async def stop(self, sig: signal.Signals) -> tuple[int | None, str]:
        """Send `sig`; return the exit code and stderr once the process is gone."""
        self.proc.send_signal(sig)
        _, err = await asyncio.wait_for(self.proc.communicate(), 30)
        return self.proc.returncode, err.decode()


Start = Callable[..., Awaitable[Served]]


@pytest.fixture
async def start() -> AsyncIterator[Start]:
    """`await start(*args)`: `telcall simulate --port 0 *args`, read up to "Press Ctrl-C".

    `lines=N` reads N lines instead and `command=` runs another program (``python -m
    telcall.simulator``). Processes still running at teardown are killed.
    """
    started: list[Served] = []

    async def launch(
        *args: str, command: Sequence[str] = (*CLI, "simulate"), lines: int | None = None
    ) -> Served:
        proc = await asyncio.create_subprocess_exec(
            *command,
            "--port",
            "0",
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=clean_env(),
        )
        served = Served(proc, [])
        started.append(served)
        assert proc.stdout is not None
        banner = served.banner

        def done() -> bool:
            if lines is not None:
                return len(banner) == lines
            return bool(banner) and banner[-1] == "Press Ctrl-C to stop."

        while not done():
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
            assert line, f"the simulator exited early: {banner}"
            banner.append(line.decode().rstrip("\n"))
        return served

    yield launch
    for served in started:
        if served.proc.returncode is None:
            served.proc.kill()
            await served.proc.wait()


SIGNALS = [pytest.param(signal.SIGINT, id="SIGINT"), pytest.param(signal.SIGTERM, id="SIGTERM")]


@posix_only
@pytest.mark.parametrize("sig", SIGNALS)
async def test_tel4vn_serves_until_signalled(
    start: Start, monkeypatch: pytest.MonkeyPatch, sig: signal.Signals
) -> None:
    """TEL4VN: the printed exports answer real SDK calls; SIGINT or SIGTERM exits 0."""
    sim = await start("--cdrs", "50", "--seed", "3")
    assert sim.banner[0] == (
        "TEL4VN simulator: 50 CDRs from 2026-11-01 to 2026-11-08 (seed 3, default mapping)"
    )
    assert sim.exports == {
        "TELCALL_TEL4VN_BASE_URL": sim.base_url,
        "TELCALL_TEL4VN_API_KEY": sim.api_key,
    }
    for name, value in sim.exports.items():
        monkeypatch.setenv(name, value)
    async with AsyncTel4vnClient() as client:
        page = await client.cdrs.list(offset=0, limit=10)
    assert (len(page.items), page.total) == (10, 50)
    assert await sim.stop(sig) == (0, "stopping the simulator\n")


@posix_only
@pytest.mark.parametrize("sig", SIGNALS)
async def test_omicall_serves_until_signalled(
    start: Start, monkeypatch: pytest.MonkeyPatch, sig: signal.Signals
) -> None:
    """OMICall: the printed exports answer real SDK calls; SIGINT or SIGTERM exits 0."""
    sim = await start("--provider", "omicall", "--calls", "40", "--contacts", "7", "--seed", "2")
    assert sim.banner[0] == (
        "OMICall simulator: 40 calls from 2026-09-01 to 2026-12-01, 7 contacts (seed 2)"
    )
    assert sim.exports == {
        "TELCALL_OMICALL_BASE_URL": sim.base_url,
        "TELCALL_OMICALL_API_KEY": sim.api_key,
    }
    for name, value in sim.exports.items():
        monkeypatch.setenv(name, value)
    async with AsyncOmicallClient() as client:
        contacts = await client.contacts.list()
        calls = [
            call.transaction_id
            async for call in client.call_history.iterate(
                from_date=datetime(2026, 9, 1, tzinfo=VN), to_date=datetime(2026, 12, 1, tzinfo=VN)
            )
        ]
    assert (contacts.total, len(calls), len(set(calls))) == (7, 40, 40)
    assert await sim.stop(sig) == (0, "stopping the simulator\n")


@posix_only
@pytest.mark.parametrize("sig", SIGNALS)
async def test_aicallcenter_serves_until_signalled(
    start: Start, monkeypatch: pytest.MonkeyPatch, sig: signal.Signals
) -> None:
    """AI Call Center: the printed exports and campaigns answer real SDK calls; exit 0."""
    sim = await start("--provider", "aicallcenter", "--calls-per-campaign", "15")
    assert sim.banner[0] == (
        "AI Call Center simulator: 3 campaigns of 15 calls from 2026-11-01 to 2026-11-08 (seed 1)"
    )
    assert sim.exports == {
        "TELCALL_AICALLCENTER_BASE_URL": sim.base_url,
        "TELCALL_AICALLCENTER_SECRET_KEY": sim.value("secret key"),
    }
    running, _, stopped = sim.values("campaign")
    for name, value in sim.exports.items():
        monkeypatch.setenv(name, value)
    async with AsyncAICallCenterClient() as client:
        page = await client.campaigns.calls.list(running, limit=5)
        result = await client.campaigns.import_contacts(running, [{"phone_number": "0901234567"}])
        with pytest.raises(errors.ProviderError):
            await client.campaigns.import_contacts(stopped, [{"phone_number": "0901234567"}])
    assert (len(page.items), page.total) == (5, 15)
    assert [c.phone_number for c in result.accepted] == ["0901234567"]
    assert await sim.stop(sig) == (0, "stopping the simulator\n")


@pytest.mark.parametrize(
    ("provider", "label"),
    [
        pytest.param("omicall", "api key", id="omicall"),
        pytest.param("aicallcenter", "secret key", id="aicallcenter"),
    ],
)
async def test_default_credentials_follow_the_seed(start: Start, provider: str, label: str) -> None:
    """Without a key flag, the same seed prints the same credential (as TEL4VN's), another not."""
    runs = await asyncio.gather(*(start("--provider", provider, "--seed", s) for s in "556"))
    first, again, other = (run.value(label) for run in runs)
    assert first == again != other


async def test_key_flags_set_the_credentials(start: Start) -> None:
    """--api-key (OMICall) and --secret-key (AI Call Center) are the keys printed and accepted."""
    omi, aicc = await asyncio.gather(
        start("--provider", "omicall", "--api-key", "omi-key-1"),
        start("--provider", "aicallcenter", "--secret-key", "aicc-key-1"),
    )
    assert (omi.api_key, aicc.value("secret key")) == ("omi-key-1", "aicc-key-1")
    async with AsyncOmicallClient(base_url=omi.base_url, api_key="omi-key-1") as client:
        assert (await client.contacts.list()).total == 25
    async with AsyncAICallCenterClient(base_url=aicc.base_url, secret_key="aicc-key-1") as client:
        assert (await client.users.calls.list()).total == 360


async def test_deliver_events_posts_call_events(start: Start) -> None:
    """--deliver-events: a click-to-call's events reach a subscribed loopback callback."""
    received: asyncio.Queue[dict[str, object]] = asyncio.Queue()

    async def hook(request: web.Request) -> web.Response:
        received.put_nowait(json.loads(await request.read()))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    sim = await start("--cdrs", "5", "--deliver-events")
    assert "  events    click-to-call POSTs call events to subscribed loopback URLs" in sim.banner
    async with (
        TestServer(app, host="127.0.0.1") as server,
        AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as client,
    ):
        await client.events.ensure(str(server.make_url("/hook")), events=("cdr",), apikey="k")
        call = await client.click2call.call_nowait(ext="101", phone="0899098899")
        event = await asyncio.wait_for(received.get(), 10)
    assert (event["state"], event["call_id"]) == ("cdr", call.call_id)


async def test_without_deliver_events_nothing_is_announced(start: Start) -> None:
    """Delivery is off by default, and the banner says nothing about events."""
    sim = await start("--cdrs", "5")
    assert not any(line.strip().startswith("events") for line in sim.banner)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        pytest.param(
            ("--provider", "omicall", "--cdrs", "5"),
            "--cdrs is for --provider tel4vn, not omicall",
            id="cdrs-omicall",
        ),
        pytest.param(
            ("--deliver-events", "--provider", "aicallcenter"),
            "--deliver-events is for --provider tel4vn, not aicallcenter",
            id="deliver-events-aicallcenter",
        ),
        pytest.param(
            ("--provider", "aicallcenter", "--api-key", "k"),
            "--api-key is for --provider tel4vn and omicall, not aicallcenter",
            id="api-key-aicallcenter",
        ),
        pytest.param(
            ("--calls-per-campaign", "3"),
            "--calls-per-campaign is for --provider aicallcenter, not tel4vn",
            id="calls-per-campaign-tel4vn",
        ),
        pytest.param(
            ("--provider", "omicall", "--insert-during-scroll", "3"),
            "--insert-during-scroll does not apply to --provider omicall",
            id="insert-omicall",
        ),
        pytest.param(
            ("--provider", "aicallcenter", "--token-expire-after", "2"),
            "--token-expire-after does not apply to --provider aicallcenter",
            id="token-expire-aicallcenter",
        ),
    ],
)
async def test_flags_of_another_provider_are_usage_errors(
    args: tuple[str, ...], error: str
) -> None:
    """A flag the chosen simulator would ignore is refused in one line, exit 2."""
    result = await run_cli("simulate", "--port", "0", *args)
    assert (result.code, result.out, result.err_lines) == (
        2,
        "",
        [f"telcall simulate: error: {error}"],
    )


@posix_only
@pytest.mark.parametrize(
    ("provider", "first", "credential"),
    [
        pytest.param("tel4vn", "TEL4VN simulator on ", "api_key=", id="tel4vn"),
        pytest.param("omicall", "OMICall simulator on ", "api_key=", id="omicall"),
        pytest.param("aicallcenter", "AI Call Center simulator on ", "secret_key=", id="aicc"),
    ],
)
async def test_python_m_simulator_serves_each_provider(
    start: Start, provider: str, first: str, credential: str
) -> None:
    """`python -m telcall.simulator --provider X` prints URL and credential, answers, exits 0."""
    sim = await start(
        "--provider", provider, command=(sys.executable, "-m", "telcall.simulator"), lines=2
    )
    assert sim.banner[0].startswith(first)
    words = dict(word.split("=", 1) for word in sim.banner[1].split())
    base_url, key = sim.banner[0].removeprefix(first), words[credential.rstrip("=")]
    if provider == "tel4vn":
        async with AsyncTel4vnClient(base_url=base_url, api_key=key) as tel4vn:
            assert (await tel4vn.cdrs.list(offset=0, limit=1)).total == 1000
    elif provider == "omicall":
        async with AsyncOmicallClient(base_url=base_url, api_key=key) as omicall:
            assert (await omicall.contacts.list()).total == 25
    else:
        async with AsyncAICallCenterClient(base_url=base_url, secret_key=key) as aicc:
            page = await aicc.campaigns.calls.list(words["campaign_id"], limit=1)
            assert page.total == 120
    assert await sim.stop(signal.SIGINT) == (0, "")


async def test_python_m_simulator_refuses_another_providers_flag() -> None:
    """`python -m telcall.simulator --provider omicall --cdrs 5` is a usage error, exit 2."""
    result = await run_cli(
        "--provider", "omicall", "--cdrs", "5", command=(sys.executable, "-m", "telcall.simulator")
    )
    assert result.code == 2
    assert result.err_lines[-1].endswith("error: --cdrs is for --provider tel4vn")


async def test_simulate_fault_flags_reach_the_server(start: Start) -> None:
    """--error-rate 1 --error-statuses 503: every API call fails with 503, as announced."""
    sim = await start("--cdrs", "10", "--error-rate", "1", "--error-statuses", "503")
    assert "  faults    error_rate=1.0 error_statuses=(503,)" in sim.banner
    async with AsyncTel4vnClient(
        base_url=sim.base_url, api_key=sim.api_key, max_retries=0
    ) as client:
        with pytest.raises(errors.ServerError) as caught:
            await client.cdrs.list(limit=1)
    assert caught.value.status == 503


def test_fault_flags_map_one_to_one_onto_faults() -> None:
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
async def test_bad_fault_values_are_usage_errors(flag: str, value: str, error: str) -> None:
    """A fault flag value Faults cannot mean is rejected before anything starts, exit 2."""
    result = await run_cli("simulate", flag, value)
    assert result.code == 2
    assert result.err_lines[1].startswith(f"telcall simulate: error: {error}")


async def test_port_in_use_is_one_line(tel4vn_simulator: Tel4vnSimulator) -> None:
    """A port already taken: one line saying so, exit 1."""
    result = await run_cli("simulate", "--port", str(tel4vn_simulator.port))
    assert result.code == 1
    [line] = result.err_lines
    assert line.startswith("telcall simulate: error: ")
    assert "address already in use" in line.lower()
