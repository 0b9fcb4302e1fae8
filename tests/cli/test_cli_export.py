"""``telcall export cdrs`` end to end: every provider and format, resume, incremental, errors."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import signal
import sqlite3
import sys
from pathlib import Path

import msgspec
import pytest

from telcall.cli._common import PROVIDERS
from telcall.export import STATE_FILE, ExportSummary
from telcall.export._state import SqliteStore
from telcall.simulator import Faults

from .conftest import CLI, clean_env, run_cli, sim_env

WEEK = ("--since", "2026-11-01", "--until", "2026-11-08")


def exported_ids(out: Path) -> list[str]:
    """Every id written under ``out``, one entry per record (duplicates show up twice)."""
    ids: list[str] = []
    for path in sorted(out.glob("date=*/part-*")):
        if path.suffix == ".ndjson":
            ids.extend(msgspec.json.decode(line)["id"] for line in path.read_bytes().splitlines())
        elif path.suffix == ".csv":
            with path.open(newline="", encoding="utf-8") as file:
                ids.extend(row["id"] for row in csv.DictReader(file))
        else:
            import pyarrow.parquet as pq

            ids.extend(pq.read_table(path, columns=["id"]).column("id").to_pylist())
    return ids


def assert_exactly_once(out: Path, expected: set[str]) -> None:
    """Each server record exported once, and nothing else."""
    ids = exported_ids(out)
    assert len(ids) == len(set(ids)), "duplicates in the export"
    assert set(ids) == expected


def summary_of(stdout: str) -> ExportSummary:
    """The --json summary line."""
    return msgspec.json.decode(stdout, type=ExportSummary)


@pytest.mark.parametrize("fmt", [pytest.param(f, id=f) for f in ("ndjson", "csv", "parquet")])
async def test_tel4vn_formats_with_json_summary(tel4vn_simulator, tmp_path, fmt):
    """Each format holds every CDR once; --json prints the summary alone on stdout."""
    out = tmp_path / "cdrs"
    result = await run_cli(
        "export", "cdrs", *WEEK, "--out", str(out), "--format", fmt, "--window", "12h", "--json",
        env=sim_env(tel4vn_simulator),
    )  # fmt: skip
    assert result.code == 0, result.err
    summary = summary_of(result.out)
    assert (summary.records, summary.windows_planned, summary.windows_done) == (1000, 14, 14)
    assert summary.out_dir == str(out)
    assert all(name.endswith(f".{fmt}") for name in summary.files)
    assert_exactly_once(out, set(tel4vn_simulator.cdr_ids()))


async def test_omicall_export(omicall_simulator, tmp_path):
    """--provider omicall reads TELCALL_OMICALL_* and exports every call once."""
    sim = omicall_simulator
    env = clean_env(TELCALL_OMICALL_BASE_URL=sim.base_url, TELCALL_OMICALL_API_KEY=sim.api_key)
    result = await run_cli(
        "export", "cdrs", "--provider", "omicall", "--since", "2026-09-01",
        "--until", "2026-12-01", "--out", str(tmp_path), "--concurrency", "8", "--json", env=env,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert summary_of(result.out).records == 2000
    assert_exactly_once(tmp_path, set(sim.transaction_ids(sim.t0_ms, sim.t0_ms + sim.span_ms)))


@pytest.mark.parametrize(
    "campaign",
    [pytest.param(False, id="call-log"), pytest.param(True, id="one-campaign")],
)
async def test_aicallcenter_export(aicallcenter_simulator, tmp_path, campaign):
    """--provider aicallcenter exports the account's call log, or one --campaign."""
    sim = aicallcenter_simulator
    env = clean_env(
        TELCALL_AICALLCENTER_BASE_URL=sim.base_url, TELCALL_AICALLCENTER_SECRET_KEY=sim.secret_key
    )
    flags = ["--campaign", sim.campaign_id] if campaign else []
    result = await run_cli(
        "export", "cdrs", "--provider", "aicallcenter", *flags, *WEEK, "--out", str(tmp_path),
        "--json", env=env,
    )  # fmt: skip
    assert result.code == 0, result.err
    chosen = [sim.campaign_id] if campaign else list(sim.campaigns)
    expected = {str(call["call_id"]) for cid in chosen for call in sim.calls(cid)}
    assert summary_of(result.out).records == len(expected)
    assert_exactly_once(tmp_path, expected)


