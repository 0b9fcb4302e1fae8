"""Checkpoints: the store protocol, and one SQLite file (``<out_dir>/_state.db``) per directory.

The PostgreSQL store (``state="postgresql://..."``, :mod:`._pgstate`) keeps
the same rows in database tables, for workers on many machines.

One ``job`` row (what the directory holds, and the watermark), one
``windows`` row per planned window, the live ``claims`` and the last
``failures``. A window row says ``done`` only after its file was renamed into
place and synced, so a committed row always has its file; the reverse (a file
without a committed row) is what a killed run leaves, and the next run redoes
that window. WAL and a busy timeout let runs and engine workers in other
processes share the file. Nothing secret and no scroll id is stored: a window
restarts from its bounds, never from a cursor.

The claim protocol (what any checkpoint store must provide; SQLite here):

- A run (one :func:`~telcall.export.export_cdrs` call, or one engine worker)
  has a run id, ``host-pid-random`` (:func:`new_run_id`).
- Before reading a window, the run claims it (:meth:`CheckpointStore.claim_window`):
  atomically, the directory's plan must hold exactly that window (same bounds)
  and no other run may hold a live claim that *overlaps its time range*. The
  answer is ``claimed``, ``busy`` (the holder's run id and lease expiry) or
  ``stale`` (another plan has re-cut that range since this spec was made).
  Checking by time range, not by window key, is what keeps plans with
  different grids from both committing overlapping windows.
- A claim is a lease: the holder renews it while reading
  (:meth:`~CheckpointStore.renew`); it is live until it expires, and on the
  holder's own host only while the holder's process exists, so the rerun
  after a crash takes over at once. Leases are wall-clock times: hosts that
  share a directory need synchronised clocks (NTP).
- :meth:`~CheckpointStore.commit` succeeds only for the claim's holder, and
  releases the claim; :meth:`~CheckpointStore.release` drops it otherwise.
- :meth:`~CheckpointStore.schedule` (re-cutting a range) refuses to drop windows
  a live run holds, and temp files carry the run id, so a run only deletes
  its own temp files or those of runs whose claims are dead
  (:meth:`~CheckpointStore.live_runs`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

import msgspec

from .._core.errors import CheckpointError, ValidationError

__all__ = (
    "DEFAULT_LEASE",
    "STATE_FILE",
    "CheckpointStore",
    "Claim",
    "ClaimLost",
    "ClaimRow",
    "FailureRow",
    "JobRow",
    "PlanChanged",
    "SqliteStore",
    "WindowRow",
    "advance_watermark",
    "check_drop",
    "check_planned",
    "claim_expired",
    "claim_lost",
    "claim_refusal",
    "job_mismatch",
    "live_claims",
    "new_run_id",
    "open_store",
    "process_exists",
)

STATE_FILE = "_state.db"

#: Seconds a window claim lives without renewal; holders renew every third of it. A dead
#: holder on the claimant's own host is taken over at once (its process is gone).
DEFAULT_LEASE = 120.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS job (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    provider TEXT NOT NULL,
    format TEXT NOT NULL,
    raw INTEGER NOT NULL,
    tz TEXT NOT NULL,
    watermark INTEGER,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS windows (
    start INTEGER PRIMARY KEY,
    end INTEGER NOT NULL,
    path TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'done')),
    records INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0,
    sha256 TEXT,
    bytes INTEGER NOT NULL DEFAULT 0,
    finished_at TEXT
);
CREATE TABLE IF NOT EXISTS claims (
    start INTEGER PRIMARY KEY,
    end INTEGER NOT NULL,
    run_id TEXT NOT NULL,
    expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS failures (
    start INTEGER PRIMARY KEY,
    end INTEGER NOT NULL,
    run_id TEXT NOT NULL,
    error TEXT NOT NULL,
    failed_at TEXT NOT NULL
);
"""

