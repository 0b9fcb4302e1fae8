"""Planning an export: window specs any process can run, and the directory made ready.

:func:`plan` is the only step that looks at the whole job. It claims the
directory in the checkpoint file, works out the time range (``since="last"``
continues from the watermark minus ``lookback``), cuts it into windows on the
fixed grid, and tidies what earlier runs left: temp files of dead runs,
part files no checkpoint row names, and windows that a differently cut run
overlaps (their files are removed and the range is widened to cover them,
so nothing is exported twice and nothing is lost).
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from .._core.errors import ValidationError
from ._pgstate import PostgresStore, check_destination, spec_state_url
from ._sinks import EXTENSIONS, Format, check_format
from ._source import Connection, ExportClient, job_name, source_for, zone_name
from ._state import PlanChanged, WindowRow, open_store
from ._tenants import check_tenant, tenant_segment
from ._windows import (
    DateLike,
    align_down,
    check_window,
    cut,
    rejects_path,
    relative_path,
    to_instant,
)

__all__ = ("DEFAULT_PAGE_SIZE", "WindowSpec", "job_dir", "plan", "temp_path")

DEFAULT_PAGE_SIZE = 1000

_PLAN_ATTEMPTS = 5


def _check_connection(connection: Connection) -> ZoneInfo:
    """Refuse what a spec must not carry or cannot rebuild; return the named zone."""
    if urlsplit(connection.base_url).password is not None:
        raise ValidationError(
            "the base URL carries a password, which every window spec would copy: "
            "give credentials to the worker (environment or client_factory)"
        )
    try:
        return ZoneInfo(connection.tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"unknown time zone {connection.tz!r}") from exc


class WindowSpec(msgspec.Struct, frozen=True, kw_only=True):
    """One window of an export job: everything a worker needs except credentials.

    Engines carry it as :meth:`to_json` (a ``str``, which Celery's default
    JSON serializer, msgpack and pickle all move), decoded with
    :meth:`from_json`; it also pickles as is (Dask) and round-trips through
    ``msgspec.json``/``msgspec.msgpack`` with ``type=WindowSpec``. ``path`` is
    relative to ``out_dir`` (the tenant's directory in a multi-tenant job);
    ``start``/``end`` bound the call start time, closed-open. ``state`` is the
    checkpoint database's URL without its password (``None``:
    ``out_dir/_state.db``); ``table`` the target table of ``format="postgresql"``.
    """

    connection: Connection
    out_dir: str
    format: Format
    raw: bool
    start: datetime
    end: datetime
    path: str
    page_size: int = DEFAULT_PAGE_SIZE
    state: str | None = None
    table: str | None = None

    def __post_init__(self) -> None:
        """Refuse a password in the base URL; put the named zone back on the bounds.

        JSON and msgpack keep an instant and an offset, not the zone, so a
        decoded spec gets ``connection.tz`` back and equals the one
        :func:`plan` made.
        """
        zone = _check_connection(self.connection)
        if self.state is not None and spec_state_url(self.state) != self.state:
            raise ValidationError(
                "the state URL carries a password, which every window spec would copy: "
                "give it to the worker (state= on run_window, PGPASSWORD or ~/.pgpass)"
            )
        for name in ("start", "end"):
            when: datetime = getattr(self, name)
            if when.tzinfo is None:
                raise ValidationError(f"{name} must be timezone-aware, got {when.isoformat()}")
            if when.tzinfo is not zone:
                msgspec.structs.force_setattr(self, name, when.astimezone(zone))

    @property
    def tenant(self) -> str:
        """The tenant whose window this is (``""``: single-tenant); see :class:`Connection`."""
        return self.connection.tenant

    def to_json(self) -> str:
        """This spec as a JSON string (no secret in it), for engines that move JSON."""
        return _SPEC_ENCODER.encode(self).decode()

    @classmethod
    def from_json(cls, data: str | bytes) -> WindowSpec:
        """The spec :meth:`to_json` wrote; :class:`~telcall.errors.ValidationError` if not one."""
        try:
            return _SPEC_DECODER.decode(data)
        except msgspec.MsgspecError as exc:
            raise ValidationError(f"not a WindowSpec: {exc}") from exc


_SPEC_ENCODER = msgspec.json.Encoder()
_SPEC_DECODER = msgspec.json.Decoder(WindowSpec)


def job_dir(out_dir: str | os.PathLike[str], tenant: str) -> Path:
    """Where a job's files and checkpoints live: ``out_dir``, or its ``tenant=<label>`` dir."""
    return Path(out_dir) / tenant_segment(tenant)


