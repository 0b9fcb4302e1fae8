"""Resources and callbacks: files bounded by concurrency, a raising progress callback, Parquet."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import msgspec
import pytest

from telcall import AsyncTel4vnClient
from telcall.export import Connection, ExportProgress, SourceRecord, Tel4vnSource, export_cdrs

START, END = "2026-11-01", "2026-11-08"
FD_RUNNER = Path(__file__).with_name("fd_runner.py")


@pytest.mark.slow
def test_files_are_bounded_by_concurrency(tmp_path: Path) -> None:
    """1,440 one-hour windows under ulimit -n 1024: open files follow concurrency, not windows."""
    done = subprocess.run(
        [sys.executable, str(FD_RUNNER), str(tmp_path / "out")],
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    summary = msgspec.json.decode(done.stdout)
    assert (summary["windows_done"], summary["windows_failed"]) == (1440, 0)


class Stop(Exception):
    """The caller's own error, raised from its progress callback."""


def no_leftovers(out: Path) -> None:
    """No temp file and no claim left behind."""
    assert not list(out.glob("date=*/.*.tmp"))
    with contextlib.closing(sqlite3.connect(out / "_state.db")) as db:
        assert db.execute("SELECT count(*) FROM claims").fetchone() == (0,)


@pytest.mark.parametrize(
    "when",
    [
        pytest.param(lambda p: True, id="first-report"),
        pytest.param(lambda p: p.records > 0 and p.windows_done == 0, id="on-a-page"),
        pytest.param(lambda p: p.windows_done > 0, id="after-a-window"),
    ],
)
async def test_raising_progress_callback_escapes_as_is(
    client: AsyncTel4vnClient, tmp_path: Path, when: Any
) -> None:
    """The callback's own exception, unwrapped; the job stops cleanly and a rerun finishes."""
    calls: list[ExportProgress] = []

    def progress(state: ExportProgress) -> None:
        calls.append(state)
        if when(state):
            raise Stop("from the callback")

    with pytest.raises(Stop, match="from the callback"):
        await export_cdrs(
            client, START, END, tmp_path, window=timedelta(hours=6), progress=progress
        )
    raised_at = len(calls)
    no_leftovers(tmp_path)
    summary = await export_cdrs(client, START, END, tmp_path, window=timedelta(hours=6))
    assert summary.windows_done + summary.windows_skipped == 28
    assert raised_at == len(calls)


class CountsOneMore:
    """A TEL4VN source whose first count is one too many: the first read of a window fails."""

    def __init__(self, inner: Tel4vnSource) -> None:
        self.inner = inner
        self.lied = False

    @property
    def provider(self) -> str:
        """The inner source's provider."""
        return self.inner.provider

    @property
    def tz(self) -> tzinfo:
        """The inner source's zone."""
        return self.inner.tz

    def connection(self) -> Connection:
        """The inner source's connection."""
        return self.inner.connection()

    def pages(
        self, start: datetime, end: datetime, *, page_size: int
    ) -> AsyncIterator[list[SourceRecord]]:
        """The inner source's pages."""
        return self.inner.pages(start, end, page_size=page_size)

    async def count(self, start: datetime, end: datetime) -> int | None:
        """One more than the server holds, the first time only."""
        count = await self.inner.count(start, end)
        if not self.lied and count is not None:
            self.lied = True
            return count + 1
        return count


async def test_parquet_window_restarted_after_an_error_is_closed(
    client: AsyncTel4vnClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Parquet window that fails and restarts closes every writer it opened (no __del__ noise)."""
    pytest.importorskip("pyarrow")
    from telcall.export import _sinks

    opened: list[object] = []
    closed: list[object] = []
    init, close = _sinks.ParquetSink.__init__, _sinks.ParquetSink.close

    def tracked_init(self: Any, *args: Any) -> None:
        init(self, *args)
        opened.append(self)

    def tracked_close(self: Any) -> None:
        close(self)
        closed.append(self)

    monkeypatch.setattr(_sinks.ParquetSink, "__init__", tracked_init)
    monkeypatch.setattr(_sinks.ParquetSink, "close", tracked_close)
    source = CountsOneMore(Tel4vnSource(client))
    summary = await export_cdrs(source, START, "2026-11-02", tmp_path, format="parquet",
                                concurrency=1)  # fmt: skip
    assert source.lied
    assert summary.windows_failed == 0
    # One writer per attempt: the failed first read's writer was closed too.
    assert len(opened) == 2
    assert opened == closed
