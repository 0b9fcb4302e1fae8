"""``telcall cdrs list`` and ``telcall cdrs get``: call detail records from a PBX."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

import msgspec

from telcall import CallRecord

from ._common import EXIT_OK, Subparsers, add_tel4vn_options, closing, positive_int, tel4vn_client
from ._ui import Column, Ui

__all__ = ("CDR_COLUMNS", "cdr_row", "register")

#: The columns of ``telcall cdrs list``.
CDR_COLUMNS = (
    Column("ID"),
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
        help="list CDRs, filtered",
        description=(
            "List CDRs as a table or, with --json, as NDJSON: one normalised CallRecord per line. "
            "Filters are passed to the provider as given; dates are 'YYYY-MM-DD' or "
            "'YYYY-MM-DD HH:MM:SS' in the PBX's time zone."
        ),
    )
    filters = listing.add_argument_group("filters")
    filters.add_argument("--start-date", metavar="DATE", help="calls started at or after DATE")
    filters.add_argument("--end-date", metavar="DATE", help="calls started before DATE")
    filters.add_argument("--start-date-ended", metavar="DATE", help="calls ended at or after DATE")
    filters.add_argument("--end-date-ended", metavar="DATE", help="calls ended before DATE")
    filters.add_argument("--extension", metavar="EXT", help="agent extension, e.g. 101")
    filters.add_argument("--phone", metavar="NUMBER", help="caller or callee number")
    filters.add_argument("--direction", choices=("inbound", "outbound", "local"))
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
    add_tel4vn_options(listing)
    listing.set_defaults(handler=_list)

    get = commands.add_parser(
        "get",
        help="show one CDR",
        description="Show one CDR, looked up by its id or its sip_call_id.",
    )
    get.add_argument("id", metavar="ID", help="CDR id or sip_call_id")
    get.add_argument("--json", action="store_true", help="the record as one JSON object")
    add_tel4vn_options(get)
    get.set_defaults(handler=_get)


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    names = (
        "start_date",
        "end_date",
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
    return {name: getattr(args, name) for name in names}


async def _list(args: argparse.Namespace) -> int:
    ui = Ui()
    limit: int | None = None if args.all else args.limit
    rows: list[list[str]] = []
    async with tel4vn_client(args) as client:
        listing = client.cdrs.pages(
            **_filters(args),
            page_size=_MAX_PAGE if limit is None else min(limit, _MAX_PAGE),
            max_items=limit,
            # Overlap fetching with printing only when we know we want more than a page.
            prefetch=1 if limit is None or limit > _MAX_PAGE else 0,
        )
        async with closing(listing) as pages:
            async for page in pages:
                records = [cdr.to_call_record(args.tz) for cdr in page.items]
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


async def _get(args: argparse.Namespace) -> int:
    ui = Ui()
    async with tel4vn_client(args) as client:
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