async def test_since_last_continues_from_the_checkpoint(tel4vn_simulator, tmp_path):
    """--since last re-reads only the lookback and extends to --until; every CDR lands once."""
    env = sim_env(tel4vn_simulator)
    base = ("export", "cdrs", "--out", str(tmp_path), "--window", "6h", "--json")
    first = await run_cli(*base, "--since", "2026-11-01", "--until", "2026-11-04", env=env)
    assert first.code == 0, first.err
    second = await run_cli(*base, "--since", "last", "--until", "2026-11-08", env=env)
    assert second.code == 0, second.err
    summary = summary_of(second.out)
    # The default 2 h lookback reopens the last 6 h window of the first run, then 16 new ones.
    assert (summary.windows_planned, summary.windows_done) == (17, 17)
    assert summary.watermark is not None
    assert summary.watermark.isoformat() == "2026-11-08T00:00:00+07:00"
    assert_exactly_once(tmp_path, set(tel4vn_simulator.cdr_ids()))


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
async def test_resume_after_an_interrupted_run(tel4vn_simulator_factory, tmp_path):
    """Ctrl-C once a window is committed (exit 130); the same command then skips it and finishes."""
    sim = await tel4vn_simulator_factory(cdrs=5000, faults=Faults(latency=0.03))
    args = ("export", "cdrs", *WEEK, "--out", str(tmp_path), "--window", "6h",
            "--concurrency", "1", "--json")  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        *CLI, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=sim_env(sim),
    )  # fmt: skip
    store = SqliteStore(tmp_path)
    for _ in range(300):
        await asyncio.sleep(0.1)
        if (tmp_path / STATE_FILE).exists() and any(
            row.status == "done" for row in store.windows()
        ):
            break
    proc.send_signal(signal.SIGINT)
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 130, err.decode()
    assert err.decode().splitlines()[-1] == "telcall export cdrs: interrupted"
    done = sum(row.status == "done" for row in store.windows())
    assert 0 < done < 28

    result = await run_cli(*args, env=sim_env(sim))
    assert result.code == 0, result.err
    summary = summary_of(result.out)
    assert summary.windows_skipped == done
    assert summary.windows_done == 28 - done
    assert not list(tmp_path.glob("date=*/.*.tmp"))
    assert_exactly_once(tmp_path, set(sim.cdr_ids()))


@pytest.mark.parametrize(
    ("flags", "error"),
    [
        pytest.param(
            ["--provider", "omicall", "--campaign", "c1"],
            "--campaign is for --provider aicallcenter, not omicall",
            id="campaign-for-omicall",
        ),
        pytest.param(
            ["--secret-key", "k"],
            "--secret-key is for --provider aicallcenter, not tel4vn",
            id="secret-key-for-tel4vn",
        ),
        pytest.param(
            ["--provider", "aicallcenter", "--api-key", "k"],
            "--api-key is for --provider tel4vn and omicall, not aicallcenter",
            id="api-key-for-aicallcenter",
        ),
        pytest.param(
            ["--provider", "omicall"],
            "no OMICall address: pass --base-url or set TELCALL_OMICALL_BASE_URL",
            id="omicall-without-address",
        ),
        pytest.param(
            ["--provider", "aicallcenter"],
            "no credentials: pass --secret-key or --token, or set "
            "TELCALL_AICALLCENTER_SECRET_KEY or TELCALL_AICALLCENTER_ACCESS_TOKEN",
            id="aicallcenter-without-credentials",
        ),
        pytest.param(
            ["--base-url", "http://127.0.0.1:9", "--token", "t", "--format", "csv", "--raw"],
            "raw=True writes the providers' wire records, which needs ndjson",
            id="raw-csv",
        ),
    ],
)
async def test_bad_flags_one_line_exit_2(tmp_path, flags, error):
    """Flags that do not fit together: one error line naming the fix, exit 2, nothing written."""
    result = await run_cli("export", "cdrs", *WEEK, "--out", str(tmp_path / "x"), *flags)
    assert (result.code, result.out) == (2, "")
    assert result.err_lines == [f"telcall export cdrs: error: {error}"]
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    ("flags", "error"),
    [
        pytest.param(
            ["--provider", "genesys"],
            "argument --provider: invalid choice: 'genesys' "
            "(choose from 'tel4vn', 'omicall', 'aicallcenter')",
            id="unknown-provider",
        ),
        pytest.param(
            ["--window", "6 hours"],
            "argument --window: '6 hours' is not a duration like 6h, 30m, 1d or 90s",
            id="bad-window",
        ),
    ],
)
async def test_unparsable_flags_usage_and_exit_2(tmp_path, flags, error):
    """A flag argparse rejects: the usage line and one error line, exit 2."""
    result = await run_cli("export", "cdrs", *WEEK, "--out", str(tmp_path), *flags)
    assert (result.code, result.out) == (2, "")
    usage, line = result.err_lines
    assert usage == "usage: telcall export cdrs [options]"
    assert line == f"telcall export cdrs: error: {error}"


