"""CDR sources: the one thing the export needs from a provider, and the adapters.

A source reads one closed-open time window with the provider's own iterator
and yields pages of ``(normalised id, CallRecord, wire record)``. The export
never touches a provider client any other way, so a provider joins by adding
an adapter here, and users can hand :func:`~telcall.export.export_cdrs` any
object that fits :class:`CdrSource`.

For other processes a source is described by a :class:`Connection`, which
holds no secret: a worker rebuilds the client from it and takes credentials
from its own environment (``TELCALL_TEL4VN_API_KEY``, ...) or from a
``client_factory`` the caller gives it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

import msgspec

from .._core.errors import ValidationError
from .._core.records import CallRecord

if TYPE_CHECKING:
    from ..tel4vn.client import AsyncTel4vnClient

__all__ = (
    "CdrSource",
    "Connection",
    "OmicallSource",
    "SourceRecord",
    "Tel4vnSource",
    "open_client",
    "source_for",
    "zone_name",
)

SourceRecord = tuple[str, CallRecord, Any]


class Connection(msgspec.Struct, frozen=True, kw_only=True):
    """How to reach a provider from another process, without any credential."""

    provider: str
    base_url: str
    tz: str
    options: dict[str, str] = {}


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
        """Pages of CDRs whose call started in ``[start, end)`` (the server's idea of it)."""
        ...

    async def count(self, start: datetime, end: datetime) -> int | None:
        """How many CDRs the server holds for ``[start, end)``, or ``None`` if it cannot say.

        The export asks before reading a window and re-reads the window if the
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


class Tel4vnSource:
    """TEL4VN CDRs through ``client.cdrs.pages`` (scroll inside the window)."""

    max_page_size = 1000

    def __init__(self, client: AsyncTel4vnClient) -> None:
        self.client = client

    @property
    def provider(self) -> str:
        """``"tel4vn"``."""
        return self.client.provider

    @property
    def tz(self) -> tzinfo:
        """The client's zone."""
        return self.client.tz

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
        tz = self.client.tz
        pages = cast(
            AsyncGenerator[Any, None],
            self.client.cdrs.pages(
                start_date=start, end_date=end, page_size=min(page_size, self.max_page_size)
            ),
        )
        try:
            async for page in pages:
                yield [(cdr.cdr_id, cdr.to_call_record(tz), cdr) for cdr in page.items]
        finally:
            await pages.aclose()

    async def count(self, start: datetime, end: datetime) -> int | None:
        """``total`` of a one-record offset page for the same bounds."""
        page = await self.client.cdrs.list(start_date=start, end_date=end, offset=0, limit=1)
        return page.total


class OmicallSource:
    """OMICall call history through ``client.call_history.pages`` (page numbers)."""

    max_page_size = 50

    def __init__(self, client: Any) -> None:
        self.client = client

    @property
    def provider(self) -> str:
        """``"omicall"``."""
        return str(self.client.provider)

    @property
    def tz(self) -> tzinfo:
        """The client's zone."""
        return cast(tzinfo, self.client.tz)

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
        pages = cast(
            AsyncGenerator[Any, None],
            self.client.call_history.pages(
                from_date=start, to_date=end, page_size=min(page_size, self.max_page_size)
            ),
        )
        try:
            async for page in pages:
                yield [
                    (item.transaction_id.strip(), item.to_call_record(tz), item)
                    for item in page.items
                ]
        finally:
            await pages.aclose()

    async def count(self, start: datetime, end: datetime) -> int | None:
        """``total_items`` of a one-record page (ranges over 30 days cannot be counted)."""
        if end - start > timedelta(days=30):
            return None
        page = await self.client.call_history.list(from_date=start, to_date=end, size=1)
        total: int | None = page.total
        return total


def _omicall_client(conn: Connection) -> Any:
    from ..omicall.client import AsyncOmicallClient

    return AsyncOmicallClient(base_url=conn.base_url, tz=conn.tz)


def _tel4vn_client(conn: Connection) -> Any:
    from ..tel4vn.client import AsyncTel4vnClient

    mapping = conn.options.get("cdr_mapping", "auto")
    return AsyncTel4vnClient(base_url=conn.base_url, tz=conn.tz, cdr_mapping=mapping)  # type: ignore[arg-type]


def _tel4vn_source(client: Any) -> CdrSource:
    return Tel4vnSource(client)


# provider → (wrap a client, build a client from a Connection with env credentials)
_ADAPTERS: dict[str, tuple[Callable[[Any], CdrSource], Callable[[Connection], Any]]] = {
    "tel4vn": (_tel4vn_source, _tel4vn_client),
    "omicall": (OmicallSource, _omicall_client),
}


def source_for(client: Any) -> CdrSource:
    """The source for a provider client, or ``client`` itself if it already is one."""
    if isinstance(client, CdrSource):
        return client
    provider = getattr(client, "provider", None)
    adapter = _ADAPTERS.get(provider) if isinstance(provider, str) else None
    if adapter is None:
        known = ", ".join(sorted(_ADAPTERS))
        raise ValidationError(
            f"cannot export CDRs from {type(client).__name__}: known providers are {known}, "
            "or pass an object implementing telcall.export.CdrSource"
        )
    return adapter[0](client)


def open_client(conn: Connection) -> Any:
    """A new client for ``conn``, credentials from the environment (the caller closes it)."""
    adapter = _ADAPTERS.get(conn.provider)
    if adapter is None:
        raise ValidationError(
            f"no built-in client for provider {conn.provider!r}: pass client_factory"
        )
    return adapter[1](conn)
