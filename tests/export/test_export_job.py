"""The export job against the simulator: formats, faults, resume, incremental runs, engines."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import pickle
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest

from telcall import AsyncTel4vnClient, CallRecord
from telcall._core.retry import RetryPolicy
from telcall.export import (
    ExportError,
    ExportProgress,
    WindowSpec,
    arun_window,
    export_cdrs,
    plan,
    run_window,
)
from telcall.export._state import SqliteStore
from telcall.simulator import Faults, Tel4vnSimulator

VN = ZoneInfo("Asia/Ho_Chi_Minh")
START, END = "2026-11-01", "2026-11-08"


def server_ids(sim: Tel4vnSimulator) -> list[str]:
    """Every id the simulator holds."""
    return list(sim.cdr_ids())


def assert_exactly_once(exported: list[str], expected: list[str]) -> None:
    """Each server record exported once, and nothing else."""
    assert len(exported) == len(set(exported)), "duplicates in the export"
    assert set(exported) == set(expected)


@pytest.mark.parametrize("fmt", [pytest.param(f, id=f) for f in ("ndjson", "csv", "parquet")])
async def test_formats_round_trip(
    fmt: str,
    sim: Tel4vnSimulator,
    client: AsyncTel4vnClient,
    tmp_path: Path,
    read_back: Callable[[Path], list[CallRecord]],
) -> None:
    """Each format reads back to exactly the records the client converts itself."""
    summary = await export_cdrs(client, START, END, tmp_path, format=fmt)  # type: ignore[arg-type]
    expected = {cdr.cdr_id: cdr.to_call_record() async for cdr in client.cdrs.iterate()}
    got = [record for path in summary.files for record in read_back(tmp_path / path)]
    assert len(expected) == summary.records == len(got)
    assert expected == {record.id: record for record in got}


async def test_parquet_schema_is_typed(client: AsyncTel4vnClient, tmp_path: Path) -> None:
    """Parquet columns carry real types: zoned timestamps, int64, dictionary-encoded enums."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    summary = await export_cdrs(client, START, "2026-11-02", tmp_path, format="parquet")
    schema = pq.read_schema(tmp_path / summary.files[0])
    assert pa.timestamp("us", tz="Asia/Ho_Chi_Minh") == schema.field("started_at").type
    assert pa.int64() == schema.field("duration").type
    assert pa.types.is_dictionary(schema.field("status").type)


async def test_raw_writes_wire_records(client: AsyncTel4vnClient, tmp_path: Path) -> None:
    """raw=True writes the provider's records, not CallRecords."""
    summary = await export_cdrs(client, START, "2026-11-02", tmp_path, raw=True)
    first = msgspec.json.decode((tmp_path / summary.files[0]).read_bytes().splitlines()[0])
    assert {"id", "sip_call_id", "time_started", "status"} <= first.keys()
    assert "started_at" not in first


@pytest.mark.slow
async def test_200k_with_faults_exactly_once(
    tmp_path: Path, ids_in: Callable[[Path], list[str]]
) -> None:
    """5% 5xx, 1% dropped connections, 429 bursts and token expiry: every record once."""
    faults = Faults(
        error_rate=0.05,
        drop_rate=0.01,
        rate_limit_burst=40,
        rate_limit_window=1.0,
        token_expire_after=50,
    )
    async with (
        Tel4vnSimulator(cdrs=200_000, seed=7, faults=faults, record_requests=False) as sim,
        AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key, max_retries=12) as client,
    ):
        # No public knob for the backoff yet; a fast one keeps the test short.
        client._transport.retry = RetryPolicy(max_retries=12, base=0.02, cap=0.2)
        summary = await export_cdrs(
            client, START, END, tmp_path, window=timedelta(hours=6), window_retries=6
        )
        expected = server_ids(sim)
    assert_exactly_once(ids_in(tmp_path), expected)
    assert summary.records == len(expected) == 200_000


async def test_rerun_skips_committed_windows(client: AsyncTel4vnClient, tmp_path: Path) -> None:
    """A second run skips intact windows and redoes a corrupted and a deleted one."""
    first = await export_cdrs(client, START, END, tmp_path)
    (tmp_path / first.files[1]).write_bytes(b"garbage\n")
    (tmp_path / first.files[4]).unlink()
    second = await export_cdrs(client, START, END, tmp_path)
    assert (second.windows_done, second.windows_skipped) == (2, 5)
    third = await export_cdrs(client, START, END, tmp_path)
    assert (third.windows_done, third.windows_skipped) == (0, 7)