# Run ids go into temp file names: no ":" or "/".
_HOST = socket.gethostname().replace("/", "_").replace(":", "_")

_WINDOW_COLUMNS = "start, end, path, status, records, rejected, sha256, bytes, finished_at"


def new_run_id() -> str:
    """A run id, ``host-pid-random``: a claim's liveness can be checked on its host."""
    return f"{_HOST}-{os.getpid()}-{secrets.token_hex(4)}"


def process_exists(run_id: str) -> bool:
    """False only when the run was on this host and its process is gone."""
    parts = run_id.rsplit("-", 2)
    # Windows' os.kill terminates the process whatever the signal: leases only there.
    if os.name != "posix" or len(parts) != 3 or parts[0] != _HOST or not parts[1].isdigit():
        return True
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def live_claims(claims: Iterable[ClaimRow], now: float) -> list[ClaimRow]:
    """The claims whose lease runs and whose holder may exist (any store's rule)."""
    return [c for c in claims if c.expires > now and process_exists(c.run_id)]


def advance_watermark(old: int, rows: Iterable[tuple[int, int, str]]) -> int:
    """The end of the run of contiguous done windows from ``old`` (rows by start, ``end > old``).

    A row may straddle the old watermark: a partial last window replaced by a
    whole one when a later run went further.
    """
    mark = old
    for w_start, w_end, status in rows:
        if w_start > mark or status != "done":
            break
        mark = w_end
    return mark


# The claim protocol's rules, for every store: each store reads the rows, these decide.


def claim_refusal(
    live: Iterable[ClaimRow], windows: Iterable[Sequence[int]], *, start: int, end: int, run_id: str
) -> Claim | None:
    """Why ``run_id`` may not claim ``[start, end)`` now; ``None``: it may.

    ``busy``: another run's live claim overlaps it. ``stale``: the window rows
    overlapping it (``windows``, ``(start, end)`` by start) are not this one
    window any more (a plan re-cut the range since).
    """
    for claim in live:
        if claim.run_id != run_id and claim.start < end and start < claim.end:
            return Claim("busy", claim.run_id, claim.expires)
    if [tuple(w) for w in windows] != [(start, end)]:
        return Claim("stale")
    return None


def check_drop(
    live: Iterable[ClaimRow], rows: Sequence[Sequence[Any]], *, run_id: str | None, where: str
) -> None:
    """Refuse to drop window rows ``(start, end, path)`` a live claim of another run overlaps."""
    for claim in live:
        for row in rows:
            if claim.run_id != run_id and row[0] < claim.end and claim.start < row[1]:
                raise CheckpointError(
                    f"run {claim.run_id} is exporting {row[2]} in {where} with another window "
                    "size; wait for it to finish, or use its window size"
                )


def check_planned(overlapping: Iterable[Sequence[int]], *, start: int, end: int, path: str) -> None:
    """Refuse a planned window that overlaps rows other than itself (another plan got in)."""
    rows = [tuple(r) for r in overlapping]
    if rows and rows != [(start, end)]:
        raise PlanChanged(f"{path} overlaps windows another plan added meanwhile")


def claim_expired(run_id: str, start: int, where: str) -> ClaimLost:
    """The error of a renewal that found its claim taken over."""
    return ClaimLost(
        f"the claim of run {run_id} on the window starting at {start} in "
        f"{where} expired and another run took it over"
    )


def claim_lost(run_id: str, path: str, where: str) -> ClaimLost:
    """The error of a commit whose run no longer holds the window's claim."""
    return ClaimLost(
        f"run {run_id} lost its claim on {path} in {where} before "
        "committing it; the run that took it over commits it"
    )


def job_mismatch(where: str, job: JobRow, asked: JobRow) -> ValidationError | None:
    """The error for a run that asks for another job than the one ``where`` holds."""
    if asked == job:
        return None
    return ValidationError(
        f"{where} already holds an export of provider={job.provider} "
        f"format={job.format} raw={job.raw} tz={job.tz}; this run asks for "
        f"provider={asked.provider} format={asked.format} raw={asked.raw} tz={asked.tz} "
        "(use another directory)"
    )


