"""Running an export: one window (:func:`arun_window`, :func:`run_window`) or the whole job.

A window is written exactly once as far as readers can tell: records go to a
temp file beside the target, which is flushed, fsynced and renamed over the
target (the directory is fsynced too); only then is the window's checkpoint
committed. A run killed at any moment leaves either a committed window with
its file, or an uncommitted one that the next run redoes from its bounds.
With ``format="postgresql"`` the window's rows and its checkpoint commit in
one database transaction instead (:mod:`._pgstate`).

:class:`_ExportJob` is one :func:`export_cdrs` run: the windows in a task
group, running totals for ``progress``, and what stops the job early.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, Literal, ParamSpec, TypeAlias

import anyio
import msgspec

from .._core import otel
from .._core.errors import (
    AuthenticationError,
    CheckpointError,
    NotFoundError,
    PermissionDeniedError,
    TelcallError,
    TransportError,
    ValidationError,
)
from ._budget import RequestBudget
from ._clients import run_on_worker
from ._files import RejectsFile, seal, sha256_file
from ._pgstate import PostgresStore, RowBuffer, check_table, spec_state_url
from ._plan import DEFAULT_PAGE_SIZE, WindowSpec, job_dir, plan, temp_path
from ._sinks import Format, Sink, open_sink
from ._source import (
    CdrSource,
    Connection,
    ExportClient,
    Rejected,
    SourceRecord,
    open_client,
    source_for,
)
from ._state import DEFAULT_LEASE, CheckpointStore, ClaimLost, WindowRow, new_run_id, open_store
from ._windows import DateLike, rejects_path

__all__ = (
    "ClientFactory",
    "ExportError",
    "ExportProgress",
    "ExportSummary",
    "HostUnreachable",
    "IncompleteWindow",
    "SyncExportClient",
    "WindowResult",
    "WindowSuperseded",
    "arun_window",
    "export_cdrs",
    "export_cdrs_sync",
    "run_window",
)

if TYPE_CHECKING:
    from .._sync.aicallcenter import AICallCenterClient
    from .._sync.omicall import OmicallClient
    from .._sync.tel4vn import Tel4vnClient

#: The sync clients :func:`export_cdrs_sync` takes.
SyncExportClient: TypeAlias = "Tel4vnClient | OmicallClient | AICallCenterClient"
_P = ParamSpec("_P")

logger = logging.getLogger("telcall.export")

# Errors no window can recover from (credentials, access, the address, the
# input): a window does not retry them and the job stops at the first one.
_FATAL = (AuthenticationError, PermissionDeniedError, NotFoundError, ValidationError)

ClientFactory = Callable[[Connection], Any]


class WindowResult(msgspec.Struct, frozen=True, kw_only=True):
    """What one window run did.

    ``skipped``: nothing was written, because the committed file was intact,
    or because another live run holds the window (``claimed_by`` is then
    that run's id, and that run writes it).
    """

    start: datetime
    end: datetime
    path: str
    skipped: bool
    claimed_by: str | None = None
    records: int
    duplicates: int = 0
    out_of_window: int = 0
    rejected: dict[str, int] = {}
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
    windows_busy: int = 0


class ExportSummary(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of :func:`export_cdrs`.

    ``windows_done`` counts windows written by this run, ``windows_skipped``
    those already committed and intact, ``windows_busy`` those another live
    run was exporting (it writes them; ``busy`` lists their files).
    ``records`` were written; ``duplicates`` (same normalised id twice in a
    window) and ``out_of_window`` (start time outside the window the server
    sent them for) were dropped. ``rejected`` counts, by kind, the records
    written to the windows' rejects files instead: ``no_id``, ``no_time`` (no
    time to place the record by) and ``bad_time`` (a time that cannot be
    read). ``files`` lists every window's file, relative to ``out_dir``.
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
    windows_busy: int = 0
    busy: list[str] = []
    rejected: dict[str, int] = {}


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


class HostUnreachable(ExportError):
    """The first windows all failed with the same connection or timeout error: the job stopped.

    Raised by :func:`export_cdrs` when its first ``concurrency`` window
    attempts fail alike (a refused or silent host, a wrong address), instead
    of retrying every window against it. ``failures`` holds those attempts.
    """

    def __init__(
        self, summary: ExportSummary, failures: list[tuple[WindowSpec, BaseException]]
    ) -> None:
        first = failures[0][1]
        TelcallError.__init__(
            self,
            f"the first {len(failures)} windows all failed with {type(first).__name__} "
            f"({first}); stopped the job instead of trying the other "
            f"{summary.windows_planned - len(failures)}: check the address and the network, "
            "then run the export again",
        )
        self.summary = summary
        self.failures = failures


class IncompleteWindow(TelcallError):
    """A window's read brought fewer distinct records than the server counted for it."""


class WindowSuperseded(CheckpointError):
    """Another run re-planned the directory with another window size since this spec was made.

    Nothing was written; plan again (run the export again) to export the range.
    """


class _Counts(msgspec.Struct, kw_only=True):
    """What one window read brought, record by record."""

    records: int = 0
    duplicates: int = 0
    out_of_window: int = 0


def _whole_page(
    page: Sequence[SourceRecord], seen: set[str], start: datetime, end: datetime
) -> tuple[tuple[str, ...], tuple[Any, ...], tuple[Any, ...]] | None:
    """``page``'s ids, records and wire records if :func:`_fill`'s checks keep every record.

    The checks a column at a time: each id set and new (within the page too), no record
    refused by the source, every time within ``[start, end)``. A healthy scroll's pages
    pass (nearly all); any other page is ``None``, for the record by record loop.
    """
    if not page:
        return None
    rids, ats, records, wires = zip(*page, strict=True)
    ids = set(rids)
    if (
        len(ids) == len(rids)
        and ids.isdisjoint(seen)
        and "" not in map(str.strip, rids)
        and None not in ats
        and start <= min(ats)
        and max(ats) < end
        and not any(map(Rejected.__instancecheck__, records))
    ):
        return rids, records, wires
    return None


def _checked(
    page: Sequence[SourceRecord],
    index: int,
    spec: WindowSpec,
    seen: set[str],
    counts: _Counts,
    rejects: RejectsFile,
) -> list[Any]:
    """What to write of ``page``, record by record: the rest is counted or rejected.

    ``index`` is the number of records the window read before this page.
    """
    start, end, raw = spec.start, spec.end, spec.raw
    batch: list[Any] = []
    keep, mark = batch.append, seen.add
    for rid, at, record, wire in page:
        index += 1
        if not rid.strip():
            # Counted by position: the server counts it too.
            mark(f"\0{index}")
            rejects.add(index, rid, "no_id", "the record has no id", wire)
        elif rid in seen:
            counts.duplicates += 1
        elif isinstance(record, Rejected):
            mark(rid)
            rejects.add(index, rid, record.kind, record.reason, wire)
        elif at is None:
            mark(rid)
            rejects.add(index, rid, "no_time", "no time to place it in a window", wire)
        elif not start <= at < end:
            # Servers filter on rounded or inclusive bounds; the window is the truth.
            mark(rid)
            counts.out_of_window += 1
        else:
            mark(rid)
            keep(wire if raw else record)
    return batch


async def _fill(
    spec: WindowSpec,
    source: CdrSource,
    sink: Sink,
    rejects: RejectsFile,
    requests: AbstractAsyncContextManager[Any],
    on_page: Callable[[int], None] | None,
) -> _Counts:
    """Read the window into ``sink`` (odd records into ``rejects``); count what came."""
    start, end, raw = spec.start, spec.end, spec.raw
    seen: set[str] = set()
    counts = _Counts()
    index = 0
    try:
        # Counted before the read opens, never beside it: a scroll reads a snapshot
        # taken when it opens, so a count taken after that may include records
        # filed since, which the read cannot bring, and the window would never pass.
        async with requests:
            expected = await source.count(start, end)
        pages = source.pages(start, end, page_size=spec.page_size)
        try:
            while True:
                async with requests:
                    page = await anext(pages, None)
                if page is None:
                    break
                whole = _whole_page(page, seen, start, end)
                if whole is not None:
                    rids, records, wires = whole
                    seen.update(rids)
                    index += len(rids)
                    batch = list(wires if raw else records)
                else:
                    batch = _checked(page, index, spec, seen, counts, rejects)
                    index += len(page)
                sink.write(batch)
                counts.records += len(batch)
                meter = otel.instruments()
                if meter is not None:
                    meter.export_records.add(len(batch), _metric_attributes(spec))
                if on_page is not None:
                    on_page(len(batch))
        finally:
            aclose = getattr(pages, "aclose", None)
            if aclose is not None:
                # Shielded: a cancelled job (another window's fatal error) must still
                # stop this window's requests, not leave them to the garbage collector.
                with anyio.CancelScope(shield=True):
                    await aclose()
        if expected is not None and len(seen) < expected:
            raise IncompleteWindow(
                f"the server counts {expected} records in {spec.path}, the read brought {len(seen)}"
            )
    except BaseException:
        # Closed on every path: a Parquet writer left open complains from __del__.
        with contextlib.suppress(Exception):
            sink.close()
        raise
    sink.close()
    return counts


async def _write(
    spec: WindowSpec,
    source: CdrSource,
    store: CheckpointStore,
    requests: AbstractAsyncContextManager[Any],
    on_page: Callable[[int], None] | None,
    run_id: str,
) -> WindowResult:
    """Read the window into a temp file, seal it into place and commit (the claim held)."""
    if spec.format == "postgresql" and isinstance(store, PostgresStore):
        return await _write_table(spec, source, store, requests, on_page, run_id)
    final = Path(spec.out_dir) / spec.path
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(final, run_id)
    rejects = RejectsFile(Path(spec.out_dir) / rejects_path(spec.path), run_id)
    file = tmp.open("wb")
    try:
        sink = open_sink(spec.format, file, spec.connection.tz)
        counts = await _fill(spec, source, sink, rejects, requests, on_page)
        await anyio.to_thread.run_sync(rejects.seal)
        digest, size = await anyio.to_thread.run_sync(seal, file, tmp, final)
    except BaseException:
        file.close()
        tmp.unlink(missing_ok=True)
        rejects.discard()
        raise
    start, end = spec.start, spec.end
    rejected = sum(rejects.kinds.values())
    mark = await anyio.to_thread.run_sync(
        functools.partial(
            store.commit,
            start=int(start.timestamp()),
            end=int(end.timestamp()),
            path=spec.path,
            records=counts.records,
            sha256=digest,
            size=size,
            rejected=rejected,
            run_id=run_id,
        )
    )
    return _written(spec, counts, rejects, mark, size=size, sha256=digest)


def _written(
    spec: WindowSpec,
    counts: _Counts,
    rejects: RejectsFile,
    mark: float | None,
    *,
    size: int,
    sha256: str | None,
) -> WindowResult:
    """The result of a window written and committed (to a file or a table)."""
    return WindowResult(
        start=spec.start,
        end=spec.end,
        path=spec.path,
        skipped=False,
        records=counts.records,
        duplicates=counts.duplicates,
        out_of_window=counts.out_of_window,
        rejected=dict(sorted(rejects.kinds.items())),
        bytes=size,
        sha256=sha256,
        watermark=None if mark is None else datetime.fromtimestamp(mark, spec.start.tzinfo),
    )


async def _write_table(
    spec: WindowSpec,
    source: CdrSource,
    store: PostgresStore,
    requests: AbstractAsyncContextManager[Any],
    on_page: Callable[[int], None] | None,
    run_id: str,
) -> WindowResult:
    """``format="postgresql"``: read the window, then upsert it and commit in one transaction."""
    rejects = RejectsFile(Path(spec.out_dir) / rejects_path(spec.path), run_id)
    rows = RowBuffer(tenant_of(spec))
    try:
        counts = await _fill(spec, source, rows, rejects, requests, on_page)
        await anyio.to_thread.run_sync(rejects.seal)
    except BaseException:
        rejects.discard()
        raise
    start, end = spec.start, spec.end
    mark = await anyio.to_thread.run_sync(
        functools.partial(
            store.write_window,
            check_table(spec.table),
            rows.rows,
            start=int(start.timestamp()),
            end=int(end.timestamp()),
            path=spec.path,
            rejected=sum(rejects.kinds.values()),
            run_id=run_id,
        )
    )
    return _written(spec, counts, rejects, mark, size=0, sha256=None)


def tenant_of(spec: WindowSpec) -> str:
    """The tenant label of the spec's rows in a database (``''`` for a single-tenant job)."""
    return spec.connection.tenant


def _add_up(counts: Iterable[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for count in counts:
        for kind, n in count.items():
            total[kind] = total.get(kind, 0) + n
    return dict(sorted(total.items()))


async def _intact(store: CheckpointStore, spec: WindowSpec) -> WindowRow | None:
    """The window's row if it is committed for these bounds and its file is unchanged."""
    row = await anyio.to_thread.run_sync(store.window, int(spec.start.timestamp()))
    if (
        row is not None
        and row.status == "done"
        and row.end == int(spec.end.timestamp())
        and row.path == spec.path
        # A table's rows commit with their checkpoint: no file to check.
        and (
            spec.format == "postgresql"
            or await anyio.to_thread.run_sync(sha256_file, Path(spec.out_dir) / spec.path)
            == row.sha256
        )
    ):
        return row
    return None


def _skipped(spec: WindowSpec, row: WindowRow) -> WindowResult:
    return WindowResult(
        start=spec.start,
        end=spec.end,
        path=spec.path,
        skipped=True,
        records=row.records,
        bytes=row.bytes,
        sha256=row.sha256 or None,
    )


async def _holding_claim(
    store: CheckpointStore, start: int, run_id: str, write: Callable[[], Any]
) -> WindowResult:
    """Run ``write()`` while renewing the claim; a lost claim stops it with :class:`ClaimLost`."""
    lost: list[ClaimLost] = []
    result: list[WindowResult] = []
    error: BaseException | None = None

    async def renew(scope: anyio.CancelScope) -> None:
        while True:
            await anyio.sleep(DEFAULT_LEASE / 3)
            try:
                await anyio.to_thread.run_sync(
                    functools.partial(store.renew, start=start, run_id=run_id)
                )
            except ClaimLost as exc:
                lost.append(exc)
                scope.cancel()
                return
            except TelcallError as exc:
                # A busy or briefly failing store: the lease outlives a few misses.
                logger.warning("could not renew the claim on %s: %s", start, exc)

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(renew, group.cancel_scope)
            result.append(await write())
            group.cancel_scope.cancel()
    except BaseExceptionGroup as errors:
        # The renewal never raises: the group holds the window's own error alone.
        error = errors.exceptions[0]
    if error is not None:
        raise error
    if lost:
        raise lost[0]
    return result[0]


async def _attempt(
    spec: WindowSpec,
    source: CdrSource,
    store: CheckpointStore,
    requests: AbstractAsyncContextManager[Any],
    on_page: Callable[[int], None] | None,
    slot: AbstractAsyncContextManager[Any],
    run_id: str,
) -> WindowResult:
    """Claim the window, then write it; everything that holds a file or a claim is in the slot."""
    start, end = int(spec.start.timestamp()), int(spec.end.timestamp())
    async with slot:
        claim = await anyio.to_thread.run_sync(
            functools.partial(store.claim_window, start=start, end=end, run_id=run_id)
        )
        if claim.outcome == "busy":
            return WindowResult(
                start=spec.start,
                end=spec.end,
                path=spec.path,
                skipped=True,
                claimed_by=claim.holder,
                records=0,
                bytes=0,
                sha256=None,
            )
        if claim.outcome == "stale":
            raise WindowSuperseded(
                f"{spec.path}: another run re-planned {spec.out_dir} with another window "
                "size since this run planned; run the export again"
            )
        try:
            # Checked again under the claim: another run may have committed it meanwhile.
            row = await _intact(store, spec)
            if row is not None:
                await anyio.to_thread.run_sync(
                    functools.partial(store.release, start=start, run_id=run_id)
                )
                return _skipped(spec, row)
            return await _holding_claim(
                store,
                start,
                run_id,
                functools.partial(_write, spec, source, store, requests, on_page, run_id),
            )
        except BaseException:
            # Shielded: a cancelled run must still let go of its claim.
            with anyio.CancelScope(shield=True), contextlib.suppress(CheckpointError):
                await anyio.to_thread.run_sync(
                    functools.partial(store.release, start=start, run_id=run_id)
                )
            raise


async def arun_window(
    spec: WindowSpec,
    *,
    client: ExportClient | None = None,
    client_factory: ClientFactory | None = None,
    window_retries: int = 2,
    requests: AbstractAsyncContextManager[Any] | None = None,
    on_page: Callable[[int], None] | None = None,
    state: str | None = None,
    on_window: Callable[[WindowResult], None] | None = None,
) -> WindowResult:
    """Export one window and commit its checkpoint; skip it if already committed and intact.

    The window is claimed in the checkpoint store first: if another live run
    holds it (or an overlapping window), nothing is written and the result
    says ``claimed_by``; if another run re-planned the directory with another
    window size since ``spec`` was made, :class:`WindowSuperseded` is raised.
    Without ``client``, one is built for the window and closed after it:
    ``client_factory(spec.connection)`` if given, else the provider's client
    with credentials from the environment (``TELCALL_TEL4VN_API_KEY``, ...).
    A window that fails (the client's own retries exhausted, an expired
    scroll) is restarted from its bounds up to ``window_retries`` times;
    refused credentials or access, an unknown resource and invalid input
    are raised at once.
    ``requests`` (an ``anyio.CapacityLimiter``, a
    :meth:`RequestBudget.gate <telcall.export.RequestBudget.gate>`) is held by
    every page request: it bounds them across windows.
    ``state`` is the spec's checkpoint database URL with its password (the
    spec carries it without; ``PGPASSWORD`` or ``~/.pgpass`` work too).
    ``on_window(result)`` hears the result before it is returned (progress for
    engine tasks; the ``telcall.export.*`` OTel metrics count it too).
    """
    return await _run_window(
        spec,
        client=client,
        client_factory=client_factory,
        window_retries=window_retries,
        requests=requests,
        on_page=on_page,
        slot=contextlib.nullcontext(),
        run_id=new_run_id(),
        state=state,
        on_window=on_window,
    )


def _store_for(spec: WindowSpec, state: str | None) -> CheckpointStore:
    """The spec's store; ``state`` (with its password) must name the spec's database."""
    if state is not None and spec_state_url(state) != spec.state:
        raise ValidationError(
            "state= names another checkpoint store than the one this spec was planned with"
        )
    url = state if state is not None else spec.state
    if spec.format == "postgresql" and url is None:
        raise ValidationError("a format='postgresql' spec needs its database: plan it with state=")
    return open_store(url, spec.out_dir)


def _metric_attributes(spec: WindowSpec) -> dict[str, str]:
    return {"telcall.provider": spec.connection.provider, "telcall.export.format": spec.format}


def _outcome(result: WindowResult) -> str:
    if result.claimed_by is not None:
        return "busy"
    return "skipped" if result.skipped else "done"


def _traced(run: Callable[..., Awaitable[WindowResult]]) -> Callable[..., Awaitable[WindowResult]]:
    """Run each window in a ``telcall.export.window`` span and count its outcome.

    Free without an OTel SDK. ``on_window(result)``, when given, hears every
    window that ends without an error.
    """

    @functools.wraps(run)
    async def traced(
        spec: WindowSpec,
        *,
        on_window: Callable[[WindowResult], None] | None = None,
        **kwargs: Any,
    ) -> WindowResult:
        try:
            result = await _spanned(run, spec, **kwargs)
        except BaseException as exc:
            meter = otel.instruments()
            if meter is not None and isinstance(exc, Exception):
                attributes = {**_metric_attributes(spec), "telcall.export.outcome": "failed"}
                meter.export_windows.add(1, attributes)
            raise
        meter = otel.instruments()
        if meter is not None:
            attributes = {**_metric_attributes(spec), "telcall.export.outcome": _outcome(result)}
            meter.export_windows.add(1, attributes)
        if on_window is not None:
            on_window(result)
        return result

    return traced


async def _spanned(
    run: Callable[..., Awaitable[WindowResult]], spec: WindowSpec, **kwargs: Any
) -> WindowResult:
    """``run(spec, ...)`` in the window's span."""
    attributes = {
        "telcall.provider": spec.connection.provider,
        "telcall.export.path": spec.path,
        "telcall.export.start": spec.start.isoformat(),
        "telcall.export.end": spec.end.isoformat(),
    }
    with otel.span("telcall.export.window", attributes) as span:
        result = await run(spec, **kwargs)
        if span is not None:
            span.set_attribute("telcall.export.records", result.records)
            span.set_attribute("telcall.export.skipped", result.skipped)
        return result


@_traced
async def _run_window(
    spec: WindowSpec,
    *,
    client: Any,
    client_factory: ClientFactory | None,
    window_retries: int,
    requests: AbstractAsyncContextManager[Any] | None,
    on_page: Callable[[int], None] | None,
    slot: AbstractAsyncContextManager[Any],
    run_id: str,
    state: str | None = None,
    on_attempt: Callable[[WindowSpec, BaseException | None], None] | None = None,
) -> WindowResult:
    """:func:`arun_window` for run ``run_id``, claiming and reading only while holding ``slot``.

    ``on_attempt(spec, error)`` hears how each attempt ended (``None``: written).
    """
    store = _store_for(spec, state)
    # Checked before taking a slot or building a client: a rerun skips most windows.
    row = await _intact(store, spec)
    if row is not None:
        return _skipped(spec, row)
    owned = None
    if client is None:
        make = client_factory or open_client
        client = owned = make(spec.connection)
    gate: AbstractAsyncContextManager[Any] = (
        requests if requests is not None else contextlib.nullcontext()
    )
    try:
        source = source_for(client, spec.connection)
        attempt = 0
        while True:
            try:
                result = await _attempt(spec, source, store, gate, on_page, slot, run_id)
            except TelcallError as exc:
                if on_attempt is not None:
                    on_attempt(spec, exc)
                if isinstance(exc, (*_FATAL, CheckpointError)) or attempt >= window_retries:
                    await _record_failure(store, spec, run_id, exc)
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
            else:
                if on_attempt is not None and not result.skipped:
                    on_attempt(spec, None)
                return result
    finally:
        if owned is not None:
            await owned.aclose()


async def _record_failure(
    store: CheckpointStore, spec: WindowSpec, run_id: str, exc: TelcallError
) -> None:
    """Note the failure for ``telcall export status``; a broken store has its own error."""
    if isinstance(exc, CheckpointError):
        return
    with contextlib.suppress(CheckpointError):
        await anyio.to_thread.run_sync(
            functools.partial(
                store.fail,
                start=int(spec.start.timestamp()),
                end=int(spec.end.timestamp()),
                run_id=run_id,
                error=f"{type(exc).__name__}: {exc}",
            )
        )


def run_window(
    spec: WindowSpec,
    *,
    client_factory: ClientFactory | None = None,
    window_retries: int = 2,
    state: str | None = None,
    on_window: Callable[[WindowResult], None] | None = None,
    budget: RequestBudget | None = None,
) -> WindowResult:
    """Blocking :func:`arun_window` on the worker's loop: the entry point for engines.

    Call it from a worker (Celery task, Dask/Airflow task, a process pool).
    The process keeps one client per tenant and connection, built on first
    use by ``client_factory(spec.connection)`` (or from the environment) and
    reused by every later window, so a worker fetches one token per tenant,
    not one per window; :func:`~telcall.export.close_worker_clients` closes
    them (also at exit). Windows run on telcall's bridge thread, one loop
    per process, so windows that threads of one worker run at once share
    each tenant's client. ``budget`` bounds each tenant's requests in this
    process (see :class:`~telcall.export.RequestBudget`; one budget per
    tenant per process).
    """
    return run_on_worker(
        functools.partial(
            arun_window, spec, window_retries=window_retries, state=state, on_window=on_window
        ),
        spec.connection,
        client_factory,
        budget,
    )


async def export_cdrs(
    client: ExportClient,
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
    state: str | None = None,
    table: str | None = None,
    on_window: Callable[[WindowResult], None] | None = None,
    tenant: str | None = None,
    budget: RequestBudget | None = None,
) -> ExportSummary:
    """Export the CDRs whose call started in ``[start, end)`` into ``out_dir``, resumably.

    "Started" is the time the provider's range filter reads: the call's start
    for TEL4VN and AI Call Center, the record's ``created_date`` (the end of
    the call) for OMICall. ``client`` is a provider client or a
    :class:`~telcall.export.CdrSource` such as
    ``AICallCenterSource(client, campaign_id)``.

    Windows (``window`` long, on a fixed grid in the client's zone) run
    ``concurrency`` at a time over the one ``client``, so they share its rate
    limit handling and retries; ``max_in_flight`` (default ``concurrency``)
    bounds page requests in flight. Each window lands as
    ``date=YYYY-MM-DD/part-<start>-<end>.<ext>`` and is checkpointed in
    ``out_dir/_state.db``. Running the same call again after a crash finishes
    the job; ``since="last"`` continues from the watermark minus ``lookback``,
    rewriting the overlapped windows so late CDRs appear once.

    ``state="postgresql://..."`` keeps the checkpoints in that database
    (workers on many machines); ``format="postgresql"`` writes the records
    into its ``table`` (see :func:`plan`), each window's rows and checkpoint
    in one transaction.

    ``tenant`` labels the job (see :func:`plan`): it lands in
    ``out_dir/tenant=<label>/``, which ``summary.out_dir`` names. ``budget``
    bounds page requests instead of ``max_in_flight``, optionally per second
    too (:class:`~telcall.export.RequestBudget`).

    Concurrent runs over one directory are safe: each window is claimed
    before it is read, and a window another live run holds is skipped and
    reported (``windows_busy``); see :mod:`telcall.export._state`.

    ``on_window(result)`` hears each window as it ends (written, skipped, or
    busy in another run), as data; the ``telcall.export.records`` and
    ``telcall.export.windows`` OTel metrics count the same.

    If ``progress`` or ``on_window`` raises, the job stops (windows being read are cancelled
    and cleaned up; committed ones stay) and its exception is raised as is.

    Raises :class:`ExportError` if windows still fail after ``window_retries``,
    and :class:`HostUnreachable` as soon as the first ``concurrency`` window
    attempts all fail with the same connection or timeout error.
    An error that dooms every window (refused credentials or access, an
    unknown resource such as a campaign, invalid input) stops the job and is
    raised itself; the windows committed until then stay committed.
    """
    if concurrency < 1:
        raise ValidationError(f"concurrency must be >= 1, got {concurrency}")
    if max_in_flight is not None and max_in_flight < 1:
        raise ValidationError(f"max_in_flight must be >= 1, got {max_in_flight}")
    if max_in_flight is not None and budget is not None:
        raise ValidationError("give max_in_flight or budget, not both")
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
            state=state,
            table=table,
            tenant=tenant,
        )
    )
    job = _ExportJob(
        client,
        specs,
        concurrency=concurrency,
        requests=(
            budget.gate()
            if budget is not None
            else anyio.CapacityLimiter(max_in_flight or concurrency)
        ),
        window_retries=window_retries,
        progress=progress,
        began=began,
        state=state,
        on_window=on_window,
    )
    await job.run()
    label = tenant or source_for(client).connection().tenant
    where = job_dir(out_dir, label)
    watermark = await anyio.to_thread.run_sync(lambda: open_store(state, where.resolve()).job())
    summary = job.summary(
        str(where) if label else str(out_dir),
        None
        if watermark is None or watermark.watermark is None
        else datetime.fromtimestamp(watermark.watermark, source_for(client).tz),
    )
    if job.unreachable:
        raise HostUnreachable(summary, job.unreachable)
    if job.failures:
        raise ExportError(summary, job.failures)
    return summary


class _ExportJob:
    """One :func:`export_cdrs` run over planned specs: its windows, totals and early stops.

    A window's fatal error, the caller's ``progress`` raising, and a dead host
    seen in the first attempts each cancel the task group; :meth:`run` then
    re-raises what stopped it (the caller's exception as is).
    """

    def __init__(
        self,
        client: ExportClient,
        specs: list[WindowSpec],
        *,
        concurrency: int,
        requests: AbstractAsyncContextManager[Any],
        window_retries: int,
        progress: Callable[[ExportProgress], None] | None,
        began: float,
        state: str | None,
        on_window: Callable[[WindowResult], None] | None,
    ) -> None:
        self.client = client
        self.state = state
        self.on_window = on_window
        self.specs = specs
        self.concurrency = concurrency
        self.window_retries = window_retries
        self.progress = progress
        self.began = began
        self.run_id = new_run_id()
        self.windows = anyio.CapacityLimiter(concurrency)
        self.requests = requests
        self.results: list[WindowResult] = []
        self.failures: list[tuple[WindowSpec, BaseException]] = []
        self.fatal: list[TelcallError] = []
        self.callback_error: list[Exception] = []
        # The outcomes of the first window attempts (None: written), to spot a dead host early.
        self.first_read: list[tuple[WindowSpec, BaseException | None]] = []
        self.unreachable: list[tuple[WindowSpec, BaseException]] = []
        # Running totals, so a progress report per page costs no pass over the results.
        self.records = self.bytes = self.done = self.skipped = self.busy = 0
        self.scope = anyio.CancelScope()

    async def run(self) -> None:
        """Run every window; raise what stopped the job early, if anything did."""
        with self.scope:
            async with anyio.create_task_group() as group:
                self.report()
                for spec in self.specs:
                    group.start_soon(self.one, spec)
        if self.callback_error:
            raise self.callback_error[0]
        if self.fatal:
            raise self.fatal[0]

    def report(self) -> None:
        """Hand a snapshot to ``progress``; if it raises, stop the job."""
        if self.progress is None or self.callback_error:
            return
        snapshot = ExportProgress(
            windows_planned=len(self.specs),
            windows_done=self.done,
            windows_skipped=self.skipped,
            windows_failed=len(self.failures),
            records=self.records,
            bytes=self.bytes,
            elapsed=time.perf_counter() - self.began,
            windows_busy=self.busy,
        )
        try:
            self.progress(snapshot)
        except Exception as exc:
            self.callback_error.append(exc)
            self.scope.cancel()

    def on_page(self, count: int) -> None:
        """A page of ``count`` records was written."""
        self.records += count
        self.report()

    def on_attempt(self, spec: WindowSpec, error: BaseException | None) -> None:
        """Stop the job if its first ``concurrency`` attempts all failed alike (a dead host)."""
        if len(self.first_read) >= self.concurrency:
            return
        self.first_read.append((spec, error))
        if len(self.first_read) == self.concurrency < len(self.specs) and _all_alike(
            self.first_read
        ):
            self.unreachable.extend((s, e) for s, e in self.first_read if e is not None)
            self.scope.cancel()

    async def one(self, spec: WindowSpec) -> None:
        """Run one window and count its outcome."""
        try:
            result = await _run_window(
                spec,
                client=self.client,
                client_factory=None,
                window_retries=self.window_retries,
                requests=self.requests,
                on_page=self.on_page,
                slot=self.windows,
                run_id=self.run_id,
                state=self.state,
                on_attempt=self.on_attempt,
            )
        except (WindowSuperseded, ClaimLost) as exc:
            logger.error("window %s failed: %s", spec.path, exc)
            self.failures.append((spec, exc))
        except (*_FATAL, CheckpointError) as exc:
            # A checkpoint store that cannot be read or written fails every window alike.
            self.fatal.append(exc)
            self.scope.cancel()
            return
        except Exception as exc:
            logger.error("window %s failed: %s", spec.path, exc)
            self.failures.append((spec, exc))
        else:
            self.results.append(result)
            if result.claimed_by is not None:
                self.busy += 1
                logger.info("window %s is being exported by run %s", spec.path, result.claimed_by)
            elif result.skipped:
                self.skipped += 1
            else:
                self.done += 1
                self.bytes += result.bytes
            self.tell(result)
        self.report()

    def tell(self, result: WindowResult) -> None:
        """Hand a window's result to ``on_window``; if it raises, stop the job."""
        if self.on_window is None or self.callback_error:
            return
        try:
            self.on_window(result)
        except Exception as exc:
            self.callback_error.append(exc)
            self.scope.cancel()

    def summary(self, out_dir: str, watermark: datetime | None) -> ExportSummary:
        """The job's outcome from its window results."""
        written = [r for r in self.results if not r.skipped]
        busy = [r.path for r in self.results if r.claimed_by is not None]
        return ExportSummary(
            out_dir=out_dir,
            windows_planned=len(self.specs),
            windows_done=len(written),
            windows_skipped=len(self.results) - len(written) - len(busy),
            windows_busy=len(busy),
            busy=sorted(busy),
            windows_failed=len(self.failures),
            records=sum(r.records for r in written),
            duplicates=sum(r.duplicates for r in written),
            out_of_window=sum(r.out_of_window for r in written),
            rejected=_add_up(r.rejected for r in written),
            bytes=sum(r.bytes for r in written),
            elapsed=time.perf_counter() - self.began,
            files=[spec.path for spec in self.specs],
            watermark=watermark,
        )


def _all_alike(outcomes: list[tuple[WindowSpec, BaseException | None]]) -> bool:
    """Whether every attempt failed with a transport error of one type (the same dead host)."""
    kinds = {type(error) for _, error in outcomes}
    return len(kinds) == 1 and isinstance(outcomes[0][1], TransportError)


def _on_the_bridge(
    job: Callable[Concatenate[ExportClient, _P], Awaitable[ExportSummary]],
) -> Callable[Concatenate[SyncExportClient, _P], ExportSummary]:
    def run(client: SyncExportClient, /, *args: _P.args, **kwargs: _P.kwargs) -> ExportSummary:
        # The sync client's async twin lives on the bridge loop: the whole job runs there,
        # sharing the client's session and token with the caller's other calls.
        handle: Any = client._client
        summary: ExportSummary = handle.call(lambda twin: job(twin, *args, **kwargs))
        return summary

    run.__name__ = run.__qualname__ = "export_cdrs_sync"
    run.__doc__ = """:func:`export_cdrs` for sync code (Django, Celery, scripts), on a sync client.

    The same arguments and result. The job runs on telcall's bridge thread over
    the sync client's async twin, so it shares that client's connections and
    token; ``progress`` is called on the bridge thread (keep it quick, and do
    not call the sync client from it).
    """
    return run


export_cdrs_sync = _on_the_bridge(export_cdrs)