async def test_new_cdrs_during_export_then_incremental(
    tmp_path: Path, ids_in: Callable[[Path], list[str]]
) -> None:
    """CDRs inserted while windows are read all land after an incremental run, none twice."""
    faults = Faults(insert_during_scroll=3, insert_every=2)
    async with (
        Tel4vnSimulator(cdrs=20_000, seed=5, faults=faults, record_requests=False) as sim,
        AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as client,
    ):
        await export_cdrs(client, START, END, tmp_path, window=timedelta(hours=12), page_size=200)
        assert len(server_ids(sim)) > 20_000
        sim.faults = Faults()
        summary = await export_cdrs(
            client, None, END, tmp_path, since="last", lookback=timedelta(days=8)
        )
        assert summary.windows_done == summary.windows_planned
        assert_exactly_once(ids_in(tmp_path), server_ids(sim))


async def test_incremental_rewrites_only_the_lookback(
    sim: Tel4vnSimulator,
    client: AsyncTel4vnClient,
    tmp_path: Path,
    ids_in: Callable[[Path], list[str]],
) -> None:
    """Late CDRs inside the lookback are caught by rewriting the overlapped windows only."""
    window = timedelta(hours=6)
    await export_cdrs(client, START, END, tmp_path, window=window)
    late = [datetime(2026, 11, 7, 23, 0, s, tzinfo=VN) for s in range(20)]
    sim.insert_cdrs(len(late), at=late)
    summary = await export_cdrs(
        client, None, END, tmp_path, window=window, since="last", lookback=timedelta(hours=2)
    )
    assert (summary.windows_planned, summary.windows_done) == (1, 1)
    assert_exactly_once(ids_in(tmp_path), server_ids(sim))


async def test_incremental_extends_to_a_new_end(
    sim: Tel4vnSimulator,
    client: AsyncTel4vnClient,
    tmp_path: Path,
    ids_in: Callable[[Path], list[str]],
) -> None:
    """A partial last window is replaced by the full one when the next run goes further."""
    await export_cdrs(client, START, "2026-11-05 13:27:00", tmp_path)
    summary = await export_cdrs(client, None, END, tmp_path, since="last")
    assert summary.watermark == datetime(2026, 11, 8, tzinfo=VN)
    assert not any("T132700" in name for name in summary.files)
    assert_exactly_once(ids_in(tmp_path), server_ids(sim))


async def test_progress_reports(client: AsyncTel4vnClient, tmp_path: Path) -> None:
    """The progress callback sees every window and record."""
    seen: list[ExportProgress] = []
    summary = await export_cdrs(client, START, END, tmp_path, progress=seen.append)
    assert (7, summary.records) == (seen[-1].windows_done, seen[-1].records)


async def test_failing_windows_raise_export_error(tmp_path: Path) -> None:
    """Windows that keep failing raise ExportError naming them; nothing is committed."""
    async with AsyncTel4vnClient(base_url="http://127.0.0.1:9", api_key="k", max_retries=0) as c:
        with pytest.raises(ExportError) as info:
            await export_cdrs(c, START, "2026-11-02", tmp_path, window_retries=0)
    assert info.value.summary.windows_failed == 1
    assert {"pending"} == {row.status for row in SqliteStore(tmp_path).windows()}