def _with_tenant(connection: Connection, tenant: str | None) -> Connection:
    """``connection`` for ``tenant`` (a client's connection names none); refuse two labels."""
    if tenant is None or tenant == connection.tenant:
        return connection
    if connection.tenant:
        raise ValidationError(
            f"tenant={tenant!r} contradicts the connection's tenant {connection.tenant!r}"
        )
    return msgspec.structs.replace(connection, tenant=check_tenant(tenant))


def _ts(when: datetime) -> int:
    return int(when.timestamp())


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


# ``.<part or rejects file>.<run id>.tmp``: what a window writes before its rename.
_TEMP = re.compile(r"^\.(?:part|rejects)-\d{8}T\d{6}-\d{8}T\d{6}\.[a-z]+\.(?P<run>.+)\.tmp$")


def temp_path(final: Path, run_id: str) -> Path:
    """The temp file a run writes ``final`` to; the name carries the run id."""
    return final.with_name(f".{final.name}.{run_id}.tmp")


def _tidy(out: Path, keep: set[str], live: set[str]) -> None:
    """Remove temp files of runs that are not live, and part files no checkpoint row names."""
    for day in out.glob("date=*"):
        if not day.is_dir():
            continue
        for file in day.iterdir():
            name = file.name
            if name.endswith(".tmp"):
                temp = _TEMP.match(name)
                if temp is None or temp["run"] not in live:
                    _remove(file)
            elif name.startswith(("part-", "rejects-")) and f"{day.name}/{name}" not in keep:
                _remove(file)


