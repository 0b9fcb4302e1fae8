"""Running an export: one window (:func:`arun_window`, :func:`run_window`) or the whole job.

A window is written exactly once as far as readers can tell: records go to a
temp file beside the target, which is flushed, fsynced and renamed over the
target (the directory is fsynced too); only then is the window's checkpoint
committed. A run killed at any moment leaves either a committed window with
its file, or an uncommitted one that the next run redoes from its bounds.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Literal

import anyio
import msgspec

from .._core.errors import TelcallError, ValidationError
from ._plan import DEFAULT_PAGE_SIZE, WindowSpec, plan
from ._sinks import Format, open_sink
from ._source import Connection, SourceRecord, open_client, source_for
from ._state import CheckpointStore
from ._windows import DateLike

__all__ = (
    "ClientFactory",
    "ExportError",
    "ExportProgress",
    "ExportSummary",
    "IncompleteWindow",
    "WindowResult",
    "arun_window",
    "export_cdrs",
    "run_window",
)

logger = logging.getLogger("telcall.export")

ClientFactory = Callable[[Connection], Any]


class WindowResult(msgspec.Struct, frozen=True, kw_only=True):
    """What one window run did; ``skipped`` means its committed file was intact."""

    start: datetime
    end: datetime
    path: str
    skipped: bool
    records: int
    duplicates: int = 0
    out_of_window: int = 0
    bytes: int
    sha256: str | None
    watermark: datetime | None = None


class ExportProgress(msgspec.Struct, frozen=True, kw_only=True):
    """A snapshot handed to the ``progress`` callback after every page and window."""

    windows_planned: int
    windows_done: int
    windows_skipped: int
    windows_failed: int
    records: int
    bytes: int
    elapsed: float


class ExportSummary(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of :func:`export_cdrs`.

    ``windows_done`` counts windows written by this run, ``windows_skipped``
    those already committed and intact. ``records`` were written;
    ``duplicates`` (same normalised id twice in a window) and
    ``out_of_window`` (start time outside the window the server sent them for)
    were dropped. ``files`` lists every window's file, relative to ``out_dir``.
    """

    out_dir: str
    windows_planned: int
    windows_done: int
    windows_skipped: int
    windows_failed: int
    records: int
    duplicates: int
    out_of_window: int
    bytes: int
    elapsed: float
    files: list[str]
    watermark: datetime | None


class ExportError(TelcallError):
    """Some windows failed (after their retries); the others are committed.

    Running the same export again redoes only what is missing. ``failures``
    pairs each failed window with its exception; ``summary`` is the rest.
    """

    def __init__(
        self, summary: ExportSummary, failures: list[tuple[WindowSpec, BaseException]]
    ) -> None:
        first = failures[0]
        super().__init__(
            f"{len(failures)} of {summary.windows_planned} windows failed "
            f"(first: {first[0].path}: {first[1]}); run the export again to finish it"
        )
        self.summary = summary
        self.failures = failures


class IncompleteWindow(TelcallError):
    """A window's read brought fewer distinct records than the server counted for it."""


def _sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as file:
            while chunk := file.read(1 << 20):
                digest.update(chunk)
    except FileNotFoundError:
        return None
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _seal(file: BinaryIO, tmp: Path, final: Path) -> tuple[str, int]:
    """Sync the temp file, hash it, rename it over ``final`` and sync the directories."""
    file.flush()
    os.fsync(file.fileno())
    file.close()
    digest = _sha256(tmp)
    assert digest is not None
    size = tmp.stat().st_size
    os.replace(tmp, final)
    _fsync_dir(final.parent)
    # The date directory may be new: its own entry lives in the parent.
    _fsync_dir(final.parent.parent)
    return digest, size


