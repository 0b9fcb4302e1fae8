"""CDR sources: the one thing the export needs from a provider, and the adapters.

A source reads one closed-open time window with the provider's own iterator
and yields pages of ``(normalised id, instant, CallRecord, wire record)``;
the instant is the time the provider's range filter placed the record by,
which is what the export checks the window against. The export never touches
a provider client any other way, so a provider joins by adding an adapter
(here or in its folder) and naming it in its spec (``export_source``); users
can hand :func:`~telcall.export.export_cdrs` any object that fits
:class:`CdrSource`.

What the window bounds (the instant), per provider:

- TEL4VN: the call's start time (``time_started``), i.e. ``CallRecord.started_at``.
- OMICall: the record's ``created_date`` (written when the call ends), the only
  time the call-history range filters on; ``started_at`` is earlier by the
  ring and talk time, so a call can start in one window and land in the next.
- AI Call Center: ``called_at``, i.e. ``CallRecord.started_at``.

For other processes a source is described by a :class:`Connection`, which
holds no secret: a worker rebuilds the client from it and takes credentials
from its own environment (``TELCALL_TEL4VN_API_KEY``, ...) or from a
``client_factory`` the caller gives it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import (
    TYPE_CHECKING,
    Any,
    Generic,
    Protocol,
    Self,
    TypeAlias,
    TypeVar,
    runtime_checkable,
)

import msgspec

from .._core.client import AsyncBaseClient
from .._core.errors import ValidationError
from .._core.records import CallRecord, from_epoch_ms, to_call_records
from .._core.spec import load
from ..providers import specs
from ._tenants import check_tenant

if TYPE_CHECKING:
    from ..aicallcenter.client import AsyncAICallCenterClient
    from ..omicall.client import AsyncOmicallClient
    from ..tel4vn.client import AsyncTel4vnClient

__all__ = (
    "AICallCenterSource",
    "CdrSource",
    "Connection",
    "ExportClient",
    "OmicallSource",
    "Rejected",
    "SourceRecord",
    "Tel4vnSource",
    "job_name",
    "open_client",
    "source_for",
    "zone_name",
)


class Rejected(msgspec.Struct, frozen=True):
    """A record the source could not convert: it goes to the window's rejects file.

    ``kind`` is a short name counted in the summary (``"bad_time"``);
    ``reason`` says what was wrong with the record, for the rejects file.
    """

    kind: str
    reason: str


SourceRecord = tuple[str, datetime | None, CallRecord | Rejected, Any]

# What converting a record with a time that cannot be read raises:
# fromisoformat's ValueError ("year 0 is out of range"), fromtimestamp's overflow.
_BAD_TIME = (ValueError, OverflowError, OSError)


def _converted_time(epoch_ms: float | None) -> datetime | Rejected | None:
    """OMICall's ``created_date``, or a :class:`Rejected` if it is out of range."""
    try:
        return from_epoch_ms(epoch_ms)
    except _BAD_TIME as exc:
        return Rejected("bad_time", f"created_date {epoch_ms!r} cannot be read: {exc}")


def _converted(items: Sequence[Any], tz: tzinfo) -> Sequence[CallRecord | Rejected]:
    """Each item's CallRecord, the page converted in one call; item by item if one is refused.

    The item by item pass names the unreadable time in a :class:`Rejected` for each
    record that has one; a page without such a record (nearly all) pays one batch call.
    """
    try:
        return to_call_records(items, tz)
    except _BAD_TIME:
        return [_converted_one(item, tz) for item in items]


def _converted_one(item: Any, tz: tzinfo) -> CallRecord | Rejected:
    try:
        record: CallRecord = item.to_call_record(tz)
    except _BAD_TIME as exc:
        return Rejected("bad_time", f"a time that cannot be read: {exc}")
    return record


_MS = timedelta(milliseconds=1)


class Connection(msgspec.Struct, frozen=True, kw_only=True):
    """How to reach a provider from another process, without any credential.

    ``scope`` names the part of the account the source reads when that is not
    all of it (``campaign:<id>`` for one AI Call Center campaign); it is part
    of what an export directory holds, like the provider. ``tenant`` is the
    caller's label for whose account this is (``""``: a single-tenant job):
    the export files the tenant's windows under ``tenant=<label>/``, and a
    ``client_factory`` picks the tenant's credentials by it.
    """

    provider: str
    base_url: str
    tz: str
    options: dict[str, str] = {}
    scope: str = ""
    tenant: str = ""

    def __post_init__(self) -> None:
        """Refuse a tenant label that is no safe path segment (decoded specs too)."""
        check_tenant(self.tenant)


def job_name(conn: Connection) -> str:
    """What the checkpoint records as the directory's provider: ``provider[/scope]``."""
    return f"{conn.provider}/{conn.scope}" if conn.scope else conn.provider


