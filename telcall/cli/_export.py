"""``telcall export cdrs``: a resumable, windowed CDR export into a directory of files."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import re
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import msgspec

from telcall.export import (
    STATE_FILE,
    AICallCenterSource,
    ExportProgress,
    ExportSummary,
    export_cdrs,
)
from telcall.export._state import open_store

from ._common import (
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
    CliError,
    Subparsers,
    add_connection_options,
    connect,
    only_for,
    positive_int,
)
from ._ui import Column, Ui, format_duration, rich_installed

__all__ = (
    "check_format_installed",
    "job_options",
    "parse_duration",
    "parse_lookback",
    "progress_line",
    "register",
)

_DURATION = re.compile(r"(\d+)([dhms])")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
# Longer spans only overflow date arithmetic later (year 2739907); no export needs them.
_LONGEST = timedelta(days=3660)


def _duration(text: str, *, allow_zero: bool) -> timedelta:
    spec = text.strip().lower()
    if allow_zero and spec == "0":
        return timedelta(0)
    parts = _DURATION.findall(spec)
    if not parts or "".join(n + u for n, u in parts) != spec:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 6h, 30m, 1d or 90s")
    seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in parts)
    if seconds < 1 and not allow_zero:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least one second")
    if seconds > _LONGEST.total_seconds():
        raise argparse.ArgumentTypeError(f"{text!r} is longer than {_LONGEST.days}d")
    return timedelta(seconds=seconds)


def parse_duration(text: str) -> timedelta:
    """An argparse type: ``6h``, ``30m``, ``1d12h``, ``90s`` (1 s to 3660 days)."""
    return _duration(text, allow_zero=False)


def parse_lookback(text: str) -> timedelta:
    """:func:`parse_duration`, also accepting ``0`` (re-read nothing)."""
    return _duration(text, allow_zero=True)


def register(subparsers: Subparsers) -> None:
    """Add ``telcall export cdrs`` and ``telcall export status``."""
    parser = subparsers.add_parser(
        "export",
        help="export CDRs to NDJSON, CSV or Parquet files, resumably",
        description="Export provider data into a directory of files.",
    )
    kinds = parser.add_subparsers(title="what", metavar="WHAT", required=True)
    cdrs = kinds.add_parser(
        "cdrs",
        help="call detail records",
        description=(
            "Export the CDRs whose call started in [--since, --until) into OUT as "
            "date=YYYY-MM-DD/part-<start>-<end>.<format>, one file per window, checkpointed "
            "in OUT/_state.db. Run the same command again to finish an interrupted export; "
            "--since last continues from the checkpoint minus --lookback, rewriting the "
            "overlapped windows so late CDRs appear once. --tenants FILE exports every "
            "tenant of a TOML file into OUT/tenant=<label>/."
        ),
    )
    cdrs.add_argument(
        "--since",
        required=True,
        metavar="WHEN",
        help="first call start time (YYYY-MM-DD[ HH:MM:SS], local), or 'last'",
    )
    cdrs.add_argument("--until", metavar="WHEN", help="end, exclusive (default: now)")
    cdrs.add_argument("--out", type=Path, required=True, metavar="DIR", help="output directory")
    cdrs.add_argument(
        "--format",
        choices=("ndjson", "csv", "parquet", "postgresql"),
        default="ndjson",
        help="file format (parquet needs the parquet extra), or postgresql: rows in --state's "
        "database",
    )
    _state_option(cdrs)
    cdrs.add_argument(
        "--table",
        metavar="[SCHEMA.]NAME",
        help="with --format postgresql: the target table (default: telcall_cdrs)",
    )
    cdrs.add_argument(
        "--window",
        type=parse_duration,
        default=timedelta(hours=24),
        metavar="DURATION",
        help="window length",
    )
    cdrs.add_argument(
        "--lookback",
        type=parse_lookback,
        metavar="DURATION",
        default=timedelta(hours=2),
        help="with --since last: how far back before the checkpoint to re-read (0: none)",
    )
    cdrs.add_argument(
        "--concurrency", type=positive_int, default=4, metavar="N", help="windows at once"
    )
    cdrs.add_argument("--raw", action="store_true", help="write the wire records (ndjson only)")
    cdrs.add_argument("--json", action="store_true", help="print the summary as JSON")
    cdrs.add_argument(
        "--tenants",
        type=Path,
        metavar="FILE",
        help=(
            "export every tenant of a TOML file into OUT/tenant=<label>/ (one [label] section "
            "each: provider, base_url, secret_env = the NAME of the variable holding its secret)"
        ),
    )
    connection = add_connection_options(cdrs)
    connection.add_argument(
        "--campaign",
        metavar="ID",
        help="AI Call Center: export this campaign's calls instead of the account's call log",
    )
    cdrs.set_defaults(handler=_run)

    status = kinds.add_parser(
        "status",
        help="what an export directory holds: windows done, claimed, failed; rejected records",
        description=(
            "Show the checkpoint of an export directory: the job, the watermark, how many "
            "windows are done or pending, which are claimed by a live run, which failed last "
            "time (and why), and how many records went to rejects files. Reads only."
        ),
    )
    status.add_argument("dir", type=Path, metavar="DIR", help="the export directory")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    _state_option(status)
    status.set_defaults(handler=_status)


def _state_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state",
        metavar="URL",
        default=os.environ.get("TELCALL_EXPORT_STATE") or None,
        help="checkpoint database, postgresql://user@host/db (default: $TELCALL_EXPORT_STATE, "
        "else DIR/_state.db); give the password in PGPASSWORD or ~/.pgpass, not on the "
        "command line",
    )


def _client(args: argparse.Namespace) -> Any:
    """The provider's client, from flags then the environment; wrong or missing ones exit 2."""
    only_for(args, {"--campaign": ["aicallcenter"]})
    check_format_installed(args)
    return connect(args)


