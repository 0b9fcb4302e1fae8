"""The checkpoint store: job claim, window rows, the watermark."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from telcall.errors import ValidationError
from telcall.export._state import CheckpointStore, JobRow


@pytest.fixture
def store(tmp_path: Path) -> CheckpointStore:
    """A store claimed for a TEL4VN NDJSON export."""
    s = CheckpointStore(tmp_path)
    s.claim(provider="tel4vn", format="ndjson", raw=False, tz="Asia/Ho_Chi_Minh")
    return s


def commit(store: CheckpointStore, start: int, end: int) -> int | None:
    """Commit window [start, end) with a dummy file."""
    return store.commit(start=start, end=end, path=f"p{start}", records=1, sha256="h", size=1)


def test_claim_is_idempotent(store: CheckpointStore) -> None:
    """Claiming again with the same settings returns the job row."""
    job = store.claim(provider="tel4vn", format="ndjson", raw=False, tz="Asia/Ho_Chi_Minh")
    assert JobRow("tel4vn", "ndjson", False, "Asia/Ho_Chi_Minh", None) == job


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"provider": "omicall"}, id="provider"),
        pytest.param({"format": "csv"}, id="format"),
        pytest.param({"raw": True}, id="raw"),
        pytest.param({"tz": "UTC"}, id="tz"),
    ],
)
def test_claim_refuses_a_different_job(store: CheckpointStore, change: dict[str, object]) -> None:
    """A directory holds one job: other settings are refused."""
    asked: dict[str, object] = {
        "provider": "tel4vn",
        "format": "ndjson",
        "raw": False,
        "tz": "Asia/Ho_Chi_Minh",
    }
    with pytest.raises(ValidationError):
        store.claim(**{**asked, **change})  # type: ignore[arg-type]


def test_watermark_follows_contiguous_done_windows(store: CheckpointStore) -> None:
    """The watermark only passes windows that are done and contiguous from the start."""
    store.schedule([(0, 10, "p0"), (10, 20, "p10"), (20, 30, "p20")], redo=[], drop=[])
    assert commit(store, 20, 30) == 0
    assert store.job().watermark == 0  # type: ignore[union-attr]
    assert commit(store, 0, 10) == 10
    assert commit(store, 10, 20) == 30


def test_watermark_never_moves_back(store: CheckpointStore) -> None:
    """Redoing an early window (incremental overlap) keeps the watermark."""
    store.schedule([(0, 10, "p0"), (10, 20, "p10")], redo=[], drop=[])
    commit(store, 0, 10)
    assert commit(store, 10, 20) == 20
    store.schedule([], redo=[0], drop=[])
    assert commit(store, 0, 10) == 20


def test_schedule_keeps_done_rows_and_drops(store: CheckpointStore) -> None:
    """Scheduling never resets a done row unless asked, and deletes what it drops."""
    store.schedule([(0, 10, "p0"), (10, 20, "p10")], redo=[], drop=[])
    commit(store, 0, 10)
    store.schedule([(0, 10, "p0"), (20, 30, "p20")], redo=[], drop=[10])
    rows = store.windows()
    assert [(r.start, r.status) for r in rows] == [(0, "done"), (20, "pending")]
    assert rows[0].sha256 == "h"
    assert rows[0].finished_at is not None


def test_state_file_is_wal(store: CheckpointStore) -> None:
    """The checkpoint file uses WAL so engine workers in other processes can commit."""
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
