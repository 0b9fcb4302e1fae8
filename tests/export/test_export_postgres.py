"""PostgreSQL: checkpoints (``state=``) and the ``format="postgresql"`` table, on a real server."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import asyncpg
import msgspec
import pytest

from telcall import AsyncTel4vnClient
from telcall.errors import CheckpointError, ValidationError
from telcall.export import WindowSpec, arun_window, export_cdrs, plan
from telcall.export._pgstate import PostgresStore
from telcall.simulator import Tel4vnSimulator

VN = ZoneInfo("Asia/Ho_Chi_Minh")
START, END = "2026-11-01", "2026-11-08"
RUNNER = Path(__file__).with_name("export_runner.py")


def chain_text(exc: BaseException) -> str:
    """The text of an exception and of everything chained to it."""
    parts: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(parts) < 20:
        parts += [repr(seen), str(seen)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


async def counts(connection: asyncpg.Connection, table: str = "telcall_cdrs") -> tuple[int, int]:
    """``count(*)`` and ``count(DISTINCT id)`` of the target table."""
    row = await connection.fetchrow(f"SELECT count(*), count(DISTINCT id) FROM {table}")
    assert row is not None
    return row[0], row[1]


async def test_table_export_is_exactly_once_and_a_rerun_skips(
    sim: Tel4vnSimulator, client: AsyncTel4vnClient, tmp_path: Path, db: Any
) -> None:
    """Every server record lands once; the same call again writes nothing."""
    url, connection = db
    window = timedelta(hours=12)
    summary = await export_cdrs(
        client, START, END, tmp_path, format="postgresql", state=url, window=window
    )
    expected = set(sim.cdr_ids())
    assert summary.records == len(expected) == (await counts(connection))[0]
    assert await counts(connection) == (len(expected), len(expected))
    ids = {r[0] for r in await connection.fetch("SELECT id FROM telcall_cdrs")}
    assert ids == expected
    assert summary.watermark == datetime(2026, 11, 8, tzinfo=VN)
    again = await export_cdrs(
        client, START, END, tmp_path, format="postgresql", state=url, window=window
    )
    assert (again.windows_done, again.windows_skipped) == (0, 14)
    assert await counts(connection) == (len(expected), len(expected))
    assert not (tmp_path / "_state.db").exists()


async def test_lookback_rerun_updates_late_rows_instead_of_duplicating(
    sim: Tel4vnSimulator, client: AsyncTel4vnClient, tmp_path: Path, db: Any
) -> None:
    """Late CDRs are added once; a row already there is updated to the server's values."""
    url, connection = db
    window = timedelta(hours=6)
    await export_cdrs(client, START, END, tmp_path, format="postgresql", state=url, window=window)
    last = await connection.fetchrow(
        "SELECT id, status, duration FROM telcall_cdrs ORDER BY started_at DESC LIMIT 1"
    )
    assert last is not None
    await connection.execute(
        "UPDATE telcall_cdrs SET status = 'failed', duration = 987654 WHERE id = $1", last["id"]
    )
    late = [datetime(2026, 11, 7, 23, 0, s, tzinfo=VN) for s in range(20)]
    sim.insert_cdrs(len(late), at=late)
    summary = await export_cdrs(
        client,
        None,
        END,
        tmp_path,
        format="postgresql",
        state=url,
        window=window,
        since="last",
        lookback=timedelta(hours=2),
    )
    assert (summary.windows_planned, summary.windows_done) == (1, 1)
    expected = set(sim.cdr_ids())
    assert await counts(connection) == (len(expected), len(expected))
    restored = await connection.fetchrow(
        "SELECT status, duration FROM telcall_cdrs WHERE id = $1", last["id"]
    )
    assert restored is not None
    assert (restored["status"], restored["duration"]) == (last["status"], last["duration"])


async def test_table_is_typed_keyed_and_indexed(
    client: AsyncTel4vnClient, tmp_path: Path, db: Any
) -> None:
    """timestamptz/bigint/text columns, the (tenant, provider, id) key, a started_at index."""
    url, connection = db
    await export_cdrs(
        client, START, "2026-11-02", tmp_path, format="postgresql", state=url, table="crm.calls"
    )
    types = dict(
        await connection.fetch(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'crm' AND table_name = 'calls'"
        )
    )
    assert types["started_at"] == "timestamp with time zone"
    assert types["duration"] == types["billsec"] == "bigint"
    assert types["tenant"] == types["status"] == "text"
    key = await connection.fetchval(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'crm.calls'::regclass AND contype = 'p'"
    )
    assert key == "PRIMARY KEY (tenant, provider, id)"
    indexes = await connection.fetch("SELECT indexdef FROM pg_indexes WHERE tablename = 'calls'")
    assert any("(started_at)" in r[0] for r in indexes)
    assert await connection.fetchval("SELECT count(*) FROM crm.calls WHERE tenant = ''") > 0
    with pytest.raises(asyncpg.CheckViolationError):
        await connection.execute("UPDATE crm.calls SET status = 'exploded'")