def check_format_installed(args: argparse.Namespace) -> None:
    """Exit 2 before any work if ``--format`` needs a package that is missing."""
    if args.format == "parquet":
        try:
            importlib.import_module("pyarrow")
        except ImportError:
            raise CliError(
                "--format parquet needs pyarrow: pip install 'telcall[parquet]'",
                exit_code=EXIT_USAGE,
            ) from None


class _Plain:
    """A progress line on stderr every ``interval`` seconds, and a last one."""

    def __init__(self, stream: TextIO, interval: float = 1.0) -> None:
        self._stream = stream
        self._interval = interval
        # The first line after one interval: a run that fails at once prints only its error.
        self._last = time.monotonic()
        self._state: ExportProgress | None = None

    def update(self, state: ExportProgress) -> None:
        self._state = state
        now = time.monotonic()
        if now - self._last >= self._interval:
            self._last = now
            self.show()

    def show(self) -> None:
        if self._state is not None:
            print(f"Exporting CDRs: {progress_line(self._state)}", file=self._stream, flush=True)


def progress_line(state: ExportProgress) -> str:
    """``windows 3/10  1,234 records  410 records/s  elapsed 3s  ETA 7s``."""
    finished = (
        state.windows_done + state.windows_skipped + state.windows_failed + state.windows_busy
    )
    planned = state.windows_planned
    rate = state.records / state.elapsed if state.elapsed > 0 else 0.0
    eta = (
        f"  ETA {format_duration(state.elapsed * (planned - finished) / finished)}"
        if 0 < finished < planned
        else ""
    )
    return (
        f"windows {finished}/{planned}  {state.records:,} records  "
        f"{rate:,.0f} records/s  elapsed {format_duration(state.elapsed)}{eta}"
    )


