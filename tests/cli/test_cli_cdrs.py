"""``telcall cdrs list`` and ``telcall cdrs get`` against a running simulator."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime

import msgspec
import pytest

from telcall import AsyncTel4vnClient, CallRecord
from telcall.simulator import VN

from .conftest import run_cli, sim_env

_records = msgspec.json.Decoder(CallRecord)


def ndjson(text: str) -> list[CallRecord]:
    """Decode NDJSON output into CallRecords."""
    return [_records.decode(line) for line in text.splitlines()]


async def test_list_json_is_ndjson_of_call_records(tel4vn_simulator):
    """--json prints one normalised CallRecord per line, in the server's order."""
    result = await run_cli("cdrs", "list", "--limit", "25", "--json", env=sim_env(tel4vn_simulator))
    assert (result.code, result.err) == (0, "")
    records = ndjson(result.out)
    assert [r.id for r in records] == list(tel4vn_simulator.cdr_ids())[:25]
    assert {r.provider for r in records} == {"tel4vn"}
    assert all(r.started_at is not None and r.started_at.utcoffset() for r in records)


async def test_list_all_follows_every_page(tel4vn_simulator_factory):
    """--all lists every record, over several pages."""
    sim = await tel4vn_simulator_factory(cdrs=2500)
    result = await run_cli("cdrs", "list", "--all", "--json", env=sim_env(sim))
    assert result.code == 0
    assert [r.id for r in ndjson(result.out)] == list(sim.cdr_ids())


@pytest.mark.parametrize(
    ("flags", "filters"),
    [
        pytest.param(["--direction", "inbound"], {"direction": "inbound"}, id="direction"),
        pytest.param(["--status", "busy"], {"status": "busy"}, id="status"),
        pytest.param(["--extension", "105"], {"extension": "105"}, id="extension"),
        pytest.param(["--min-duration", "300"], {"min_duration": 300}, id="min-duration"),
        pytest.param(["--phone", "19001919"], {"phone": "19001919"}, id="phone"),
    ],
)
async def test_list_filters_reach_the_server(tel4vn_simulator, flags, filters):
    """Filter flags select exactly what the same SDK filters select, a strict subset."""
    result = await run_cli("cdrs", "list", "--all", "--json", *flags, env=sim_env(tel4vn_simulator))
    assert result.code == 0
    sim = tel4vn_simulator
    async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as client:
        expected = [cdr.cdr_id async for cdr in client.cdrs.iterate(**filters)]
    assert [r.id for r in ndjson(result.out)] == expected
    assert 0 < len(expected) < 1000


async def test_list_date_range(tel4vn_simulator):
    """--start-date/--end-date select the CDRs started in that range (PBX local time)."""
    result = await run_cli(
        "cdrs", "list", "--all", "--json", "--start-date", "2026-11-02",
        "--end-date", "2026-11-03 12:00:00", env=sim_env(tel4vn_simulator),
    )  # fmt: skip
    assert result.code == 0
    expected = tel4vn_simulator.cdr_ids(
        datetime(2026, 11, 2, tzinfo=VN), datetime(2026, 11, 3, 12, tzinfo=VN)
    )
    assert [r.id for r in ndjson(result.out)] == list(expected)


async def test_list_table(tel4vn_simulator):
    """The plain table (stdout is not a terminal) has a header and one aligned row per CDR."""
    result = await run_cli("cdrs", "list", "--limit", "5", env=sim_env(tel4vn_simulator))
    assert result.code == 0
    header, *rows = result.out.splitlines()
    assert header.split() == [
        "ID", "Started", "Direction", "Status", "From", "To", "Ext", "Duration", "Talk",
    ]  # fmt: skip
    assert [row.split()[0] for row in rows] == list(tel4vn_simulator.cdr_ids())[:5]
    assert result.err_lines == ["showing the first 5; use --limit N or --all for more"]


async def test_list_no_match(tel4vn_simulator):
    """A filter nothing matches prints the header and says so on stderr, exit 0."""
    result = await run_cli("cdrs", "list", "--extension", "999", env=sim_env(tel4vn_simulator))
    assert result.code == 0
    assert len(result.out.splitlines()) == 1
    assert result.err_lines == ["no CDRs match"]