@runtime_checkable
class CdrSource(Protocol):
    """What the export reads CDRs through."""

    @property
    def provider(self) -> str:
        """The provider's name (``"tel4vn"``), recorded in the checkpoint."""
        ...

    @property
    def tz(self) -> tzinfo:
        """The zone the provider's naive times are read in; windows are cut in it too."""
        ...

    def connection(self) -> Connection:
        """The secret-free description a worker process rebuilds this source from."""
        ...

    def pages(
        self, start: datetime, end: datetime, *, page_size: int
    ) -> AsyncIterator[list[SourceRecord]]:
        """Pages of ``(id, instant, record, wire)`` the server files under ``[start, end)``.

        ``instant`` is the time the server's range filter reads (aware, or
        ``None`` if the record has none); the export drops records whose
        instant is outside the window, since servers filter on rounded or
        inclusive bounds. ``record`` is the :class:`~telcall.CallRecord`, or a
        :class:`Rejected` when the wire record cannot be converted (a time
        such as ``0000-00-00 00:00:00``): the export writes it, with a record
        that has no id or no instant, to the window's rejects file.
        """
        ...

    async def count(self, start: datetime, end: datetime) -> int | None:
        """How many CDRs the server holds for ``[start, end)``, or ``None`` if it cannot say.

        The export asks while reading a window and re-reads the window if the
        read brought fewer distinct records: a scroll request retried after its
        answer was lost (a dropped connection) silently skips that batch.
        """
        ...


def zone_name(tz: tzinfo) -> str:
    """The IANA name of ``tz``: specs and checkpoints must name the zone, not pickle it."""
    key = getattr(tz, "key", None)
    if not isinstance(key, str):
        raise ValidationError(f"the export needs a named time zone (a ZoneInfo), got {tz!r}")
    return key


_C = TypeVar("_C", bound=AsyncBaseClient)


class _ClientSource(Generic[_C]):
    """What every source reads off its client: the provider's name and the zone."""

    def __init__(self, client: _C) -> None:
        self.client = client

    @property
    def provider(self) -> str:
        """The provider's name (``"tel4vn"``, ...)."""
        return self.client.provider

    @property
    def tz(self) -> tzinfo:
        """The client's zone."""
        return self.client.tz

    @classmethod
    def from_scope(cls, client: _C, scope: str) -> Self:
        """The source a :class:`Connection` ``scope`` describes: all of the account (``""``)."""
        if scope:
            raise ValidationError(f"{client.provider} exports have no scope; got {scope!r}")
        return cls(client)


class Tel4vnSource(_ClientSource["AsyncTel4vnClient"]):
    """TEL4VN CDRs through ``client.cdrs.pages`` (scroll inside the window)."""

    max_page_size = 1000

    def connection(self) -> Connection:
        """Base URL, zone and CDR mapping; the api key stays in the environment."""
        return Connection(
            provider=self.provider,
            base_url=self.client.base_url,
            tz=zone_name(self.client.tz),
            options={"cdr_mapping": self.client.cdr_mapping},
        )

    async def pages(
        self, start: datetime, end: datetime, *, page_size: int
    ) -> AsyncIterator[list[SourceRecord]]:
        """Scroll ``[start, end)``; the client retries 429/5xx/dropped connections itself."""
        tz = self.tz
        pages = self.client.cdrs.pages(
            start_date=start, end_date=end, page_size=min(page_size, self.max_page_size)
        )
        try:
            async for page in pages:
                # A record's id is its wire id stripped (``cdr_id``), already computed.
                yield [
                    (record.id, record.started_at, record, cdr)
                    if type(record) is CallRecord
                    else (cdr.cdr_id, None, record, cdr)
                    for cdr, record in zip(page.items, _converted(page.items, tz), strict=True)
                ]
        finally:
            await pages.aclose()

    async def count(self, start: datetime, end: datetime) -> int | None:
        """``total`` of a one-record offset page for the same bounds."""
        page = await self.client.cdrs.list(start_date=start, end_date=end, offset=0, limit=1)
        return page.total


class OmicallSource(_ClientSource["AsyncOmicallClient"]):
    """OMICall call history through ``client.call_history.pages`` (page numbers).

    Windows bound ``created_date``, the time the range filter reads.
    """

    max_page_size = 50

    def connection(self) -> Connection:
        """Base URL and zone; the api key stays in the environment."""
        return Connection(
            provider=self.provider, base_url=self.client.base_url, tz=zone_name(self.tz)
        )

    async def pages(
        self, start: datetime, end: datetime, *, page_size: int
    ) -> AsyncIterator[list[SourceRecord]]:
        """Page through ``[start, end)``."""
        tz = self.tz
        pages = self.client.call_history.pages(
            from_date=start, to_date=end, page_size=min(page_size, self.max_page_size)
        )
        try:
            async for page in pages:
                batch: list[SourceRecord] = []
                for item, record in zip(page.items, _converted(page.items, tz), strict=True):
                    created = _converted_time(item.created_date)
                    if isinstance(created, Rejected):
                        record, created = created, None
                    batch.append((item.transaction_id.strip(), created, record, item))
                yield batch
        finally:
            await pages.aclose()

    async def count(self, start: datetime, end: datetime) -> int | None:
        """``total_items`` of a one-record page (ranges over 30 days cannot be counted)."""
        if end - start > timedelta(days=30):
            return None
        page = await self.client.call_history.list(from_date=start, to_date=end, size=1)
        return page.total