async def _write(
    spec: WindowSpec,
    client: Any,
    store: CheckpointStore,
    requests: anyio.CapacityLimiter | None,
    on_page: Callable[[int], None] | None,
) -> WindowResult:
    source = source_for(client)
    out = Path(spec.out_dir)
    final = out / spec.path
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    start, end = spec.start, spec.end
    seen: set[str] = set()
    records = duplicates = out_of_window = 0
    file = tmp.open("wb")
    try:
        sink = open_sink(spec.format, file, spec.connection.tz)
        if requests is None:
            expected = await source.count(start, end)
        else:
            async with requests:
                expected = await source.count(start, end)
        pages: AsyncIterator[list[SourceRecord]] = source.pages(
            start, end, page_size=spec.page_size
        )
        try:
            while True:
                if requests is None:
                    page = await anext(pages, None)
                else:
                    async with requests:
                        page = await anext(pages, None)
                if page is None:
                    break
                batch: list[Any] = []
                for rid, record, wire in page:
                    if rid in seen:
                        duplicates += 1
                        continue
                    seen.add(rid)
                    started = record.started_at
                    # Servers filter by date strings; the window is the truth.
                    if started is None or not start <= started < end:
                        out_of_window += 1
                    else:
                        batch.append(wire if spec.raw else record)
                sink.write(batch)
                records += len(batch)
                if on_page is not None:
                    on_page(len(batch))
        finally:
            aclose = getattr(pages, "aclose", None)
            if aclose is not None:
                await aclose()
        if expected is not None and len(seen) < expected:
            raise IncompleteWindow(
                f"the server counts {expected} records in {spec.path}, the read brought {len(seen)}"
            )
        sink.close()
        digest, size = await anyio.to_thread.run_sync(_seal, file, tmp, final)
    except BaseException:
        file.close()
        tmp.unlink(missing_ok=True)
        raise
    mark = await anyio.to_thread.run_sync(
        functools.partial(
            store.commit,
            start=int(start.timestamp()),
            end=int(end.timestamp()),
            path=spec.path,
            records=records,
            sha256=digest,
            size=size,
        )
    )
    return WindowResult(
        start=start,
        end=end,
        path=spec.path,
        skipped=False,
        records=records,
        duplicates=duplicates,
        out_of_window=out_of_window,
        bytes=size,
        sha256=digest,
        watermark=None if mark is None else datetime.fromtimestamp(mark, start.tzinfo),
    )


async def arun_window(
    spec: WindowSpec,
    *,
    client: Any = None,
    client_factory: ClientFactory | None = None,
    window_retries: int = 2,
    requests: anyio.CapacityLimiter | None = None,
    on_page: Callable[[int], None] | None = None,
) -> WindowResult:
    """Export one window and commit its checkpoint; skip it if already committed and intact.

    Without ``client``, one is built for the window and closed after it:
    ``client_factory(spec.connection)`` if given, else the provider's client
    with credentials from the environment (``TELCALL_TEL4VN_API_KEY``, ...).
    A window that fails (the client's own retries exhausted, an expired
    scroll) is restarted from its bounds up to ``window_retries`` times.
    ``requests`` bounds the page requests in flight across windows.
    """
    store = CheckpointStore(spec.out_dir)
    final = Path(spec.out_dir) / spec.path
    row = await anyio.to_thread.run_sync(store.window, int(spec.start.timestamp()))
    if (
        row is not None
        and row.status == "done"
        and row.end == int(spec.end.timestamp())
        and row.path == spec.path
        and await anyio.to_thread.run_sync(_sha256, final) == row.sha256
    ):
        return WindowResult(
            start=spec.start,
            end=spec.end,
            path=spec.path,
            skipped=True,
            records=row.records,
            bytes=row.bytes,
            sha256=row.sha256,
        )
    owned = None
    if client is None:
        make = client_factory or open_client
        client = owned = make(spec.connection)
    try:
        attempt = 0
        while True:
            try:
                return await _write(spec, client, store, requests, on_page)
            except TelcallError as exc:
                if isinstance(exc, ValidationError) or attempt >= window_retries:
                    raise
                attempt += 1
                logger.warning(
                    "window %s failed (%s); restarting it (attempt %d of %d)",
                    spec.path,
                    exc,
                    attempt + 1,
                    window_retries + 1,
                )
                await anyio.sleep(min(30.0, 0.5 * 2**attempt))
    finally:
        if owned is not None:
            await owned.aclose()


def run_window(
    spec: WindowSpec,
    *,
    client_factory: ClientFactory | None = None,
    window_retries: int = 2,
) -> WindowResult:
    """Blocking :func:`arun_window` on a fresh event loop: the entry point for engines.

    Call it from a worker (Celery task, Dask/Airflow task, a process pool),
    not from inside a running event loop.
    """
    return anyio.run(
        functools.partial(
            arun_window, spec, client_factory=client_factory, window_retries=window_retries
        ),
        backend="asyncio",
    )