@pytest.mark.parametrize("provider", [pytest.param(p, id=p) for p in PROVIDERS])
async def test_bad_credentials_one_line_exit_1(
    provider, tel4vn_simulator, omicall_simulator, aicallcenter_simulator, tmp_path
):
    """A wrong key: one clear line, no traceback, no progress, exit 1, the key not echoed."""
    env = clean_env(
        TELCALL_TEL4VN_BASE_URL=tel4vn_simulator.base_url,
        TELCALL_OMICALL_BASE_URL=omicall_simulator.base_url,
        TELCALL_AICALLCENTER_BASE_URL=aicallcenter_simulator.base_url,
    )
    secret = "--secret-key" if provider == "aicallcenter" else "--api-key"
    result = await run_cli(
        "export", "cdrs", "--provider", provider, secret, "wrong-key-123", *WEEK,
        "--out", str(tmp_path), env=env,
    )  # fmt: skip
    assert (result.code, result.out) == (1, "")
    [line] = result.err_lines
    assert line.startswith(f"telcall export cdrs: error: {provider}")
    assert line.endswith("(check the API key or token)")
    assert "wrong-key-123" not in result.err
    assert not list(tmp_path.glob("date=*/*"))


async def test_unknown_campaign_one_line_exit_1(aicallcenter_simulator, tmp_path):
    """A campaign the provider does not know stops the export at once with its message."""
    sim = aicallcenter_simulator
    env = clean_env(
        TELCALL_AICALLCENTER_BASE_URL=sim.base_url, TELCALL_AICALLCENTER_SECRET_KEY=sim.secret_key
    )
    result = await run_cli(
        "export", "cdrs", "--provider", "aicallcenter", "--campaign", "no-such-campaign", *WEEK,
        "--out", str(tmp_path), env=env,
    )  # fmt: skip
    assert (result.code, result.out) == (1, "")
    [line] = result.err_lines
    assert line.startswith("telcall export cdrs: error: aicallcenter")
    assert "campaign_id" in line


@pytest.mark.parametrize(
    ("flags", "error"),
    [
        pytest.param(["--since", "garbage"], "start must be a date", id="garbage-since"),
        pytest.param(["--since", "2026-11-05", "--until", "2026-11-01"], "must be before end",
                     id="start-after-end"),
        pytest.param(["--since", "last"], "has no watermark yet", id="last-on-empty"),
        pytest.param(["--since", "2026-11-01", "--window", "400d"],
                     "window must be at most 366 days", id="huge-window"),
        pytest.param(["--since", "2026-11-01", "--window", "99999999999999d"],
                     "is longer than 3660d", id="overflowing-window"),
    ],
)  # fmt: skip
async def test_rejected_run_touches_nothing(tel4vn_simulator, tmp_path, flags, error):
    """A refused run writes nothing, so the corrected command (another format) then works."""
    out = tmp_path / "cdrs"
    env = sim_env(tel4vn_simulator)
    result = await run_cli("export", "cdrs", "--out", str(out), "--format", "csv", *flags, env=env)
    assert result.code == 2, result.err
    assert error in result.err_lines[-1]
    assert not out.exists()
    fixed = await run_cli(
        "export", "cdrs", *WEEK, "--out", str(out), "--format", "parquet", "--window", "1d",
        env=env,
    )  # fmt: skip
    assert fixed.code == 0, fixed.err


async def test_since_last_after_a_window_change(tel4vn_simulator, tmp_path):
    """--since last works after the window size changed; every CDR still lands once."""
    env = sim_env(tel4vn_simulator)
    base = ("export", "cdrs", "--out", str(tmp_path), "--json")
    first = await run_cli(*base, "--since", "2026-11-01", "--until", "2026-11-04",
                          "--window", "12h", env=env)  # fmt: skip
    assert first.code == 0, first.err
    second = await run_cli(*base, "--since", "last", "--until", "2026-11-08", "--window", "6h",
                           env=env)  # fmt: skip
    assert second.code == 0, second.err
    assert summary_of(second.out).watermark.isoformat() == "2026-11-08T00:00:00+07:00"
    assert_exactly_once(tmp_path, set(tel4vn_simulator.cdr_ids()))


