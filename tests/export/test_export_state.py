"""The checkpoint stores: job claim, window rows, the watermark, claims (SQLite and PostgreSQL).

The protocol tests run against both backends (``store``); the file tests against SQLite only.
"""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from telcall.errors import CheckpointError, ValidationError
from telcall.export._pgstate import PostgresStore
from telcall.export._state import CheckpointStore, ClaimLost, JobRow, SqliteStore, new_run_id


@pytest.fixture(scope="module")
def state_db(postgres_server: Any) -> str:
    """One database for the module's PostgreSQL stores (each test is its own job)."""
    url: str = postgres_server.create_database()
    return url


def claimed(store: CheckpointStore) -> CheckpointStore:
    """The store, claimed for a TEL4VN NDJSON export."""
    store.claim(provider="tel4vn", format="ndjson", raw=False, tz="Asia/Ho_Chi_Minh")
    return store


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"), pytest.param("pg", id="postgresql")])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> CheckpointStore:
    """A claimed store of each backend."""
    if request.param == "sqlite":
        return claimed(SqliteStore(tmp_path))
    return claimed(PostgresStore(request.getfixturevalue("state_db"), job=str(tmp_path)))


@pytest.fixture
def sqlite_store(tmp_path: Path) -> SqliteStore:
    """A claimed SQLite store (the file tests)."""
    s = SqliteStore(tmp_path)
    claimed(s)
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


