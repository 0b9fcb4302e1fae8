"""Checkpoints: one SQLite file (``<out_dir>/_state.db``) per export directory.

One ``job`` row (what the directory holds, and the watermark) and one
``windows`` row per window. A window row says ``done`` only after its file was
renamed into place and synced, so a committed row always has its file; the
reverse (a file without a committed row) is what a killed run leaves, and the
next run redoes that window. WAL and a busy timeout let engine workers in other
processes commit into the same file. Nothing secret and no scroll id is stored:
a window restarts from its bounds, never from a cursor.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from .._core.errors import ValidationError

__all__ = ("STATE_FILE", "CheckpointStore", "JobRow", "WindowRow")

STATE_FILE = "_state.db"

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
    sha256 TEXT,
    bytes INTEGER NOT NULL DEFAULT 0,
    finished_at TEXT
);
"""


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
    sha256: str | None
    bytes: int
    finished_at: str | None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class CheckpointStore:
    """The checkpoint file of one export directory; each method is one short transaction."""

    def __init__(self, out_dir: str | os.PathLike[str]) -> None:
        self.path = Path(out_dir) / STATE_FILE

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        # A connection per operation: callers run in worker threads and in
        # other processes, and opening a local SQLite file costs microseconds.
        db = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            # FULL: a checkpoint that says "done" must survive a power cut as
            # surely as the file it vouches for.
            db.execute("PRAGMA synchronous=FULL")
            db.executescript(_SCHEMA)
            yield db
        finally:
            db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._db() as db:
            # IMMEDIATE takes the write lock up front, so two processes cannot
            # both read the old watermark and then both write.
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def job(self) -> JobRow | None:
        """The job row, if the directory has one."""
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
        asked = JobRow(provider, format, raw, tz, job.watermark)
        if asked != job:
            raise ValidationError(
                f"{self.path.parent} already holds an export of provider={job.provider} "
                f"format={job.format} raw={job.raw} tz={job.tz}; this run asks for "
                f"provider={provider} format={format} raw={raw} tz={tz} (use another directory)"
            )
        return job

    def windows(self) -> list[WindowRow]:
        """Every window row, by start time."""
        with self._db() as db:
            rows = db.execute(
                "SELECT start, end, path, status, records, sha256, bytes, finished_at "
                "FROM windows ORDER BY start"
            ).fetchall()
        return [WindowRow(*row) for row in rows]

    def window(self, start: int) -> WindowRow | None:
        """The row of the window starting at ``start``."""
        with self._db() as db:
            row = db.execute(
                "SELECT start, end, path, status, records, sha256, bytes, finished_at "
                "FROM windows WHERE start = ?",
                (start,),
            ).fetchone()
        return None if row is None else WindowRow(*row)

    def schedule(
        self, planned: Iterable[tuple[int, int, str]], *, redo: Iterable[int], drop: Iterable[int]
    ) -> None:
        """Add pending rows for new windows, mark ``redo`` pending, delete ``drop``."""
        with self._write() as db:
            db.executemany("DELETE FROM windows WHERE start = ?", ((s,) for s in drop))
            db.executemany(
                "INSERT OR IGNORE INTO windows (start, end, path, status) "
                "VALUES (?, ?, ?, 'pending')",
                planned,
            )
            db.executemany(
                "UPDATE windows SET status = 'pending' WHERE start = ?", ((s,) for s in redo)
            )

    def commit(
        self, *, start: int, end: int, path: str, records: int, sha256: str, size: int
    ) -> int | None:
        """Mark a window done (its file is in place) and advance the watermark; return it.

        The watermark is the end of the run of contiguous done windows that
        starts at the old watermark (or at the first window): every call
        before it has been exported. It never moves back, so redoing
        overlapped windows in an incremental run does not widen the next one.
        """
        with self._write() as db:
            db.execute(
                "INSERT INTO windows (start, end, path, status, records, sha256, bytes, "
                "finished_at) VALUES (?, ?, ?, 'done', ?, ?, ?, ?) "
                "ON CONFLICT (start) DO UPDATE SET end = excluded.end, path = excluded.path, "
                "status = 'done', records = excluded.records, sha256 = excluded.sha256, "
                "bytes = excluded.bytes, finished_at = excluded.finished_at",
                (start, end, path, records, sha256, size, _now()),
            )
            row = db.execute("SELECT watermark FROM job").fetchone()
            old: int | None = None if row is None else row[0]
            if old is None:
                first = db.execute("SELECT min(start) FROM windows").fetchone()
                old = first[0]
            mark = old
            # A row may straddle the old watermark: a partial last window
            # replaced by a whole one when a later run went further.
            for w_start, w_end, status in db.execute(
                "SELECT start, end, status FROM windows WHERE end > ? ORDER BY start", (old,)
            ):
                if w_start > mark or status != "done":
                    break
                mark = w_end
            db.execute("UPDATE job SET watermark = ?, updated_at = ?", (mark, _now()))
        return mark