async def test_arun_window_uses_env_credentials(
    sim: Tel4vnSimulator, client: AsyncTel4vnClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a client a window builds one from the spec and the environment."""
    monkeypatch.setenv("TELCALL_TEL4VN_API_KEY", sim.api_key)
    (spec,) = plan(client, START, "2026-11-02", tmp_path)
    result = await arun_window(spec)
    assert not result.skipped
    assert (await arun_window(spec)).skipped


@pytest.mark.parametrize(
    "fmt", [pytest.param("ndjson", id="ndjson"), pytest.param("parquet", id="parquet")]
)
def test_pickled_spec_in_another_process_is_byte_identical(
    fmt: str, threaded_sim: Callable[..., object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """run_window on a pickled spec in a spawned process writes the same bytes as in-process."""
    server = threaded_sim(cdrs=5000, seed=11)
    sim = server.sim  # type: ignore[attr-defined]
    monkeypatch.setenv("TELCALL_TEL4VN_API_KEY", sim.api_key)
    client = AsyncTel4vnClient(base_url=sim.base_url)
    here = plan(client, START, "2026-11-02", tmp_path / "here", format=fmt)  # type: ignore[arg-type]
    there = plan(client, START, "2026-11-02", tmp_path / "there", format=fmt)  # type: ignore[arg-type]
    local = run_window(here[0])
    shipped = pickle.loads(pickle.dumps(there[0]))
    assert isinstance(shipped, WindowSpec)
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        remote = pool.submit(run_window, shipped).result(timeout=120)
    assert (local.records, local.sha256) == (remote.records, remote.sha256)
    assert (tmp_path / "here" / here[0].path).read_bytes() == (
        tmp_path / "there" / there[0].path
    ).read_bytes()


async def test_records_filed_during_the_read_never_fail_a_window(
    tel4vn_simulator_factory: Callable[..., Any], tmp_path: Path
) -> None:
    """CDRs filed while windows are read (into read and unread windows) fail no count check."""
    sim = await tel4vn_simulator_factory(cdrs=2000, seed=5, faults=Faults(insert_during_scroll=3))
    async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as client:
        # No window retries: a count taken after the read opened would fail a window here.
        summary = await export_cdrs(
            client, START, END, tmp_path, window=timedelta(hours=6), window_retries=0
        )
    assert summary.records >= 2000


def make_odd(
    sim: Tel4vnSimulator, monkeypatch: pytest.MonkeyPatch, changes: dict[int, Any]
) -> dict[str, dict[str, str]]:
    """Serve the CDRs at the given indexes with fields replaced; return their ids and changes."""
    store = sim.store
    render = store.render
    by_id = {store.core(i).id: change for i, change in changes.items()}

    def odd(core: Any) -> dict[str, Any]:
        record = render(core)
        return {**record, **by_id.get(core.id, {})}

    monkeypatch.setattr(store, "render", odd)
    return by_id


ODD = {
    3: {"id": ""},
    7: {"id": "   "},
    11: {"time_started": ""},
    13: {"time_answered": "0000-00-00 00:00:00"},
    17: {"time_ended": "not a time"},
}


async def test_odd_records_go_to_rejects(
    sim: Tel4vnSimulator, client: AsyncTel4vnClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No id, no start time or an unreadable time: rejected, counted, named; the window passes."""
    odd = make_odd(sim, monkeypatch, {**ODD, 19: {"time_answered": ""}})
    summary = await export_cdrs(client, START, END, tmp_path, window_retries=0)
    assert summary.rejected == {"bad_time": 2, "no_id": 2, "no_time": 1}
    assert summary.windows_failed == 0
    lines = [
        msgspec.json.decode(line) for path in rejects_files(tmp_path) for line in path_lines(path)
    ]
    assert len(lines) == 5
    named = {line["id"].strip() or None: line["reason"] for line in lines}
    for rid, change in odd.items():
        if "id" not in change and change != {"time_answered": ""}:
            assert named[rid].startswith(f"record {rid!r}: ")
    assert all("(no id)" in line["reason"] for line in lines if not line["id"].strip())
    assert {line["kind"] for line in lines} == {"no_id", "no_time", "bad_time"}
    assert all("time_started" in line["record"] for line in lines)
    # An empty optional time is a null, and the record is kept.
    kept = [rid for rid, change in odd.items() if change == {"time_answered": ""}]
    exported = ids_of(tmp_path)
    assert kept[0] in exported
    assert len(exported) + 5 == len(list(sim.cdr_ids()))
    status = SqliteStore(tmp_path).windows()
    assert sum(row.rejected for row in status) == 5


async def test_rerun_without_odd_records_removes_rejects(
    sim: Tel4vnSimulator, client: AsyncTel4vnClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A window redone without odd records leaves no stale rejects file behind."""
    make_odd(sim, monkeypatch, ODD)
    await export_cdrs(client, START, END, tmp_path)
    assert rejects_files(tmp_path)
    monkeypatch.undo()
    await export_cdrs(client, START, END, tmp_path, since="last", lookback=timedelta(days=8))
    assert not rejects_files(tmp_path)


def ids_of(out: Path) -> list[str]:
    """Every exported id of an NDJSON export."""
    return [
        msgspec.json.decode(line)["id"]
        for path in sorted(out.glob("date=*/part-*"))
        for line in path.read_bytes().splitlines()
    ]


def rejects_files(out: Path) -> list[Path]:
    """The rejects files of an export directory."""
    return sorted(out.glob("date=*/rejects-*.ndjson"))


def path_lines(path: Path) -> list[bytes]:
    """The lines of a file."""
    return path.read_bytes().splitlines()


async def test_broken_store_stops_the_job(
    client: AsyncTel4vnClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkpoint store that cannot commit fails every window alike: its error stops the job."""
    from telcall.errors import CheckpointError

    def full(self: SqliteStore, **_: Any) -> None:
        raise CheckpointError(f"checkpoint file {self.path}: database or disk is full")

    monkeypatch.setattr(SqliteStore, "commit", full)
    with pytest.raises(CheckpointError, match="disk is full"):
        await export_cdrs(client, START, END, tmp_path, window=timedelta(hours=6))
    assert not list_temp_files(tmp_path)


def list_temp_files(out: Path) -> list[Path]:
    """Temp files left in an export directory."""
    return list(out.glob("date=*/.*.tmp"))
