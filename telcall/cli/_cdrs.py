"""``telcall cdrs list`` and ``telcall cdrs get``: call detail records of any provider.

``list`` reads TEL4VN through its own filters; OMICall and AI Call Center through the
export's CDR sources (the one adapter per provider), over ``[--start-date, --end-date)``.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from typing import Any

import msgspec

from telcall import CallRecord
from telcall._core.errors import ValidationError
from telcall._core.validation import parse_date
from telcall.export import AICallCenterSource
from telcall.export._source import source_for

from ._common import (
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    Subparsers,
    add_connection_options,
    closing,
    connect,
    only_for,
    positive_int,
)
from ._ui import Column, Ui

__all__ = ("CDR_COLUMNS", "cdr_row", "register")

#: The columns of ``telcall cdrs list``.
CDR_COLUMNS = (
    # Ids are what people copy: never wrapped, other columns give way.
    Column("ID", no_wrap=True),
    Column("Started"),
    Column("Direction"),
    Column("Status"),
    Column("From"),
    Column("To"),
    Column("Ext"),
    Column("Duration", "right"),
    Column("Talk", "right"),
)

# The API's largest page: fewest round trips when listing everything.
_MAX_PAGE = 1000

# Filters only TEL4VN's CDR listing has (the others filter by time only).
_TEL4VN_FILTERS = (
    "start_date_ended",
    "end_date_ended",
    "extension",
    "phone",
    "direction",
    "status",
    "hotline",
    "campaign_uuid",
    "duration",
    "min_duration",
)

_encoder = msgspec.json.Encoder()


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


def cdr_row(record: CallRecord) -> list[str]:
    """One table row for ``record``, times in the record's own zone."""
    return [
        record.id,
        _time(record.started_at),
        record.direction.value,
        record.status.value,
        record.from_number or "",
        record.to_number or "",
        record.extension or "",
        str(record.duration),
        str(record.billsec),
    ]


def register(subparsers: Subparsers) -> None:
    """Add ``telcall cdrs list`` and ``telcall cdrs get``."""
    parser = subparsers.add_parser(
        "cdrs",
        help="list or fetch call detail records (CDRs)",
        description="Read call detail records from a PBX (or a simulator) through the SDK.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    listing = commands.add_parser(
        "list",
        help="list CDRs of any provider, filtered",
        description=(
            "List CDRs as a table or, with --json, as NDJSON: one normalised CallRecord per line. "
            "Filters are passed to the provider as given; dates are 'YYYY-MM-DD' or "
            "'YYYY-MM-DD HH:MM:SS' in --tz. TEL4VN takes every filter; OMICall and AI Call "
            "Center list the calls in [--start-date, --end-date) (default: the last 24 hours)."
        ),
    )
    filters = listing.add_argument_group("filters")
    filters.add_argument("--start-date", metavar="DATE", help="calls started at or after DATE")
    filters.add_argument("--end-date", metavar="DATE", help="calls started before DATE")
    filters.add_argument("--start-date-ended", metavar="DATE", help="calls ended at or after DATE")
    filters.add_argument("--end-date-ended", metavar="DATE", help="calls ended before DATE")
    filters.add_argument("--extension", metavar="EXT", help="agent extension, e.g. 101")
    filters.add_argument("--phone", metavar="NUMBER", help="caller or callee number")
    filters.add_argument(
        "--direction", choices=("inbound", "outbound", "local"), help="call direction"
    )
    filters.add_argument(
        "--status",
        metavar="STATUS",
        help="answered, busy, no-answered, cancel, not-available or invalid",
    )
    filters.add_argument("--hotline", metavar="NUMBER", help="hotline the call went through")
    filters.add_argument("--campaign-uuid", metavar="UUID", help="autodialer campaign")
    filters.add_argument("--duration", type=int, metavar="SECONDS", help="exact call duration")
    filters.add_argument(
        "--min-duration", type=int, metavar="SECONDS", help="calls lasting at least SECONDS"
    )
    amount = listing.add_mutually_exclusive_group()
    amount.add_argument(
        "--limit",
        type=positive_int,
        default=50,
        metavar="N",
        help="show at most N records (default: %(default)s)",
    )
    amount.add_argument("--all", action="store_true", help="every matching record")
    listing.add_argument("--json", action="store_true", help="NDJSON output, one record per line")
    connection = add_connection_options(listing)
    connection.add_argument(
        "--campaign",
        metavar="ID",
        help="AI Call Center: this campaign's calls instead of the account's call log",
    )
    listing.set_defaults(handler=_list)

    get = commands.add_parser(
        "get",
        help="show one CDR",
        description="Show one CDR, looked up by its id or its sip_call_id.",
    )
    get.add_argument("id", metavar="ID", help="CDR id or sip_call_id")
    get.add_argument("--json", action="store_true", help="the record as one JSON object")
    add_connection_options(get, providers=("tel4vn",))
    get.set_defaults(handler=_get)


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    names = ("start_date", "end_date", *_TEL4VN_FILTERS)
    return {name: getattr(args, name) for name in names}