class JobRow(msgspec.Struct, frozen=True):
    """What an export directory holds; ``watermark`` is a Unix time or ``None``."""

    provider: str
    format: str
    raw: bool
    tz: str
    watermark: int | None


class WindowRow(msgspec.Struct, frozen=True):
    """One window's checkpoint; ``start``/``end`` are Unix times, ``path`` is relative."""

    start: int
    end: int
    path: str
    status: str
    records: int
    rejected: int
    sha256: str | None
    bytes: int
    finished_at: str | None


class ClaimRow(msgspec.Struct, frozen=True):
    """A live claim: who reads ``[start, end)`` and until when (Unix time)."""

    start: int
    end: int
    run_id: str
    expires: float


class FailureRow(msgspec.Struct, frozen=True):
    """The last failure of a window not committed since."""

    start: int
    end: int
    run_id: str
    error: str
    failed_at: str


class Claim(msgspec.Struct, frozen=True):
    """The answer to :meth:`CheckpointStore.claim_window`.

    ``busy``: ``holder`` (a run id) holds a live claim overlapping the window
    until ``expires``. ``stale``: the directory's plan no longer has this window.
    """

    outcome: Literal["claimed", "busy", "stale"]
    holder: str | None = None
    expires: float | None = None


class PlanChanged(CheckpointError):
    """Another run re-planned the directory while this plan was being worked out: plan again."""


class ClaimLost(CheckpointError):
    """This run's claim on a window expired and another run took it over."""


def _prepare(db: sqlite3.Connection) -> None:
    """WAL, full sync, the schema; retried while another process is creating the file.

    Two processes turning a new file to WAL at once get "database is locked"
    at once, without SQLite's busy wait: wait here instead.
    """
    deadline = time.monotonic() + 60.0
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            # FULL: a checkpoint that says "done" must survive a power cut as
            # surely as the file it vouches for.
            db.execute("PRAGMA synchronous=FULL")
            db.executescript(_SCHEMA)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# What to do about each way SQLite can fail on the checkpoint file.
_ADVICE = (
    (("not a database", "malformed", "corrupt"), "it is damaged: move it aside and run the "
     "export again (the windows are then exported afresh)"),
    (("disk is full",), "free space on its disk and run the export again"),
    (("disk i/o",), "check its disk (full, or failing?) and run the export again"),
    (("readonly", "read-only", "unable to open", "permission"), "make it and its directory "
     "writable by this user and run the export again"),
)  # fmt: skip


