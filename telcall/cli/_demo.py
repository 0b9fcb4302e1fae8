"""``telcall demo``: start a simulator, download every CDR through the SDK, summarise them."""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import anyio
import msgspec

from telcall import AsyncTel4vnClient, CallRecord, CallStatus
from telcall.export import export_cdrs
from telcall.simulator import VN, Tel4vnSimulator

from ._common import EXIT_OK, CliError, Subparsers, non_negative_int
from ._ui import Column, Ui, format_duration

__all__ = ("Tally", "download_cdrs", "register")

OnPage = Callable[[Sequence[CallRecord]], None]


def register(subparsers: Subparsers) -> None:
    """Add ``telcall demo``."""
    parser = subparsers.add_parser(
        "demo",
        help="download every CDR from a local simulator and summarise them",
        description=(
            "Start a TEL4VN simulator in this process, download every CDR of the simulated "
            "week through the SDK, write them to OUT/cdrs.ndjson (one normalised CallRecord "
            "per line) and print a summary."
        ),
    )
    parser.add_argument(
        "--cdrs",
        type=non_negative_int,
        default=200_000,
        metavar="N",
        help="number of simulated CDRs (default: %(default)s)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("telcall-demo"),
        metavar="DIR",
        help="output directory, created if missing (default: ./%(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="seed of the simulated data (default: %(default)s)"
    )
    parser.set_defaults(handler=_run)


async def download_cdrs(
    client: AsyncTel4vnClient,
    *,
    start: datetime,
    end: datetime,
    path: Path,
    on_page: OnPage,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Write every CDR started in ``[start, end)`` to ``path`` as NDJSON ``CallRecord`` s.

    The export job (``telcall.export``) does the download: 6-hour windows, 4 at
    a time, into a scratch directory beside ``path``; the window files are then
    joined in time order. ``on_progress(records)`` follows the export,
    ``on_page(records)`` sees each window's records while joining. The
    file appears only once complete (written beside it, then renamed).
    Returns the number written.
    """
    # Beside path, so the scratch files and the final rename stay on one file system.
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".export-") as scratch:
        summary = await export_cdrs(
            client,
            start,
            end,
            scratch,
            window=timedelta(hours=6),
            concurrency=4,
            progress=None if on_progress is None else (lambda p: on_progress(p.records)),
        )
        files = [Path(scratch) / name for name in summary.files]
        return await anyio.to_thread.run_sync(_join, files, path, on_page)


def _join(files: list[Path], path: Path, on_page: OnPage) -> int:
    """Concatenate window files into ``path`` atomically, showing each window's records."""
    decoder = msgspec.json.Decoder(CallRecord)
    # Same directory, so the rename is atomic; not a tempfile, whose 0600 mode would stick.
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    count = 0
    try:
        with partial.open("wb") as out:
            for file in files:
                data = file.read_bytes()
                records = decoder.decode_lines(data)
                out.write(data)
                count += len(records)
                on_page(records)
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count


class Tally:
    """Running counts for the summary: by status, by direction, talk time of answered calls."""

    def __init__(self) -> None:
        """Start from zero."""
        self.records = 0
        self.by_status: Counter[str] = Counter()
        self.by_direction: Counter[str] = Counter()
        self.talk_seconds = 0

    def add(self, records: Sequence[CallRecord]) -> None:
        """Count one window's records."""
        self.records += len(records)
        self.by_status.update(r.status.value for r in records)
        self.by_direction.update(r.direction.value for r in records)
        self.talk_seconds += sum(r.billsec for r in records if r.status is CallStatus.ANSWERED)

    @property
    def answered(self) -> int:
        """Number of answered calls."""
        return self.by_status[CallStatus.ANSWERED.value]


async def _run(args: argparse.Namespace) -> int:
    ui = Ui()
    out: Path = args.out
    await anyio.Path(out).mkdir(parents=True, exist_ok=True)
    path = out / "cdrs.ndjson"
    sim = Tel4vnSimulator(cdrs=args.cdrs, seed=args.seed, record_requests=False)
    async with sim:
        start = datetime.fromtimestamp(sim.store.t0, VN)
        end = datetime.fromtimestamp(sim.store.t0 + sim.store.span, VN)
        ui.note(
            f"TEL4VN simulator on {sim.base_url}: {args.cdrs:,} CDRs "
            f"from {start:%Y-%m-%d} to {end:%Y-%m-%d} (seed {args.seed})"
        )
        tally = Tally()
        # The explicit key keeps a TELCALL_TEL4VN_TOKEN in the environment out (as a set).
        async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as client:
            expected = len(sim.store)
            with ui.progress("Downloading CDRs", unit="CDRs") as progress:
                began = time.perf_counter()
                written = await download_cdrs(
                    client,
                    start=start,
                    end=end,
                    path=path,
                    on_page=tally.add,
                    on_progress=lambda count: progress.update(count, expected),
                )
                elapsed = time.perf_counter() - began
        # What the simulator holds now, not when the download began: a record it
        # gained meanwhile and the export missed must fail the demo too.
        held = len(sim.store)
    if written != held:
        raise CliError(f"wrote {written:,} CDRs but the simulator holds {held:,}")
    _summary(ui, tally, path, elapsed)
    return EXIT_OK


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "-"


def _summary(ui: Ui, tally: Tally, path: Path, elapsed: float) -> None:
    n = tally.records
    count_columns = (Column("Calls", "right"), Column("Share", "right"))
    ui.table(
        (Column("Status"), *count_columns),
        [[k, f"{v:,}", _share(v, n)] for k, v in tally.by_status.most_common()],
        title="Calls by status",
    )
    ui.print()
    ui.table(
        (Column("Direction"), *count_columns),
        [[k, f"{v:,}", _share(v, n)] for k, v in tally.by_direction.most_common()],
        title="Calls by direction",
    )
    ui.print()
    average_talk = tally.talk_seconds / tally.answered if tally.answered else 0.0
    ui.table(
        (Column("Metric"), Column("Value", "right")),
        [
            ["records", f"{n:,}"],
            ["answer rate", _share(tally.answered, n)],
            ["average talk time", f"{average_talk:.1f} s ({format_duration(average_talk)})"],
            ["elapsed", f"{elapsed:.2f} s"],
            ["throughput", f"{n / elapsed:,.0f} records/s" if elapsed > 0 else "-"],
            ["written to", str(path)],
        ],
        title="Summary",
    )
