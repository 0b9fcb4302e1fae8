"""``telcall export cdrs``: a resumable, windowed CDR export into a directory of files."""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

import msgspec

from telcall.export import AICallCenterSource, ExportProgress, ExportSummary, export_cdrs

from ._common import (
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    Subparsers,
    add_connection_options,
    connect,
    only_for,
    positive_int,
)
from ._ui import Column, Ui, format_duration, rich_installed

__all__ = ("parse_duration", "parse_lookback", "register")

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
    """Add ``telcall export cdrs``."""
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
            "overlapped windows so late CDRs appear once."
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
        choices=("ndjson", "csv", "parquet"),
        default="ndjson",
        help="file format (parquet needs the parquet extra)",
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
    connection = add_connection_options(cdrs)
    connection.add_argument(
        "--campaign",
        metavar="ID",
        help="AI Call Center: export this campaign's calls instead of the account's call log",
    )
    cdrs.set_defaults(handler=_run)


def _client(args: argparse.Namespace) -> Any:
    """The provider's client, from flags then the environment; wrong or missing ones exit 2."""
    only_for(args, {"--campaign": ["aicallcenter"]})
    if args.format == "parquet":
        try:
            importlib.import_module("pyarrow")
        except ImportError:
            raise CliError(
                "--format parquet needs pyarrow: pip install 'telcall[parquet]'",
                exit_code=EXIT_USAGE,
            ) from None
    return connect(args)


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
        state = self._state
        if state is None:
            return
        finished = state.windows_done + state.windows_skipped + state.windows_failed
        planned = state.windows_planned
        rate = state.records / state.elapsed if state.elapsed > 0 else 0.0
        eta = (
            f"  ETA {format_duration(state.elapsed * (planned - finished) / finished)}"
            if 0 < finished < planned
            else ""
        )
        print(
            f"Exporting CDRs: windows {finished}/{planned}  {state.records:,} records  "
            f"{rate:,.0f} records/s  elapsed {format_duration(state.elapsed)}{eta}",
            file=self._stream,
            flush=True,
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
                finished = state.windows_done + state.windows_skipped + state.windows_failed
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
            ["bytes", f"{summary.bytes:,}"],
            ["elapsed", f"{summary.elapsed:.2f} s"],
            ["throughput", f"{rate:,.0f} records/s"],
            ["watermark", mark],
            ["written to", summary.out_dir],
        ],
        title="Export summary",
    )


async def _run(args: argparse.Namespace) -> int:
    ui = Ui()
    last = args.since.strip().lower() == "last"
    async with _client(args) as client:
        source = client if args.campaign is None else AICallCenterSource(client, args.campaign)
        with _progress(ui) as progress:
            summary = await export_cdrs(
                source,
                None if last else args.since,
                args.until,
                args.out,
                format=args.format,
                window=args.window,
                concurrency=args.concurrency,
                lookback=args.lookback,
                raw=args.raw,
                since="last" if last else None,
                progress=progress.update,
            )
    if args.json:
        sys.stdout.buffer.write(msgspec.json.encode(summary) + b"\n")
        sys.stdout.flush()
    else:
        _table(ui, summary)
    return EXIT_OK