class AICallCenterSource(_ClientSource["AsyncAICallCenterClient"]):
    """AI Call Center calls: the account's call log, or one campaign's export.

    Without ``campaign_id`` the source reads ``client.users.calls`` (every
    campaign of the account whose key is used: the account's CDRs, like the
    other providers' history); with it, ``client.campaigns.calls`` of that
    campaign only, and the export directory is tied to that campaign. Both
    list by ``limit``/``offset`` with inclusive epoch-millisecond bounds, so
    a window ``[start, end)`` is sent as ``start_time=start``,
    ``end_time=end - 1 ms``. Windows bound ``called_at``.
    """

    max_page_size = 1000

    def __init__(self, client: AsyncAICallCenterClient, campaign_id: str | None = None) -> None:
        if campaign_id is not None and not campaign_id.strip():
            raise ValidationError("campaign_id must not be blank")
        self.client = client
        self.campaign_id = None if campaign_id is None else campaign_id.strip()

    @classmethod
    def from_scope(cls, client: AsyncAICallCenterClient, scope: str) -> Self:
        """The source a :class:`Connection` ``scope`` describes (``""`` or ``campaign:<id>``)."""
        if not scope:
            return cls(client)
        kind, _, campaign_id = scope.partition(":")
        if kind != "campaign" or not campaign_id:
            raise ValidationError(f"unknown AI Call Center export scope {scope!r}")
        return cls(client, campaign_id)

    def connection(self) -> Connection:
        """Base URL, zone and campaign; the secret key stays in the environment."""
        return Connection(
            provider=self.provider,
            base_url=self.client.base_url,
            tz=zone_name(self.tz),
            scope="" if self.campaign_id is None else f"campaign:{self.campaign_id}",
        )

    def _pages(self, start: datetime, end: datetime, size: int) -> AsyncGenerator[Any, None]:
        last = end - _MS
        if self.campaign_id is None:
            return self.client.users.calls.pages(start_time=start, end_time=last, page_size=size)
        return self.client.campaigns.calls.pages(
            self.campaign_id, start_time=start, end_time=last, page_size=size
        )

    async def pages(
        self, start: datetime, end: datetime, *, page_size: int
    ) -> AsyncIterator[list[SourceRecord]]:
        """Page through ``[start, end)`` by offset."""
        tz = self.tz
        pages = self._pages(start, end, min(page_size, self.max_page_size))
        try:
            async for page in pages:
                batch: list[SourceRecord] = []
                for call, record in zip(page.items, _converted(page.items, tz), strict=True):
                    if isinstance(record, CallRecord):
                        batch.append((record.id.strip(), record.started_at, record, call))
                    else:
                        batch.append((str(call.call_id).strip(), None, record, call))
                yield batch
        finally:
            await pages.aclose()

    async def count(self, start: datetime, end: datetime) -> int | None:
        """``total`` of a one-record page for the same bounds."""
        last = end - _MS
        if self.campaign_id is None:
            page = await self.client.users.calls.list(start_time=start, end_time=last, limit=1)
        else:
            page = await self.client.campaigns.calls.list(
                self.campaign_id, start_time=start, end_time=last, limit=1
            )
        return page.total


#: What an export reads through: an async provider client, or any :class:`CdrSource`. A sync
#: client is not one (mypy says so): use :func:`~telcall.export.export_cdrs_sync` with it.
ExportClient: TypeAlias = (
    "AsyncTel4vnClient | AsyncOmicallClient | AsyncAICallCenterClient | CdrSource"
)


def source_for(client: ExportClient, connection: Connection | None = None) -> CdrSource:
    """The source for a provider client, or ``client`` itself if it already is one.

    ``connection`` (a window spec's) says which part of the account to read;
    without it, all of it.
    """
    if isinstance(client, CdrSource):
        return client
    provider = getattr(client, "provider", None)
    spec = specs().get(provider) if isinstance(provider, str) else None
    if spec is None or spec.export_source is None:
        known = ", ".join(name for name, s in specs().items() if s.export_source)
        raise ValidationError(
            f"cannot export CDRs from {type(client).__name__}: known providers are {known}, "
            "or pass an object implementing telcall.export.CdrSource"
        )
    source: CdrSource = load(spec.export_source).from_scope(
        client, "" if connection is None else connection.scope
    )
    return source


def open_client(conn: Connection) -> Any:
    """A new client for ``conn``, credentials from the environment (the caller closes it).

    ``conn.options`` are the client's own constructor arguments (TEL4VN's ``cdr_mapping``).
    """
    spec = specs().get(conn.provider)
    if spec is None:
        raise ValidationError(
            f"no built-in client for provider {conn.provider!r}: pass client_factory"
        )
    options: dict[str, Any] = dict(conn.options)
    return spec.client_class()(base_url=conn.base_url, tz=conn.tz, **options)