@pytest.mark.parametrize(
    "ddl",
    [
        pytest.param("CREATE TABLE telcall_cdrs (id text PRIMARY KEY)", id="other-columns"),
        pytest.param("COMMENT ON TABLE telcall_cdrs IS 'telcall cdrs schema 0'", id="old-version"),
    ],
)
async def test_schema_mismatch_is_refused_before_any_work(
    sim: Tel4vnSimulator, client: AsyncTel4vnClient, tmp_path: Path, db: Any, ddl: str
) -> None:
    """A target table of another schema: ValidationError, no job recorded, no request sent."""
    url, connection = db
    if "COMMENT" in ddl:
        # A telcall table from a release with another schema version.
        await export_cdrs(
            client, START, "2026-11-02", tmp_path / "first", format="postgresql", state=url
        )
        await connection.execute("DELETE FROM telcall_export_jobs")
    await connection.execute(ddl)
    served = sim._pages_served
    out = tmp_path / "out"
    with pytest.raises(ValidationError, match="schema 1") as caught:
        await export_cdrs(client, START, END, out, format="postgresql", state=url)
    assert urlsplit(url).password not in chain_text(caught.value)
    assert await connection.fetchval("SELECT count(*) FROM telcall_export_jobs") == 0
    assert sim._pages_served == served
    assert not out.exists()


async def test_file_export_with_database_checkpoints(
    sim: Tel4vnSimulator,
    client: AsyncTel4vnClient,
    tmp_path: Path,
    db: Any,
    ids_in: Callable[[Path], list[str]],
) -> None:
    """NDJSON files checkpointed in PostgreSQL: exactly once, no _state.db, no password in specs."""
    url, connection = db
    password = urlsplit(url).password
    assert password
    summary = await export_cdrs(client, START, END, tmp_path, state=url)
    exported = ids_in(tmp_path)
    assert len(exported) == len(set(exported)) == summary.records
    assert set(exported) == set(sim.cdr_ids())
    assert not (tmp_path / "_state.db").exists()
    rows = await connection.fetch("SELECT status FROM telcall_export_windows")
    assert [r[0] for r in rows] == ["done"] * 7
    specs = plan(client, START, END, tmp_path, state=url)
    assert all(password not in spec.to_json() for spec in specs)
    assert all(password not in repr(spec) for spec in specs)
    assert WindowSpec.from_json(specs[0].to_json()) == specs[0]
    # A spec is rerun with the password given to the worker: everything is intact.
    result = await arun_window(specs[0], client=client, state=url)
    assert result.skipped


async def test_spec_refuses_a_password_and_a_foreign_state(
    client: AsyncTel4vnClient, tmp_path: Path, db: Any
) -> None:
    """A spec never carries the password; state= for another database than the spec's: refused."""
    url, _ = db
    spec = plan(client, START, "2026-11-02", tmp_path, state=url)[0]
    with pytest.raises(ValidationError, match="password") as caught:
        msgspec.structs.replace(spec, state=url)
    assert urlsplit(url).password not in chain_text(caught.value)
    other = url.rsplit("/", 1)[0] + "/postgres"
    with pytest.raises(ValidationError, match="another checkpoint store"):
        await arun_window(spec, client=client, state=other)


async def test_unreachable_database_is_a_clear_error_before_any_work(
    sim: Tel4vnSimulator, client: AsyncTel4vnClient, tmp_path: Path, postgres_server: Any
) -> None:
    """Nothing listens: CheckpointError naming the redacted URL; no directory, no request."""
    secret = "Unreachable-Secret-7f3a"
    url = f"postgresql://telcall:{secret}@127.0.0.1:1/nowhere"
    out = tmp_path / "out"
    served = sim._pages_served
    with pytest.raises(CheckpointError, match="cannot reach the checkpoint database") as caught:
        await export_cdrs(client, START, END, out, state=url)
    assert "postgresql://***@127.0.0.1:1/nowhere" in str(caught.value)
    assert secret not in chain_text(caught.value)
    assert not out.exists()
    assert sim._pages_served == served


async def test_wrong_password_never_appears_in_errors_or_logs(
    client: AsyncTel4vnClient, tmp_path: Path, postgres_server: Any, caplog: Any
) -> None:
    """A refused login: the error and the logs say so without the password tried."""
    secret = "Wrong-Password-91c2"
    url = f"postgresql://{postgres_server.user}:{secret}@{postgres_server.host}:{postgres_server.port}/postgres"
    caplog.set_level(logging.DEBUG)
    with pytest.raises(CheckpointError, match="password authentication failed") as caught:
        await export_cdrs(client, START, END, tmp_path, format="postgresql", state=url)
    assert secret not in chain_text(caught.value)
    assert secret not in caplog.text
    assert secret not in repr(PostgresStore(url, job="x"))