class CheckpointStore(Protocol):
    """What the export job needs of a checkpoint store (SQLite, PostgreSQL).

    Every method is one atomic transaction, safe against other processes
    (and, for a database, other machines) using the same store. The methods
    block: the job calls them through ``anyio.to_thread``.
    """

    #: What to name the store in messages (a directory, or a redacted URL and job).
    where: str

    def exists(self) -> bool:
        """Whether the store holds this job yet (reading never creates it)."""
        ...

    def close(self) -> None:
        """Let go of connections; the store is not used after."""
        ...

    def job(self) -> JobRow | None:
        """The job row, if the store has one."""
        ...

    def claim(self, *, provider: str, format: str, raw: bool, tz: str) -> JobRow:
        """Record what this job holds, or check that a new run asks for the same."""
        ...

    def check_job(self, job: JobRow, *, provider: str, format: str, raw: bool, tz: str) -> None:
        """Refuse a run that asks for another job than the one the store holds."""
        ...

    def windows(self) -> list[WindowRow]:
        """Every window row, by start time."""
        ...

    def window(self, start: int) -> WindowRow | None:
        """The row of the window starting at ``start``."""
        ...

    def claims(self) -> list[ClaimRow]:
        """The live claims, by start time."""
        ...

    def live_runs(self) -> set[str]:
        """Run ids holding a live claim: their temp files are not to be touched."""
        ...

    def failures(self) -> list[FailureRow]:
        """The windows whose last run failed and that no run committed since."""
        ...

    def schedule(
        self,
        planned: Iterable[tuple[int, int, str]],
        *,
        redo: Iterable[int],
        drop: Iterable[int],
        run_id: str | None = None,
    ) -> None:
        """Add pending rows, mark ``redo`` pending, delete ``drop`` (see :class:`SqliteStore`)."""
        ...

    def claim_window(
        self, *, start: int, end: int, run_id: str, lease: float = DEFAULT_LEASE
    ) -> Claim:
        """Claim ``[start, end)`` for ``run_id`` before reading it."""
        ...

    def renew(self, *, start: int, run_id: str, lease: float = DEFAULT_LEASE) -> None:
        """Extend this run's claim; raise :class:`ClaimLost` if another run took it over."""
        ...

    def release(self, *, start: int, run_id: str) -> None:
        """Drop this run's claim (the window failed or was cancelled)."""
        ...

    def fail(self, *, start: int, end: int, run_id: str, error: str) -> None:
        """Record a window's failure and drop the claim."""
        ...

    def commit(
        self,
        *,
        start: int,
        end: int,
        path: str,
        records: int,
        sha256: str,
        size: int,
        rejected: int = 0,
        run_id: str | None = None,
    ) -> int | None:
        """Mark a window done and advance the watermark; return it."""
        ...


def open_store(state: str | None, out_dir: str | os.PathLike[str]) -> CheckpointStore:
    """The store ``state`` names: ``None`` is ``<out_dir>/_state.db``; else a PostgreSQL URL.

    With PostgreSQL, ``out_dir`` (as the spec holds it) names the job in the database.
    """
    if state is None:
        return SqliteStore(out_dir)
    from ._pgstate import PostgresStore, check_state_url

    return PostgresStore(check_state_url(state), job=str(out_dir))