async def test_list_flex_mapping(tel4vn_simulator_factory):
    """Accounts on the flex mapping list the same way (mapping detected per page)."""
    sim = await tel4vn_simulator_factory(cdrs=100, mapping="mixed")
    result = await run_cli("cdrs", "list", "--all", "--json", env=sim_env(sim))
    assert result.code == 0
    assert [r.id for r in ndjson(result.out)] == list(sim.cdr_ids())


async def test_list_with_flags_instead_of_environment(tel4vn_simulator):
    """--base-url and --api-key work without any environment variable."""
    result = await run_cli(
        "cdrs", "list", "--limit", "1", "--json",
        "--base-url", tel4vn_simulator.base_url, "--api-key", tel4vn_simulator.api_key,
    )  # fmt: skip
    assert (result.code, result.err) == (0, "")
    assert len(ndjson(result.out)) == 1


async def test_get_json(tel4vn_simulator):
    """cdrs get --json prints the record as one JSON object."""
    cdr_id = next(iter(tel4vn_simulator.cdr_ids()))
    result = await run_cli("cdrs", "get", cdr_id, "--json", env=sim_env(tel4vn_simulator))
    assert (result.code, result.err) == (0, "")
    [record] = ndjson(result.out)
    assert record.id == cdr_id


async def test_get_by_sip_call_id(tel4vn_simulator):
    """cdrs get also finds a record by its sip_call_id."""
    wire = tel4vn_simulator.cdr(7)
    result = await run_cli(
        "cdrs", "get", wire["sip_call_id"], "--json", env=sim_env(tel4vn_simulator)
    )
    assert result.code == 0
    assert ndjson(result.out)[0].id == wire["id"].strip()


async def test_get_table(tel4vn_simulator):
    """cdrs get without --json shows a field/value table of the CallRecord."""
    cdr_id = next(iter(tel4vn_simulator.cdr_ids()))
    result = await run_cli("cdrs", "get", cdr_id, env=sim_env(tel4vn_simulator))
    assert result.code == 0
    fields = dict(line.split(None, 1) for line in result.out.splitlines()[1:])
    assert fields["id"] == cdr_id
    assert fields["provider"] == "tel4vn"
    assert fields["started_at"].startswith("2026-11-01 00:00:00+07:00")


async def test_get_unknown_id(tel4vn_simulator):
    """An id the PBX does not know: one 404 line, exit 1."""
    result = await run_cli("cdrs", "get", "no-such-cdr", env=sim_env(tel4vn_simulator))
    assert result.code == 1
    [line] = result.err_lines
    assert line.startswith("telcall cdrs get: error: tel4vn HTTP 404")


async def test_tz_option(tel4vn_simulator):
    """--tz sets the zone the PBX's naive times are read in, and shown in."""
    result = await run_cli(
        "cdrs", "list", "--limit", "1", "--json", "--tz", "UTC", env=sim_env(tel4vn_simulator)
    )
    assert result.code == 0
    assert ndjson(result.out)[0].started_at.isoformat() == "2026-11-01T00:00:00+00:00"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a Linux pty")
async def test_table_on_a_terminal_uses_rich(tel4vn_simulator):
    """On a terminal the table is drawn by rich (box characters), ids intact."""
    import pty

    primary, secondary = pty.openpty()
    env = sim_env(tel4vn_simulator) | {"COLUMNS": "200", "TERM": "xterm"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "telcall.cli", "cdrs", "list", "--limit", "3",
        stdout=secondary, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    os.close(secondary)
    # Read while it runs: a full pty buffer would block the child's writes.
    out, _ = await asyncio.wait_for(
        asyncio.gather(asyncio.to_thread(_read_all, primary), proc.wait()), 60
    )
    assert proc.returncode == 0
    assert out.startswith("┏━")
    assert "Started" in out
    for cdr_id in list(tel4vn_simulator.cdr_ids())[:3]:
        assert cdr_id in out


def _read_all(fd: int) -> str:
    """Read a pty's primary side until the secondary side is gone."""
    chunks = []
    try:
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    except OSError:
        pass  # EIO: every copy of the secondary side is closed
    finally:
        os.close(fd)
    return b"".join(chunks).decode()
