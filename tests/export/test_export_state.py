"""The checkpoint store: job claim, window rows, the watermark."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from telcall.errors import CheckpointError, ValidationError
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
    with contextlib.closing(sqlite3.connect(store.path)) as db:
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
    store: CheckpointStore, damage: Callable[[Path], None], advice: str
) -> None:
    """A damaged or unopenable checkpoint file: CheckpointError naming the file and the fix."""
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
        "from telcall.export._state import CheckpointStore\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "store = CheckpointStore(sys.argv[1])\n"
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