def _bound(args: argparse.Namespace, flag: str, default: datetime) -> datetime:
    """A ``--start-date``/``--end-date`` as an aware datetime: the one date parser of the API."""
    text: str | None = getattr(args, flag[2:].replace("-", "_"))
    if text is None:
        return default
    try:
        value = parse_date(text.strip(), flag, args.tz)
    except ValidationError as exc:
        raise CliError(str(exc), exit_code=EXIT_USAGE) from None
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time(), tzinfo=args.tz)


async def _list(args: argparse.Namespace) -> int:
    only_for(args, {f"--{name.replace('_', '-')}": ["tel4vn"] for name in _TEL4VN_FILTERS})
    only_for(args, {"--campaign": ["aicallcenter"]})
    ui = Ui()
    limit: int | None = None if args.all else args.limit
    rows: list[list[str]] = []
    page_size = _MAX_PAGE if limit is None else min(limit, _MAX_PAGE)
    async with (
        connect(args) as client,
        closing(_records(args, client, page_size, limit)) as pages,
    ):
        async for records in pages:
            if args.json:
                ui.write(_encoder.encode_lines(records).decode())
            else:
                rows.extend(cdr_row(record) for record in records)
    if not args.json:
        ui.table(CDR_COLUMNS, rows)
        if not rows:
            ui.note("no CDRs match")
        elif limit is not None and len(rows) == limit:
            ui.note(f"showing the first {limit:,}; use --limit N or --all for more")
    return EXIT_OK


async def _records(
    args: argparse.Namespace, client: Any, page_size: int, limit: int | None
) -> AsyncIterator[list[CallRecord]]:
    """Pages of CallRecords, at most ``limit`` records in all."""
    if args.provider == "tel4vn":
        listing = client.cdrs.pages(
            **_filters(args),
            page_size=page_size,
            max_items=limit,
            # Overlap fetching with printing only when we know we want more than a page.
            prefetch=1 if limit is None or limit > _MAX_PAGE else 0,
        )
        async with closing(listing) as pages:
            async for page in pages:
                yield [cdr.to_call_record(args.tz) for cdr in page.items]
        return
    end = _bound(args, "--end-date", datetime.now(args.tz))
    start = _bound(args, "--start-date", end - timedelta(days=1))
    source = (
        AICallCenterSource(client, args.campaign)
        if args.campaign is not None
        else source_for(client)
    )
    left = limit
    async with closing(source.pages(start, end, page_size=page_size)) as pages:
        async for page in pages:
            # A record whose times cannot be read has no row to show (export keeps it aside).
            records = [record for _, _, record, _ in page if isinstance(record, CallRecord)]
            if left is not None:
                records = records[:left]
                left -= len(records)
            yield records
            if left == 0:
                return


async def _get(args: argparse.Namespace) -> int:
    ui = Ui()
    async with connect(args) as client:
        record = (await client.cdrs.get(args.id)).to_call_record(args.tz)
    if args.json:
        ui.print(_encoder.encode(record).decode())
    else:
        fields = msgspec.structs.asdict(record)
        ui.table(
            (Column("Field"), Column("Value")),
            [[name, _cell(value)] for name, value in fields.items()],
        )
    return EXIT_OK


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)