def test_state_file_is_wal(sqlite_store: SqliteStore) -> None:
    """The checkpoint file uses WAL so engine workers in other processes can commit."""
    with contextlib.closing(sqlite3.connect(sqlite_store.path)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def corrupt_garbage(path: Path) -> None:
    """Not a database at all."""
    path.write_bytes(b"this is not a database, it is a text file\n" * 200)


def corrupt_pages(path: Path) -> None:
    """A real database whose pages after the header are overwritten."""
    data = bytearray(path.read_bytes())
    data[100:] = b"\xff" * (len(data) - 100)
    path.write_bytes(bytes(data))


def replace_by_directory(path: Path) -> None:
    """A directory where the file should be: it cannot be opened."""
    path.unlink()
    path.mkdir()


@pytest.mark.parametrize(
    ("damage", "advice"),
    [
        pytest.param(corrupt_garbage, "move it aside", id="not-a-database"),
        pytest.param(corrupt_pages, "move it aside", id="malformed"),
        pytest.param(replace_by_directory, "writable", id="cannot-open"),
    ],
)
def test_damaged_state_is_a_checkpoint_error(
    sqlite_store: SqliteStore, damage: Callable[[Path], None], advice: str
) -> None:
    """A damaged or unopenable checkpoint file: CheckpointError naming the file and the fix."""
    store = sqlite_store
    store.schedule([(0, 10, "p0")], redo=[], drop=[])
    for suffix in ("-wal", "-shm"):
        Path(f"{store.path}{suffix}").unlink(missing_ok=True)
    damage(store.path)
    with pytest.raises(CheckpointError) as caught:
        store.commit(start=0, end=10, path="p0", records=1, sha256="h", size=1)
    assert str(store.path) in str(caught.value)
    assert advice in str(caught.value)


def test_full_disk_is_a_checkpoint_error(tmp_path: Path) -> None:
    """A write past the file size limit (a full disk): CheckpointError, in a subprocess."""
    script = (
        "import resource, signal, sys\n"
        "from telcall.errors import CheckpointError\n"
        "from telcall.export._state import SqliteStore\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "store = SqliteStore(sys.argv[1])\n"
        "store.claim(provider='tel4vn', format='ndjson', raw=False, tz='UTC')\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))\n"
        "rows = [(i * 10, i * 10 + 10, 'p' * 200 + str(i)) for i in range(5000)]\n"
        "try:\n"
        "    store.schedule(rows, redo=[], drop=[])\n"
        "except CheckpointError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, timeout=60, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"checkpoint file {tmp_path / '_state.db'}: ")
    assert "run the export again" in done.stdout


def test_schedule_refuses_rows_another_plan_added(store: CheckpointStore) -> None:
    """Planned windows overlapping rows this plan did not drop: PlanChanged, nothing written."""
    from telcall.export._state import PlanChanged

    store.schedule([(0, 10, "p0"), (10, 20, "p10")], redo=[], drop=[])
    with pytest.raises(PlanChanged):
        store.schedule([(0, 20, "p0-20"), (20, 30, "p20")], redo=[], drop=[0])
    assert [(r.start, r.end) for r in store.windows()] == [(0, 10), (10, 20)]
    store.schedule([(0, 20, "p0-20")], redo=[], drop=[0, 10])
    assert [(r.start, r.end) for r in store.windows()] == [(0, 20)]


def test_claims_block_overlaps_until_released(store: CheckpointStore) -> None:
    """A live claim makes overlapping claims busy; commit releases it; a stale plan is told so."""
    store.schedule([(0, 10, "p0"), (10, 20, "p10")], redo=[], drop=[])
    first, second = new_run_id(), new_run_id()
    assert store.claim_window(start=0, end=10, run_id=first).outcome == "claimed"
    busy = store.claim_window(start=0, end=10, run_id=second)
    assert (busy.outcome, busy.holder) == ("busy", first)
    assert store.claim_window(start=0, end=20, run_id=second).outcome == "busy"
    assert store.claim_window(start=5, end=15, run_id=second).outcome == "busy"
    assert store.live_runs() == {first}
    store.commit(start=0, end=10, path="p0", records=1, sha256="h", size=1, run_id=first)
    assert store.claims() == []
    assert store.claim_window(start=0, end=20, run_id=second).outcome == "stale"
    assert store.claim_window(start=0, end=10, run_id=second).outcome == "claimed"


def test_expired_claim_is_taken_over_and_the_loser_cannot_commit(store: CheckpointStore) -> None:
    """A lease that runs out is claimable; the old holder's renew and commit raise ClaimLost."""
    store.schedule([(0, 10, "p0")], redo=[], drop=[])
    loser, winner = new_run_id(), new_run_id()
    store.claim_window(start=0, end=10, run_id=loser, lease=0.05)
    time.sleep(0.1)
    assert store.claim_window(start=0, end=10, run_id=winner).outcome == "claimed"
    with pytest.raises(ClaimLost):
        store.renew(start=0, run_id=loser)
    with pytest.raises(ClaimLost):
        store.commit(start=0, end=10, path="p0", records=1, sha256="h", size=1, run_id=loser)
    store.renew(start=0, run_id=winner)
    assert store.commit(start=0, end=10, path="p0", records=1, sha256="h", size=1, run_id=winner)
    assert [r.status for r in store.windows()] == ["done"]


def test_dead_holder_on_this_host_is_taken_over_at_once(store: CheckpointStore) -> None:
    """A claim whose process is gone from this host is dead before its lease ends."""
    store.schedule([(0, 10, "p0")], redo=[], drop=[])
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead = new_run_id().rsplit("-", 2)
    dead_run = f"{dead[0]}-{done.stdout.strip()}-{dead[2]}"
    store.claim_window(start=0, end=10, run_id=dead_run, lease=3600)
    assert store.claims() == []
    assert store.claim_window(start=0, end=10, run_id=new_run_id()).outcome == "claimed"


def test_failures_are_recorded_until_a_commit(store: CheckpointStore) -> None:
    """fail() drops the claim and records the error; a later commit clears it."""
    store.schedule([(0, 10, "p0")], redo=[], drop=[])
    run = new_run_id()
    store.claim_window(start=0, end=10, run_id=run)
    store.fail(start=0, end=10, run_id=run, error="TransportError: boom")
    assert [(f.start, f.error) for f in store.failures()] == [(0, "TransportError: boom")]
    assert store.claims() == []
    commit(store, 0, 10)
    assert store.failures() == []


def test_schedule_refuses_to_drop_a_window_another_run_holds(store: CheckpointStore) -> None:
    """Re-cutting a range a live run is exporting is refused, naming that run."""
    store.schedule([(0, 10, "p0")], redo=[], drop=[])
    holder = new_run_id()
    store.claim_window(start=0, end=10, run_id=holder)
    with pytest.raises(CheckpointError, match=holder):
        store.schedule([(0, 20, "p0-20")], redo=[], drop=[0], run_id=new_run_id())
    store.schedule([(0, 20, "p0-20")], redo=[], drop=[0], run_id=holder)