async def test_status_shows_done_claimed_failed(tel4vn_simulator, tmp_path):
    """`export status DIR` counts done, pending, claimed and failed windows, and reads only."""
    from telcall.export._state import new_run_id

    env = sim_env(tel4vn_simulator)
    result = await run_cli("export", "cdrs", "--since", "2026-11-01", "--until", "2026-11-02",
                           "--out", str(tmp_path), "--window", "6h", env=env)  # fmt: skip
    assert result.code == 0, result.err
    store = SqliteStore(tmp_path)
    rows = store.windows()
    store.schedule([(rows[-1].end, rows[-1].end + 3600, "date=2026-11-02/part-x.ndjson"),
                    (rows[-1].end + 3600, rows[-1].end + 7200, "date=2026-11-02/part-y.ndjson")],
                   redo=[], drop=[])  # fmt: skip
    store.claim_window(start=rows[-1].end, end=rows[-1].end + 3600, run_id=new_run_id())
    store.fail(start=rows[-1].end + 3600, end=rows[-1].end + 7200, run_id="r", error="boom")
    status = await run_cli("export", "status", str(tmp_path), "--json", env=env)
    assert status.code == 0, status.err
    got = msgspec.json.decode(status.out)
    assert (got["windows"], got["done"], got["pending"], got["claimed"], got["failed"]) == (
        6, 4, 2, 1, 1,
    )  # fmt: skip
    assert got["records"] == sum(row.records for row in rows)
    assert {d["state"] for d in got["details"]} == {"claimed", "failed"}
    table = await run_cli("export", "status", str(tmp_path), env=env)
    assert "claimed by a live run" in table.out
    missing = await run_cli("export", "status", str(tmp_path / "nothing"), env=env)
    assert missing.code == 1
    assert "holds no export" in missing.err
    assert not (tmp_path / "nothing").exists()


async def test_odd_records_counted_in_the_table(tel4vn_simulator, tmp_path, monkeypatch):
    """The summary table has a line per kind of rejected record."""
    store = tel4vn_simulator.store
    render = store.render
    bad = {store.core(1).id: {"id": " "}, store.core(2).id: {"time_started": ""}}
    monkeypatch.setattr(store, "render", lambda core: {**render(core), **bad.get(core.id, {})})
    result = await run_cli("export", "cdrs", *WEEK, "--out", str(tmp_path),
                           env=sim_env(tel4vn_simulator))  # fmt: skip
    assert result.code == 0, result.err
    lines = {" ".join(line.split()) for line in result.out.splitlines()}
    assert {"rejected: no id 1", "rejected: no start time 1"} <= lines


def free_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_refused_host_stops_the_job_early(tmp_path):
    """48 windows against a refused port: stopped after the first 4, one line, exit 1."""
    env = clean_env(TELCALL_TEL4VN_BASE_URL=f"http://127.0.0.1:{free_port()}",
                    TELCALL_TEL4VN_TOKEN="t")  # fmt: skip
    began = asyncio.get_running_loop().time()
    args = ("--since", "2026-11-01", "--until", "2026-11-03", "--window", "1h")
    result = await run_cli("export", "cdrs", *args, "--out", str(tmp_path), env=env, timeout=120)
    elapsed = asyncio.get_running_loop().time() - began
    assert result.code == 1, result.err
    last = result.err_lines[-1]
    assert last.startswith(
        "telcall export cdrs: error: the first 4 windows all failed with ConnectError"
    )
    assert "127.0.0.1" in last
    assert "the other 44" in last
    assert elapsed < 20