class SqliteStore:
    """The checkpoint file of one export directory; each method is one short transaction."""

    def __init__(self, out_dir: str | os.PathLike[str]) -> None:
        self.path = Path(out_dir) / STATE_FILE
        self.where = str(self.path.parent)

    def close(self) -> None:
        """Nothing to close: each operation opens and closes its own connection."""

    def exists(self) -> bool:
        """Whether the directory has a checkpoint file yet (reading never creates one)."""
        return self.path.is_file()

    def _error(self, exc: sqlite3.Error) -> CheckpointError:
        text = str(exc)
        advice = next(
            (tip for needles, tip in _ADVICE if any(n in text.lower() for n in needles)),
            "check the file and its directory, then run the export again",
        )
        return CheckpointError(f"checkpoint file {self.path}: {text}; {advice}")

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        # A connection per operation: callers run in worker threads and in
        # other processes, and opening a local SQLite file costs microseconds.
        try:
            db = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        try:
            _prepare(db)
            yield db
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        finally:
            db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._db() as db:
            # IMMEDIATE takes the write lock up front, so two processes cannot
            # both read the old state and then both write.
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def job(self) -> JobRow | None:
        """The job row, if the directory has one."""
        if not self.exists():
            return None
        with self._db() as db:
            row = db.execute("SELECT provider, format, raw, tz, watermark FROM job").fetchone()
        return None if row is None else JobRow(row[0], row[1], bool(row[2]), row[3], row[4])

    def claim(self, *, provider: str, format: str, raw: bool, tz: str) -> JobRow:
        """Record what this directory holds, or check that a new run asks for the same."""
        with self._write() as db:
            row = db.execute("SELECT provider, format, raw, tz, watermark FROM job").fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO job (id, provider, format, raw, tz, watermark, updated_at) "
                    "VALUES (1, ?, ?, ?, ?, NULL, ?)",
                    (provider, format, int(raw), tz, _now()),
                )
                return JobRow(provider, format, raw, tz, None)
        job = JobRow(row[0], row[1], bool(row[2]), row[3], row[4])
        self.check_job(job, provider=provider, format=format, raw=raw, tz=tz)
        return job

    def check_job(self, job: JobRow, *, provider: str, format: str, raw: bool, tz: str) -> None:
        """Refuse a run that asks for another job than the one the directory holds."""
        error = job_mismatch(self.where, job, JobRow(provider, format, raw, tz, job.watermark))
        if error is not None:
            raise error

    def windows(self) -> list[WindowRow]:
        """Every window row, by start time."""
        if not self.exists():
            return []
        with self._db() as db:
            rows = db.execute(f"SELECT {_WINDOW_COLUMNS} FROM windows ORDER BY start").fetchall()
        return [WindowRow(*row) for row in rows]

    def window(self, start: int) -> WindowRow | None:
        """The row of the window starting at ``start``."""
        with self._db() as db:
            row = db.execute(
                f"SELECT {_WINDOW_COLUMNS} FROM windows WHERE start = ?", (start,)
            ).fetchone()
        return None if row is None else WindowRow(*row)

    @staticmethod
    def _live(db: sqlite3.Connection, now: float) -> list[ClaimRow]:
        rows = [ClaimRow(*r) for r in db.execute("SELECT start, end, run_id, expires FROM claims")]
        return live_claims(rows, now)

    def claims(self) -> list[ClaimRow]:
        """The live claims, by start time."""
        if not self.exists():
            return []
        with self._db() as db:
            return sorted(self._live(db, time.time()), key=lambda c: c.start)

    def live_runs(self) -> set[str]:
        """Run ids holding a live claim: their temp files are not to be touched."""
        return {claim.run_id for claim in self.claims()}

    def failures(self) -> list[FailureRow]:
        """The windows whose last run failed and that no run committed since."""
        if not self.exists():
            return []
        with self._db() as db:
            rows = db.execute(
                "SELECT start, end, run_id, error, failed_at FROM failures ORDER BY start"
            ).fetchall()
        return [FailureRow(*row) for row in rows]

    def schedule(
        self,
        planned: Iterable[tuple[int, int, str]],
        *,
        redo: Iterable[int],
        drop: Iterable[int],
        run_id: str | None = None,
    ) -> None:
        """Add pending rows for new windows, mark ``redo`` pending, delete the rows at ``drop``.

        Refuses (:class:`~telcall.errors.CheckpointError`) to drop a window
        that overlaps a live claim of a run other than ``run_id``: that run
        is still writing it. Raises :class:`PlanChanged` if a planned window
        overlaps rows that are neither it nor dropped (another plan got in
        first); nothing is changed then.
        """
        starts = list(drop)
        with self._write() as db:
            rows = [
                db.execute("SELECT start, end, path FROM windows WHERE start = ?", (s,)).fetchone()
                for s in starts
            ]
            live = self._live(db, time.time())
            check_drop(live, [r for r in rows if r], run_id=run_id, where=self.where)
            db.executemany("DELETE FROM windows WHERE start = ?", ((s,) for s in starts))
            for start, end, path in planned:
                overlapping = db.execute(
                    "SELECT start, end FROM windows WHERE start < ? AND end > ?", (end, start)
                ).fetchall()
                check_planned(overlapping, start=start, end=end, path=path)
                db.execute(
                    "INSERT OR IGNORE INTO windows (start, end, path, status) "
                    "VALUES (?, ?, ?, 'pending')",
                    (start, end, path),
                )
            db.executemany(
                "UPDATE windows SET status = 'pending' WHERE start = ?", ((s,) for s in redo)
            )

    def claim_window(
        self, *, start: int, end: int, run_id: str, lease: float = DEFAULT_LEASE
    ) -> Claim:
        """Claim ``[start, end)`` for ``run_id`` before reading it (see the module docstring)."""
        now = time.time()
        with self._write() as db:
            rows = db.execute(
                "SELECT start, end FROM windows WHERE start < ? AND end > ?", (end, start)
            ).fetchall()
            refused = claim_refusal(self._live(db, now), rows, start=start, end=end, run_id=run_id)
            if refused is not None:
                return refused
            # What overlaps now is dead, or this run's own earlier claim.
            db.execute("DELETE FROM claims WHERE start < ? AND end > ?", (end, start))
            db.execute(
                "INSERT INTO claims (start, end, run_id, expires) VALUES (?, ?, ?, ?)",
                (start, end, run_id, now + lease),
            )
        return Claim("claimed", run_id, now + lease)

    def renew(self, *, start: int, run_id: str, lease: float = DEFAULT_LEASE) -> None:
        """Extend this run's claim; raise :class:`ClaimLost` if another run took it over."""
        with self._write() as db:
            updated = db.execute(
                "UPDATE claims SET expires = ? WHERE start = ? AND run_id = ?",
                (time.time() + lease, start, run_id),
            ).rowcount
        if not updated:
            raise claim_expired(run_id, start, self.where)

    def release(self, *, start: int, run_id: str) -> None:
        """Drop this run's claim (the window failed or was cancelled)."""
        with self._write() as db:
            db.execute("DELETE FROM claims WHERE start = ? AND run_id = ?", (start, run_id))

    def fail(self, *, start: int, end: int, run_id: str, error: str) -> None:
        """Record a window's failure (shown by ``telcall export status``) and drop the claim."""
        with self._write() as db:
            db.execute("DELETE FROM claims WHERE start = ? AND run_id = ?", (start, run_id))
            db.execute(
                "INSERT OR REPLACE INTO failures (start, end, run_id, error, failed_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (start, end, run_id, error, _now()),
            )

    def commit(
        self,
        *,
        start: int,
        end: int,
        path: str,
        records: int,
        sha256: str,
        size: int,
        rejected: int = 0,
        run_id: str | None = None,
    ) -> int | None:
        """Mark a window done (its file is in place) and advance the watermark; return it.

        With ``run_id``, the run must still hold its claim on the window
        (:class:`ClaimLost` otherwise), which the commit releases.

        The watermark is the end of the run of contiguous done windows that
        starts at the old watermark (or at the first window): every call
        before it has been exported. It never moves back, so redoing
        overlapped windows in an incremental run does not widen the next one.
        """
        with self._write() as db:
            if run_id is not None:
                held = db.execute(
                    "DELETE FROM claims WHERE start = ? AND run_id = ?", (start, run_id)
                ).rowcount
                if not held:
                    raise claim_lost(run_id, path, self.where)
            db.execute(
                "INSERT INTO windows (start, end, path, status, records, rejected, sha256, "
                "bytes, finished_at) VALUES (?, ?, ?, 'done', ?, ?, ?, ?, ?) "
                "ON CONFLICT (start) DO UPDATE SET end = excluded.end, path = excluded.path, "
                "status = 'done', records = excluded.records, rejected = excluded.rejected, "
                "sha256 = excluded.sha256, bytes = excluded.bytes, "
                "finished_at = excluded.finished_at",
                (start, end, path, records, rejected, sha256, size, _now()),
            )
            db.execute("DELETE FROM failures WHERE start < ? AND end > ?", (end, start))
            row = db.execute("SELECT watermark FROM job").fetchone()
            old: int | None = None if row is None else row[0]
            if old is None:
                first = db.execute("SELECT min(start) FROM windows").fetchone()
                old = first[0]
            mark = advance_watermark(
                old,
                db.execute(
                    "SELECT start, end, status FROM windows WHERE end > ? ORDER BY start", (old,)
                ),
            )
            db.execute("UPDATE job SET watermark = ?, updated_at = ?", (mark, _now()))
        return mark
