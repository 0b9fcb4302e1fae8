"""The export job against the OMICall and AI Call Center simulators: exact id sets, once each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from telcall import AsyncAICallCenterClient, AsyncOmicallClient, AsyncTel4vnClient, CallRecord
from telcall.errors import AuthenticationError, NotFoundError, ValidationError
from telcall.export import AICallCenterSource, arun_window, export_cdrs, plan
from telcall.simulator import VN, AICallCenterSimulator, OmicallSimulator

from .conftest import parts

# The AI Call Center simulator's default period.
WEEK = (datetime(2026, 11, 1, tzinfo=VN), datetime(2026, 11, 8, tzinfo=VN))


def assert_exactly_once(exported: list[str], expected: set[str]) -> None:
    """Each server record exported once, and nothing else."""
    assert len(exported) == len(set(exported)), "duplicates in the export"
    assert set(exported) == expected


def window_of(path: Path) -> tuple[str, str]:
    """The local ``(start, end)`` stamps in a part file's name."""
    _, start, end = path.stem.split("-")
    return start, end


def omicall_ids(sim: OmicallSimulator) -> set[str]:
    """Every transaction id the simulator holds."""
    return set(sim.transaction_ids(sim.t0_ms, sim.t0_ms + sim.span_ms))


def aicc_ids(sim: AICallCenterSimulator, campaigns: list[str] | None = None) -> set[str]:
    """Every call id of ``campaigns`` (default: all of them), as the export writes it."""
    chosen = campaigns if campaigns is not None else list(sim.campaigns)
    return {str(call["call_id"]) for cid in chosen for call in sim.calls(cid)}


@pytest.mark.parametrize(
    "window",
    [
        pytest.param(timedelta(hours=24), id="daily"),
        pytest.param(timedelta(days=45), id="longer-than-omicall-range"),
    ],
)
async def test_omicall_export_is_exactly_once(
    omicall_simulator: OmicallSimulator,
    tmp_path: Path,
    window: timedelta,
    ids_in: Callable[[Path], list[str]],
) -> None:
    """Every OMICall transaction lands once, windows of a day or longer than 30 days alike."""
    sim = omicall_simulator
    async with AsyncOmicallClient(base_url=sim.base_url, api_key=sim.api_key) as client:
        summary = await export_cdrs(
            client, "2026-09-01", "2026-12-01", tmp_path, window=window, concurrency=8
        )
    expected = omicall_ids(sim)
    assert summary.records == len(expected) == 2000
    assert summary.out_of_window == summary.duplicates == 0
    assert_exactly_once(ids_in(tmp_path), expected)


async def test_omicall_windows_follow_created_date(
    omicall_simulator: OmicallSimulator,
    tmp_path: Path,
    read_back: Callable[[Path], list[CallRecord]],
) -> None:
    """A call that started before its window but was filed in it stays in that window's file."""
    sim = omicall_simulator
    async with AsyncOmicallClient(base_url=sim.base_url, api_key=sim.api_key) as client:
        summary = await export_cdrs(client, "2026-09-01", "2026-09-15", tmp_path)
    early = [
        record
        for path in parts(tmp_path)
        for record in read_back(path)
        if record.started_at is not None
        and record.started_at.strftime("%Y%m%dT%H%M%S") < window_of(path)[0]
    ]
    # Windows bound created_date: the calls straddling midnight were neither dropped nor moved.
    assert early
    first, last = (int(datetime(2026, 9, d, tzinfo=VN).timestamp() * 1000) for d in (1, 15))
    assert summary.records == len(sim.transaction_ids(first, last))


async def test_aicc_call_log_export_is_exactly_once(
    aicallcenter_simulator_factory: Callable[..., Any],
    tmp_path: Path,
    ids_in: Callable[[Path], list[str]],
) -> None:
    """The account's call log: every call of every campaign once, calls on window edges too."""
    # 224 calls a week are 45 minutes apart: one falls exactly on every 6-hour edge.
    sim: AICallCenterSimulator = await aicallcenter_simulator_factory(calls_per_campaign=224)
    async with AsyncAICallCenterClient(base_url=sim.base_url, secret_key=sim.secret_key) as client:
        summary = await export_cdrs(
            client, *WEEK, tmp_path, window=timedelta(hours=6), concurrency=4, page_size=10
        )
    expected = aicc_ids(sim)
    assert summary.records == len(expected) == 3 * 224
    assert summary.out_of_window == summary.duplicates == 0
    assert_exactly_once(ids_in(tmp_path), expected)