async def export_cdrs(
    client: Any,
    start: DateLike | None = None,
    end: DateLike | None = None,
    out_dir: str | os.PathLike[str] = ".",
    *,
    format: Format = "ndjson",
    window: timedelta = timedelta(hours=24),
    concurrency: int = 4,
    lookback: timedelta = timedelta(hours=2),
    raw: bool = False,
    since: Literal["last"] | None = None,
    progress: Callable[[ExportProgress], None] | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    max_in_flight: int | None = None,
    window_retries: int = 2,
) -> ExportSummary:
    """Export the CDRs whose call started in ``[start, end)`` into ``out_dir``, resumably.

    Windows (``window`` long, on a fixed grid in the client's zone) run
    ``concurrency`` at a time over the one ``client``, so they share its rate
    limit handling and retries; ``max_in_flight`` (default ``concurrency``)
    bounds page requests in flight. Each window lands as
    ``date=YYYY-MM-DD/part-<start>-<end>.<ext>`` and is checkpointed in
    ``out_dir/_state.db``. Running the same call again after a crash finishes
    the job; ``since="last"`` continues from the watermark minus ``lookback``,
    rewriting the overlapped windows so late CDRs appear once.

    Raises :class:`ExportError` if windows still fail after ``window_retries``.
    """
    if concurrency < 1:
        raise ValidationError(f"concurrency must be >= 1, got {concurrency}")
    if max_in_flight is not None and max_in_flight < 1:
        raise ValidationError(f"max_in_flight must be >= 1, got {max_in_flight}")
    began = time.perf_counter()
    specs = await anyio.to_thread.run_sync(
        functools.partial(
            plan,
            client,
            start,
            end,
            out_dir,
            format=format,
            window=window,
            lookback=lookback,
            raw=raw,
            since=since,
            page_size=page_size,
        )
    )
    windows = anyio.CapacityLimiter(concurrency)
    requests = anyio.CapacityLimiter(max_in_flight or concurrency)
    results: list[WindowResult] = []
    failures: list[tuple[WindowSpec, BaseException]] = []
    # Running totals, so a progress report per page costs no pass over the results.
    totals = {"records": 0, "bytes": 0, "done": 0, "skipped": 0}

    def report() -> None:
        if progress is None:
            return
        progress(
            ExportProgress(
                windows_planned=len(specs),
                windows_done=totals["done"],
                windows_skipped=totals["skipped"],
                windows_failed=len(failures),
                records=totals["records"],
                bytes=totals["bytes"],
                elapsed=time.perf_counter() - began,
            )
        )

    def on_page(count: int) -> None:
        totals["records"] += count
        report()

    async def one(spec: WindowSpec) -> None:
        async with windows:
            try:
                result = await arun_window(
                    spec,
                    client=client,
                    window_retries=window_retries,
                    requests=requests,
                    on_page=on_page,
                )
            except Exception as exc:
                logger.error("window %s failed: %s", spec.path, exc)
                failures.append((spec, exc))
            else:
                results.append(result)
                if result.skipped:
                    totals["skipped"] += 1
                else:
                    totals["done"] += 1
                    totals["bytes"] += result.bytes
        report()

    report()
    async with anyio.create_task_group() as group:
        for spec in specs:
            group.start_soon(one, spec)
    watermark = await anyio.to_thread.run_sync(CheckpointStore(out_dir).job)
    written = [r for r in results if not r.skipped]
    summary = ExportSummary(
        out_dir=str(out_dir),
        windows_planned=len(specs),
        windows_done=len(written),
        windows_skipped=len(results) - len(written),
        windows_failed=len(failures),
        records=sum(r.records for r in written),
        duplicates=sum(r.duplicates for r in written),
        out_of_window=sum(r.out_of_window for r in written),
        bytes=sum(r.bytes for r in written),
        elapsed=time.perf_counter() - began,
        files=[spec.path for spec in specs],
        watermark=(
            None
            if watermark is None or watermark.watermark is None
            else datetime.fromtimestamp(watermark.watermark, source_for(client).tz)
        ),
    )
    if failures:
        raise ExportError(summary, failures)
    return summary