def test_bad_state_and_table_are_refused_before_io(tmp_path: Path) -> None:
    """Not a PostgreSQL URL, a bad table name, format='postgresql' without a database."""
    from telcall.export import Connection

    conn = Connection(provider="tel4vn", base_url="http://127.0.0.1:1", tz="Asia/Ho_Chi_Minh")
    with pytest.raises(ValidationError, match="postgresql://"):
        plan(conn, START, END, tmp_path / "a", state="mysql://u:pw@h/db")
    with pytest.raises(ValidationError, match="state="):
        plan(conn, START, END, tmp_path / "b", format="postgresql")
    with pytest.raises(ValidationError, match=r"schema\.name"):
        plan(conn, START, END, tmp_path / "c", format="postgresql",
             state="postgresql://u@127.0.0.1:1/d", table="x; DROP TABLE y")  # fmt: skip
    assert not list(tmp_path.iterdir())


def start_runner(
    base_url: str, api_key: str, out: Path, *extra: str, pipe: bool = True
) -> subprocess.Popen[bytes]:
    """The export runner in a subprocess, the api key and database password in its environment."""
    env = {**os.environ, "TELCALL_TEL4VN_API_KEY": api_key}
    stream = subprocess.PIPE if pipe else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, str(RUNNER), base_url, str(out), *extra],
        env=env,
        stdout=stream,
        stderr=stream,
    )


@pytest.mark.slow
async def test_two_processes_race_for_the_same_windows(
    threaded_sim: Callable[..., Any], tmp_path: Path, db: Any
) -> None:
    """Two runs into one table at once: each window written by one of them, every id once."""
    url, connection = db
    server = threaded_sim(cdrs=30_000, seed=8)
    expected = set(server.ids())
    args = ("--state", url, "--format", "postgresql")
    runs = [start_runner(server.sim.base_url, server.sim.api_key, tmp_path, *args) for _ in "ab"]
    summaries = []
    for run in runs:
        stdout, stderr = run.communicate(timeout=180)
        assert run.returncode == 0, stderr.decode()
        summaries.append(msgspec.json.decode(stdout))
    assert sum(s["windows_done"] for s in summaries) == 28
    assert await counts(connection) == (len(expected), len(expected))
    statuses = await connection.fetch("SELECT status FROM telcall_export_windows")
    assert {r[0] for r in statuses} == {"done"}
    assert await connection.fetchval("SELECT count(*) FROM telcall_export_claims") == 0


async def committed(connection: asyncpg.Connection, job: str, table: str) -> tuple[int, int]:
    """The job's committed windows and the records their checkpoints count (0s before any)."""
    if await connection.fetchval("SELECT to_regclass($1)", table) is None:
        return 0, 0
    row = await connection.fetchrow(
        "SELECT count(*), coalesce(sum(records), 0) FROM telcall_export_windows "
        "WHERE job = $1 AND status = 'done'",
        job,
    )
    assert row is not None
    return row[0], row[1]


@pytest.mark.slow
async def test_sigkill_during_a_table_export_then_resume_is_exactly_once(
    threaded_sim: Callable[..., Any], tmp_path: Path, db: Any
) -> None:
    """One 200k-CDR export into PostgreSQL, SIGKILLed at 5 random points, resumed: exactly once.

    After every kill the table holds exactly the rows of the committed windows (a window is
    all in, with its checkpoint, or not at all); the last resume finishes with every id once.
    """
    url, connection = db
    server = threaded_sim(cdrs=200_000, seed=33)
    total = len(set(server.ids()))
    rng = random.Random(4321)
    out, table = tmp_path / "job", "cdrs"
    args = ("--state", url, "--format", "postgresql", "--table", table)
    job = str(out.resolve())
    kills = 0
    while kills < 5:
        before, _ = await committed(connection, job, table)
        victim = start_runner(server.sim.base_url, server.sim.api_key, out, *args, pipe=False)
        deadline = time.monotonic() + 60
        # Kill among the commits: after this run's first one, at a random moment.
        while (await committed(connection, job, table))[0] == before:
            assert time.monotonic() < deadline, "no window was ever committed"
            assert victim.poll() is None, "the export ended before this run committed"
            await asyncio.sleep(0.02)
        await asyncio.sleep(rng.uniform(0.0, 0.5))
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        done, records = await committed(connection, job, table)
        assert done < 28, f"kill {kills}: the export had finished; kill sooner"
        assert await counts(connection, table) == (records, records), f"kill {kills}"
        kills += 1
    resumed = start_runner(server.sim.base_url, server.sim.api_key, out, *args)
    stdout, stderr = await asyncio.to_thread(resumed.communicate, timeout=300)
    assert resumed.returncode == 0, stderr.decode()
    assert msgspec.json.decode(stdout)["windows_done"] == 28 - done
    assert await counts(connection, table) == (total, total)
    assert await connection.fetchval("SELECT count(*) FROM telcall_export_claims") == 0


def test_docs_list_every_column_of_the_table() -> None:
    """docs/export.md's schema table names every column telcall creates, in order."""
    from telcall.export._pgstate import COPY_COLUMNS

    text = (Path(__file__).parents[2] / "docs" / "export.md").read_text(encoding="utf-8")
    section = text.split('## The `format="postgresql"` table')[1].split("\n## ")[0]
    documented: list[str] = []
    for line in section.splitlines():
        if line.startswith("| `"):
            documented += [name.strip("` ") for name in line.split("|")[1].split(",")]
    assert documented == [*COPY_COLUMNS, "exported_at"]