async def test_deadline_bounds_a_silent_host(tel4vn_simulator_factory, tmp_path):
    """A host that accepts and never answers: --deadline ends each call; the job stops early."""
    sim = await tel4vn_simulator_factory(cdrs=100, faults=Faults(stall_rate=1.0))
    began = asyncio.get_running_loop().time()
    args = (*WEEK, "--window", "6h", "--out", str(tmp_path), "--timeout", "5", "--deadline", "1")
    result = await run_cli("export", "cdrs", *args, env=sim_env(sim), timeout=120)
    elapsed = asyncio.get_running_loop().time() - began
    assert result.code == 1, result.err
    assert "all failed with TransportTimeout" in result.err_lines[-1]
    assert sim.base_url.removeprefix("http://") in result.err_lines[-1]
    assert elapsed < 30


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
async def test_sigterm_stops_cleanly_then_resumes(tel4vn_simulator_factory, tmp_path):
    """SIGTERM mid-export: one line, exit 143, no temp file or claim left; a rerun finishes."""
    # 28 windows of two requests each at 0.1 s a request: seconds of export left after the
    # first window is done, however loaded the machine, and no fixed wait.
    sim = await tel4vn_simulator_factory(cdrs=5000, faults=Faults(latency=0.1))
    args = ("export", "cdrs", *WEEK, "--out", str(tmp_path), "--window", "6h", "--json")
    proc = await asyncio.create_subprocess_exec(
        *CLI, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=sim_env(sim),
    )  # fmt: skip
    store = SqliteStore(tmp_path)
    for _ in range(6000):  # up to 2 minutes
        if (tmp_path / STATE_FILE).exists() and any(
            row.status == "done" for row in store.windows()
        ):
            break
        await asyncio.sleep(0.02)
    else:
        pytest.fail("no window was done within 2 minutes")
    proc.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 143, err.decode()
    # Progress lines (one every few seconds when stderr is not a terminal) may come first.
    lines = [
        line
        for line in err.decode().splitlines()
        if line.strip() and not line.startswith("Exporting CDRs: ")
    ]
    assert lines == [
        "telcall export cdrs: error: terminated (SIGTERM); run the same command again to "
        "finish the export"
    ]
    assert not list(tmp_path.glob("date=*/.*.tmp"))
    # Released, not merely dead: the raw table is empty.
    with contextlib.closing(sqlite3.connect(store.path)) as db:
        assert db.execute("SELECT count(*) FROM claims").fetchone() == (0,)
    done = sum(row.status == "done" for row in store.windows())
    assert 0 < done < 28
    result = await run_cli(*args, env=sim_env(sim))
    assert result.code == 0, result.err
    assert summary_of(result.out).windows_skipped == done
    assert_exactly_once(tmp_path, set(sim.cdr_ids()))


async def test_damaged_state_file_one_line(tel4vn_simulator, tmp_path):
    """A _state.db that is not a database: one line naming the file and the fix, exit 1."""
    (tmp_path / STATE_FILE).write_bytes(b"not a database\n" * 100)
    result = await run_cli("export", "cdrs", *WEEK, "--out", str(tmp_path),
                           env=sim_env(tel4vn_simulator))  # fmt: skip
    assert result.code == 1
    assert result.err_lines == [
        f"telcall export cdrs: error: checkpoint file {tmp_path / STATE_FILE}: file is not a "
        "database; it is damaged: move it aside and run the export again (the windows are then "
        "exported afresh)"
    ]


async def test_export_into_postgresql_with_the_password_from_the_environment(
    tel4vn_simulator, tmp_path, postgres_server
):
    """--format postgresql --state URL (password in PGPASSWORD): every CDR once; status reads it."""
    import asyncpg

    url = postgres_server.create_database()
    no_password = url.replace(f":{postgres_server.password}@", "@")
    env = {**sim_env(tel4vn_simulator), "PGPASSWORD": postgres_server.password}
    out = tmp_path / "rejects"
    result = await run_cli(
        "export", "cdrs", *WEEK, "--out", str(out), "--format", "postgresql",
        "--state", no_password, "--table", "crm.calls", "--json", env=env,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert summary_of(result.out).records == 1000
    connection = await asyncpg.connect(url)
    try:
        ids = [r[0] for r in await connection.fetch("SELECT id FROM crm.calls")]
    finally:
        await connection.close()
    assert len(ids) == len(set(ids)) == 1000
    assert set(ids) == set(tel4vn_simulator.cdr_ids())
    status = await run_cli("export", "status", str(out), "--state", no_password, "--json", env=env)
    assert status.code == 0, status.err
    assert msgspec.json.decode(status.out)["done"] == 7
    wrong = await run_cli(
        "export", "cdrs", *WEEK, "--out", str(out), "--format", "postgresql",
        "--state", url.replace(postgres_server.password, "Not-The-Password-1x"),
        env=sim_env(tel4vn_simulator),
    )  # fmt: skip
    assert wrong.code != 0
    assert "Not-The-Password-1x" not in wrong.err + wrong.out
    assert "password authentication failed" in wrong.err