async def test_aicc_campaign_export_reads_one_campaign(
    aicallcenter_simulator: AICallCenterSimulator,
    tmp_path: Path,
    ids_in: Callable[[Path], list[str]],
    read_back: Callable[[Path], list[CallRecord]],
) -> None:
    """AICallCenterSource(client, campaign) exports that campaign's calls only, as CallRecords."""
    sim = aicallcenter_simulator
    async with AsyncAICallCenterClient(base_url=sim.base_url, secret_key=sim.secret_key) as client:
        source = AICallCenterSource(client, sim.campaign_id)
        summary = await export_cdrs(source, *WEEK, tmp_path, format="csv")
    assert_exactly_once(ids_in(tmp_path), aicc_ids(sim, [sim.campaign_id]))
    records = [r for path in summary.files for r in read_back(tmp_path / path)]
    assert {r.provider for r in records} == {"aicallcenter"}
    assert all(r.started_at is not None and r.started_at.utcoffset() for r in records)


async def test_aicc_campaign_spec_runs_with_a_fresh_client(
    aicallcenter_simulator: AICallCenterSimulator,
    tmp_path: Path,
    ids_in: Callable[[Path], list[str]],
) -> None:
    """A planned campaign window, run by a worker's own client, still reads only that campaign."""
    sim = aicallcenter_simulator
    async with AsyncAICallCenterClient(base_url=sim.base_url, secret_key=sim.secret_key) as client:
        specs = plan(AICallCenterSource(client, sim.campaign_id), *WEEK, tmp_path)
    assert {spec.connection.scope for spec in specs} == {f"campaign:{sim.campaign_id}"}

    def factory(conn: Any) -> AsyncAICallCenterClient:
        return AsyncAICallCenterClient(base_url=conn.base_url, secret_key=sim.secret_key)

    for spec in specs:
        await arun_window(spec, client_factory=factory)
    assert_exactly_once(ids_in(tmp_path), aicc_ids(sim, [sim.campaign_id]))


async def test_aicc_directory_holds_one_campaign(
    aicallcenter_simulator: AICallCenterSimulator, tmp_path: Path
) -> None:
    """Exporting another campaign, or the whole call log, into a campaign's directory is refused."""
    sim = aicallcenter_simulator
    async with AsyncAICallCenterClient(base_url=sim.base_url, secret_key=sim.secret_key) as client:
        await export_cdrs(AICallCenterSource(client, sim.campaign_id), *WEEK, tmp_path)
        with pytest.raises(ValidationError, match="already holds an export"):
            await export_cdrs(AICallCenterSource(client, sim.otp_campaign_id), *WEEK, tmp_path)
        with pytest.raises(ValidationError, match="already holds an export"):
            await export_cdrs(client, *WEEK, tmp_path)


async def test_refused_credentials_stop_the_job_at_once(
    tel4vn_simulator_factory: Callable[..., Any], tmp_path: Path
) -> None:
    """A wrong key raises AuthenticationError itself: no window retried, nothing written."""
    sim = await tel4vn_simulator_factory(cdrs=100)
    async with AsyncTel4vnClient(base_url=sim.base_url, api_key="wrong-key") as client:
        with pytest.raises(AuthenticationError):
            await export_cdrs(client, *WEEK, tmp_path, window=timedelta(hours=6), concurrency=2)
    # One token request per window that started (two at once), none repeated by a window retry.
    assert 1 <= len(sim.requests) <= 2
    assert not parts(tmp_path)


async def test_unknown_campaign_stops_the_job_at_once(
    aicallcenter_simulator: AICallCenterSimulator, tmp_path: Path
) -> None:
    """A campaign the provider does not know raises NotFoundError, not one failure per window."""
    sim = aicallcenter_simulator
    async with AsyncAICallCenterClient(base_url=sim.base_url, secret_key=sim.secret_key) as client:
        with pytest.raises(NotFoundError):
            await export_cdrs(AICallCenterSource(client, "no-such-campaign"), *WEEK, tmp_path)
    assert not parts(tmp_path)
