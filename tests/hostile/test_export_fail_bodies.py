"""The export never commits a window it did not read from a success, for every provider.

A first run exports the first half of a week; a second run against a server answering fail
bodies (HTTP 200) must commit nothing and leave the watermark where it was; a third run
against a healthy server then exports exactly the server's ids, each once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import msgspec
import pytest

from telcall import (
    AsyncAICallCenterClient,
    AsyncOmicallClient,
    AsyncTel4vnClient,
    errors,
)
from telcall.export import export_cdrs
from telcall.export._state import SqliteStore
from telcall.simulator import (
    VN,
    AICallCenterSimulator,
    OmicallSimulator,
    Reply,
    SimulatorBase,
    Tel4vnSimulator,
)

from .bodies import FAIL_BODIES
from .conftest import EVERY_REQUEST, WATCHDOG

START = datetime(2026, 11, 1, tzinfo=VN)
MIDDLE = datetime(2026, 11, 4, tzinfo=VN)
END = datetime(2026, 11, 8, tzinfo=VN)


@dataclass(frozen=True)
class Exported:
    """One provider's export setup: a simulator of the week, a client, the ids it holds."""

    simulator: Callable[[], SimulatorBase]
    client: Callable[[Any], Any]
    ids: Callable[[Any], set[str]]
    #: The listing the export reads (the token endpoint stays healthy).
    listing: str


_SECRET = "export-fail-bodies-secret"

SETUPS = {
    "tel4vn": Exported(
        lambda: Tel4vnSimulator(cdrs=300, seed=11, api_key=_SECRET, record_requests=False),
        lambda sim: AsyncTel4vnClient(base_url=sim.base_url, api_key=_SECRET, max_retries=0),
        lambda sim: set(sim.cdr_ids()),
        "/v2/cdr",
    ),
    "omicall": Exported(
        lambda: OmicallSimulator(seed=11, calls=300, start=START, end=END, api_key=_SECRET),
        lambda sim: AsyncOmicallClient(base_url=sim.base_url, api_key=_SECRET, max_retries=0),
        lambda sim: set(sim.transaction_ids(sim.t0_ms, sim.t0_ms + sim.span_ms)),
        "/api/call_transaction/list",
    ),
    "aicallcenter": Exported(
        lambda: AICallCenterSimulator(seed=11, calls_per_campaign=40, secret_key=_SECRET),
        lambda sim: AsyncAICallCenterClient(
            base_url=sim.base_url, secret_key=_SECRET, max_retries=0
        ),
        lambda sim: {str(c["call_id"]) for cid in sim.campaigns for c in sim.calls(cid)},
        "/api/users/call-log",
    ),
}

#: A documented failure and the generic shapes that used to read as empty pages.
_SHAPES = {"status-fail", "failure", "stopped", "empty-object", "code-500-bare"}


def cases() -> list[Any]:
    """``pytest.param(provider, reply)`` for each provider and fail body of :data:`_SHAPES`."""
    return [
        pytest.param(provider, reply, id=f"{provider}-{name}")
        for provider, bodies in FAIL_BODIES.items()
        for name, reply, _ in bodies
        if name in _SHAPES
    ]


async def export(setup: Exported, out: Path, *, since: bool, script: Reply | None = None) -> Any:
    """Run the export once against a fresh simulator (scripted with ``script``, if given)."""
    async with setup.simulator() as sim, setup.client(sim) as client:
        if script is not None:
            sim.script(script, times=EVERY_REQUEST, path=setup.listing)
        with anyio.fail_after(WATCHDOG):
            if since:
                return await export_cdrs(
                    client, None, END, out, since="last", window_retries=0, concurrency=2
                )
            return await export_cdrs(client, START, MIDDLE, out, window_retries=0, concurrency=2)


@pytest.mark.parametrize(("provider", "reply"), cases())
async def test_fail_bodies_commit_nothing(provider: str, reply: Reply, tmp_path: Path) -> None:
    """Fail bodies commit no window and leave the watermark; a healthy rerun is exactly-once."""
    setup = SETUPS[provider]
    first = await export(setup, tmp_path, since=False)
    store = SqliteStore(tmp_path)
    done_before = {row.start for row in store.windows() if row.status == "done"}
    files_before = snapshot(tmp_path)
    job = store.job()
    assert job is not None
    assert first.watermark == MIDDLE

    with pytest.raises(errors.TelcallError):
        await export(setup, tmp_path, since=True, script=reply)
    # The lookback window is rescheduled by design; nothing may become done.
    done_after = {row.start for row in store.windows() if row.status == "done"}
    assert done_after <= done_before, "a window was committed from a fail body"
    after = store.job()
    assert after is not None
    assert after.watermark == job.watermark, "a failed run moved the watermark"
    files_after = snapshot(tmp_path)
    assert set(files_after) <= set(files_before)
    assert all(files_after[path] == files_before[path] for path in files_after)

    healthy = await export(setup, tmp_path, since=True)
    assert healthy.watermark == END
    async with setup.simulator() as sim:
        expected = setup.ids(sim)
    exported = exported_ids(tmp_path)
    assert len(exported) == len(set(exported)), "duplicates in the export"
    assert set(exported) == expected


def snapshot(out: Path) -> dict[Path, bytes]:
    """Every window file of the export and its bytes."""
    return {path: path.read_bytes() for path in out.glob("date=*/part-*")}


def exported_ids(out: Path) -> list[str]:
    """Every id written to the export's window files (one entry per record)."""
    ids: list[str] = []
    for path in sorted(out.glob("date=*/part-*.ndjson")):
        ids.extend(
            str(msgspec.json.decode(line)["id"]).strip() for line in path.read_bytes().splitlines()
        )
    return ids