@contextmanager
def _progress(ui: Ui) -> Iterator[_Plain]:
    if rich_installed() and ui.err.isatty():
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        bar = Progress(
            TextColumn("Exporting CDRs"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("windows  {task.fields[records]:,} records  {task.fields[rate]:,.0f}/s"),
            TextColumn("elapsed"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(file=ui.err),
        )
        task = bar.add_task("export", total=None, records=0, rate=0.0)

        class _Rich(_Plain):
            def update(self, state: ExportProgress) -> None:
                finished = (
                    state.windows_done
                    + state.windows_skipped
                    + state.windows_failed
                    + state.windows_busy
                )
                rate = state.records / state.elapsed if state.elapsed > 0 else 0.0
                bar.update(
                    task,
                    completed=finished,
                    total=state.windows_planned,
                    records=state.records,
                    rate=rate,
                )

            def show(self) -> None:
                """rich redraws by itself."""

        with bar:
            yield _Rich(ui.err)
        return
    plain = _Plain(ui.err)
    yield plain
    # After a failure the error line says it all; the last state is for a finished run.
    plain.show()


# How the summary table names each kind of rejected record.
_REJECT_KINDS = {"no_id": "no id", "no_time": "no start time", "bad_time": "unreadable time"}


def _table(ui: Ui, summary: ExportSummary) -> None:
    rate = summary.records / summary.elapsed if summary.elapsed > 0 else 0.0
    mark = summary.watermark.isoformat() if summary.watermark is not None else "-"
    ui.table(
        (Column("Metric"), Column("Value", "right")),
        [
            ["windows planned", f"{summary.windows_planned:,}"],
            ["windows written", f"{summary.windows_done:,}"],
            ["windows skipped", f"{summary.windows_skipped:,}"],
            ["records", f"{summary.records:,}"],
            ["duplicates dropped", f"{summary.duplicates:,}"],
            ["outside their window", f"{summary.out_of_window:,}"],
            *(
                [f"rejected: {_REJECT_KINDS.get(kind, kind)}", f"{count:,}"]
                for kind, count in summary.rejected.items()
            ),
            *(
                [["windows busy (another run)", f"{summary.windows_busy:,}"]]
                if summary.windows_busy
                else []
            ),
            ["bytes", f"{summary.bytes:,}"],
            ["elapsed", f"{summary.elapsed:.2f} s"],
            ["throughput", f"{rate:,.0f} records/s"],
            ["watermark", mark],
            ["written to", summary.out_dir],
        ],
        title="Export summary",
    )


@contextmanager
def _cancel_on_sigterm() -> Iterator[list[bool]]:
    """Cancel the running task on SIGTERM, as asyncio does on Ctrl-C; yield whether it came."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    came: list[bool] = []

    def stop() -> None:
        came.append(True)
        if task is not None:
            task.cancel()

    try:
        loop.add_signal_handler(signal.SIGTERM, stop)
    except (NotImplementedError, RuntimeError):
        # No loop signal handlers (Windows): SIGTERM ends the process as before.
        yield came
        return
    try:
        yield came
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


async def _run(args: argparse.Namespace) -> int:
    # SIGTERM (Kubernetes, systemd, Celery) stops the export the way Ctrl-C does:
    # reading stops, temp files and claims are let go, committed windows stay.
    with _cancel_on_sigterm() as terminated:
        try:
            return await _export(args)
        except asyncio.CancelledError:
            if not terminated:
                raise
    raise CliError(
        "terminated (SIGTERM); run the same command again to finish the export",
        exit_code=EXIT_TERMINATED,
    )


def job_options(args: argparse.Namespace) -> dict[str, Any]:
    """The export job's arguments from the ``export cdrs`` flags (the client aside)."""
    last = args.since.strip().lower() == "last"
    return {
        "start": None if last else args.since,
        "end": args.until,
        "out_dir": args.out,
        "format": args.format,
        "window": args.window,
        "concurrency": args.concurrency,
        "lookback": args.lookback,
        "raw": args.raw,
        "since": "last" if last else None,
        "state": args.state,
        "table": args.table,
    }


async def _export(args: argparse.Namespace) -> int:
    if args.tenants is not None:
        from ._tenants import export_tenants_cli

        return await export_tenants_cli(args)
    ui = Ui()
    async with _client(args) as client:
        source = client if args.campaign is None else AICallCenterSource(client, args.campaign)
        with _progress(ui) as progress:
            summary = await export_cdrs(source, **job_options(args), progress=progress.update)
    if args.json:
        sys.stdout.buffer.write(msgspec.json.encode(summary) + b"\n")
        sys.stdout.flush()
    else:
        _table(ui, summary)
    return EXIT_OK


class _WindowStatus(msgspec.Struct, frozen=True, kw_only=True):
    """One window that is not simply done or pending, for ``export status``."""

    path: str
    state: str
    run_id: str | None = None
    until: str | None = None
    error: str | None = None


class _Status(msgspec.Struct, frozen=True, kw_only=True):
    """What ``telcall export status --json`` prints."""

    dir: str
    provider: str
    format: str
    tz: str
    watermark: str | None
    windows: int
    done: int
    pending: int
    claimed: int
    failed: int
    records: int
    rejected: int
    details: list[_WindowStatus]


def _read_status(out: Path, state: str | None) -> _Status:
    store = open_store(state, out.resolve())
    job = store.job()
    if job is None:
        if state is not None:
            raise CliError(f"{store.where} holds no export")
        tenants = sorted(p.name for p in out.glob("tenant=*") if (p / STATE_FILE).exists())
        hint = f"; its tenants' exports are in {', '.join(tenants)}" if tenants else ""
        raise CliError(f"{out} holds no export (no {STATE_FILE}){hint}")
    rows = store.windows()
    paths = {row.start: row.path for row in rows}
    tz = ZoneInfo(job.tz)

    def when(ts: float) -> str:
        return datetime.fromtimestamp(ts, tz).isoformat(timespec="seconds")

    claims = store.claims()
    failures = store.failures()
    details = [
        _WindowStatus(
            path=paths.get(c.start, str(c.start)),
            state="claimed",
            run_id=c.run_id,
            until=when(c.expires),
        )
        for c in claims
    ] + [
        _WindowStatus(
            path=paths.get(f.start, str(f.start)), state="failed", run_id=f.run_id, error=f.error
        )
        for f in failures
    ]
    done = [row for row in rows if row.status == "done"]
    return _Status(
        dir=str(out),
        provider=job.provider,
        format=job.format,
        tz=job.tz,
        watermark=None if job.watermark is None else when(job.watermark),
        windows=len(rows),
        done=len(done),
        pending=len(rows) - len(done),
        claimed=len(claims),
        failed=len(failures),
        records=sum(row.records for row in done),
        rejected=sum(row.rejected for row in done),
        details=details,
    )


async def _status(args: argparse.Namespace) -> int:
    status = _read_status(args.dir, args.state)
    if args.json:
        sys.stdout.buffer.write(msgspec.json.encode(status) + b"\n")
        sys.stdout.flush()
        return EXIT_OK
    ui = Ui()
    ui.table(
        (Column("Metric"), Column("Value", "right")),
        [
            ["job", f"{status.provider} {status.format} {status.tz}"],
            ["watermark", status.watermark or "-"],
            ["windows", f"{status.windows:,}"],
            ["done", f"{status.done:,}"],
            ["pending", f"{status.pending:,}"],
            ["claimed by a live run", f"{status.claimed:,}"],
            ["failed last time", f"{status.failed:,}"],
            ["records", f"{status.records:,}"],
            ["rejected records", f"{status.rejected:,}"],
        ],
        title=f"Export status of {status.dir}",
    )
    if status.details:
        ui.table(
            (Column("Window"), Column("State"), Column("Run"), Column("Detail")),
            [
                [d.path, d.state, d.run_id or "", d.error or f"lease until {d.until}"]
                for d in status.details
            ],
        )
    return EXIT_OK