def plan(
    client: ExportClient | Connection,
    start: DateLike | None,
    end: DateLike | None,
    out_dir: str | os.PathLike[str],
    *,
    format: Format = "ndjson",
    window: timedelta = timedelta(hours=24),
    lookback: timedelta = timedelta(hours=2),
    raw: bool = False,
    since: Literal["last"] | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    state: str | None = None,
    table: str | None = None,
    tenant: str | None = None,
) -> list[WindowSpec]:
    """Prepare ``out_dir`` and return the windows of the export, in time order.

    ``client`` is a provider client (or a :class:`CdrSource`), or just the
    :class:`Connection` the workers will use: no request is sent, so planning
    needs no credential. ``tenant`` labels a client's job (a ``Connection``
    names its own): its files and checkpoints go to ``out_dir/tenant=<label>/``,
    so tenants sharing ``out_dir`` never touch one another's windows.
    ``end`` defaults to now. Every window of the range is returned:
    :func:`run_window` skips a window whose checkpoint is committed and whose
    file is intact, so running them all again is cheap and safe. Run ``plan``
    once per job run, before fanning the specs out: it deletes the temp files
    that workers of a killed run left (never those of a live run). Nothing is
    created or changed in ``out_dir`` unless every argument is valid.

    ``state="postgresql://user:password@host/db"`` keeps the checkpoints in
    that database instead of ``out_dir/_state.db`` (workers on many machines;
    the specs carry the URL without its password). ``format="postgresql"``
    writes the records into ``table`` (``"name"`` or ``"schema.name"``,
    default ``telcall_cdrs``) of that same database, created on first use.
    """
    tz: tzinfo
    if isinstance(client, Connection):
        connection = _with_tenant(client, tenant)
        tz = _check_connection(connection)
    else:
        source = source_for(client)
        tz, connection = source.tz, _with_tenant(source.connection(), tenant)
        _check_connection(connection)
    tz_name = zone_name(tz)
    format = check_format(format, raw)
    seconds = check_window(window)
    if page_size < 1:
        raise ValidationError(f"page_size must be >= 1, got {page_size}")
    if lookback < timedelta(0):
        raise ValidationError(f"lookback must be >= 0, got {lookback}")
    if since not in (None, "last"):
        raise ValidationError(f"since must be None or 'last'; got {since!r}")
    target = check_destination(format, state, table)
    out = job_dir(out_dir, connection.tenant)
    # The job's name in a database store: the directory, as every spec holds it.
    store = open_store(state, out.resolve())
    provider = job_name(connection)
    # Everything is checked before the directory is touched: a refused run
    # must not claim it for a job nobody asked for.
    job = store.job()
    if job is not None:
        store.check_job(job, provider=provider, format=format, raw=raw, tz=tz_name)
    rows = store.windows()
    hi = (
        to_instant(end, tz, field="end", ceil=True)
        if end is not None
        else to_instant(datetime.now(UTC), tz, field="end")
    )
    if since == "last" and job is not None and job.watermark is not None:
        first = datetime.fromtimestamp(rows[0].start, tz) if rows else None
        back = datetime.fromtimestamp(job.watermark, tz) - lookback
        lo = align_down(back, seconds, tz)
        if first is not None and lo < first:
            lo = first
    elif start is not None:
        lo = to_instant(start, tz, field="start")
    elif since == "last":
        raise ValidationError(f"{out} has no watermark yet: give a start for the first run")
    else:
        raise ValidationError("start is required (or since='last' to continue an export)")
    if lo >= hi:
        if since == "last":
            return []
        raise ValidationError(f"start ({lo.isoformat()}) must be before end ({hi.isoformat()})")

    if target is not None and state is not None:
        # Created, or refused if its schema differs, before anything is claimed.
        PostgresStore(state, job=str(out.resolve())).prepare_table(target)
    out.mkdir(parents=True, exist_ok=True)
    store.claim(provider=provider, format=format, raw=raw, tz=tz_name)
    # Worked out from the rows, then scheduled atomically; another run
    # re-planning in between makes the schedule refuse, and this plan starts over.
    for attempt in range(_PLAN_ATTEMPTS):
        rows = store.windows()
        # Widen the range to whole existing windows, so replacing one that is cut
        # differently never drops the part of it outside the asked range.
        lo_ts, hi_ts = _ts(lo), _ts(hi)
        for row in rows:
            if row.start < lo_ts < row.end:
                lo_ts = row.start
            if row.start < hi_ts < row.end:
                hi_ts = row.end
        lo, hi = datetime.fromtimestamp(lo_ts, tz), datetime.fromtimestamp(hi_ts, tz)

        ext = EXTENSIONS[format]
        windows = [(s, e, relative_path(s, e, ext, tz)) for s, e in cut(lo, hi, seconds, tz)]
        planned = {(_ts(s), _ts(e)) for s, e, _ in windows}
        stale: list[WindowRow] = [
            row
            for row in rows
            if row.start < hi_ts and lo_ts < row.end and (row.start, row.end) not in planned
        ]
        redo = [_ts(s) for s, _, _ in windows] if since == "last" else []
        # Rows first (refused if a live run holds one), files second: a crash in
        # between leaves part files no row names, which the next plan removes.
        try:
            store.schedule(
                [(_ts(s), _ts(e), path) for s, e, path in windows],
                redo=redo,
                drop=[row.start for row in stale],
            )
        except PlanChanged:
            if attempt == _PLAN_ATTEMPTS - 1:
                raise
            continue
        break
    for row in stale:
        _remove(out / row.path)
        _remove(out / rejects_path(row.path))
    keep = {path for row in store.windows() for path in (row.path, rejects_path(row.path))}
    _tidy(out, keep, store.live_runs())
    return [
        WindowSpec(
            connection=connection,
            out_dir=str(out.resolve()),
            format=format,
            raw=raw,
            start=s,
            end=e,
            path=path,
            page_size=page_size,
            state=None if state is None else spec_state_url(state),
            table=None if format != "postgresql" else str(target),
        )
        for s, e, path in windows
    ]
