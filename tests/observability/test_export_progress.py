"""Export progress as data: OTel metrics of records and windows, and the ``on_window`` hook."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from telcall import AsyncTel4vnClient
from telcall.export import WindowResult, export_cdrs, plan, run_window
from telcall.simulator import Tel4vnSimulator

from .otel_fixtures import Telemetry, install

START, END = "2026-11-01", "2026-11-04"


@pytest.fixture
def telemetry(monkeypatch: pytest.MonkeyPatch) -> Iterator[Telemetry]:
    """SDK tracer and meter providers with in-memory exporters, for this test only."""
    yield from install(monkeypatch)


def by_outcome(telemetry: Telemetry) -> dict[str, int]:
    """``telcall.export.windows`` summed by outcome."""
    totals: dict[str, int] = {}
    for attributes, point in telemetry.points("telcall.export.windows"):
        outcome = str(attributes["telcall.export.outcome"])
        totals[outcome] = totals.get(outcome, 0) + point.value
    return totals


async def test_metrics_count_records_and_windows(
    telemetry: Telemetry, sim: Tel4vnSimulator, client: AsyncTel4vnClient, tmp_path: Path
) -> None:
    """Records written (per page) and windows by outcome; a rerun counts skipped windows."""
    summary = await export_cdrs(client, START, END, tmp_path, page_size=7)
    records = telemetry.points("telcall.export.records")
    assert [a for a, _ in records] == [
        {"telcall.provider": "tel4vn", "telcall.export.format": "ndjson"}
    ]
    assert records[0][1].value == summary.records > 0
    assert by_outcome(telemetry) == {"done": 3}
    await export_cdrs(client, START, END, tmp_path)
    assert by_outcome(telemetry) == {"done": 3, "skipped": 3}


async def test_on_window_hears_every_window_as_data(
    client: AsyncTel4vnClient, tmp_path: Path
) -> None:
    """on_window receives each WindowResult as it ends; written ones first time, skipped after."""
    heard: list[WindowResult] = []
    summary = await export_cdrs(client, START, END, tmp_path, on_window=heard.append)
    assert sorted(r.path for r in heard) == sorted(summary.files)
    assert sum(r.records for r in heard) == summary.records
    assert not any(r.skipped for r in heard)
    again: list[WindowResult] = []
    await export_cdrs(client, START, END, tmp_path, on_window=again.append)
    assert len(again) == 3
    assert all(r.skipped for r in again)


async def test_on_window_raising_stops_the_job_with_its_error(
    client: AsyncTel4vnClient, tmp_path: Path
) -> None:
    """A hook that raises stops the job; its exception comes out as is."""

    class Stop(Exception):
        """The caller's own error."""

    def stop(result: WindowResult) -> None:
        raise Stop(result.path)

    with pytest.raises(Stop):
        await export_cdrs(client, START, END, tmp_path, on_window=stop, concurrency=1)


async def test_engine_task_reports_through_metrics_and_hook(
    telemetry: Telemetry, sim: Tel4vnSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """run_window (what a Celery/Airflow task calls) feeds the same metrics and hook."""
    monkeypatch.setenv("TELCALL_TEL4VN_API_KEY", sim.api_key)
    from telcall.export import Connection

    connection = Connection(provider="tel4vn", base_url=sim.base_url, tz="Asia/Ho_Chi_Minh")
    specs = plan(connection, START, END, tmp_path)
    heard: list[WindowResult] = []
    for spec in specs:
        # A worker thread, as an engine's: the simulator keeps serving on this loop.
        await anyio.to_thread.run_sync(functools.partial(run_window, spec, on_window=heard.append))
    assert [r.path for r in heard] == [s.path for s in specs]
    assert by_outcome(telemetry) == {"done": 3}
    assert telemetry.points("telcall.export.records")[0][1].value == sum(r.records for r in heard)
