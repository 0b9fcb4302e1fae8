"""Call detail records (``/v2/cdr``), in either mapping, scrolled or paginated."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any, Literal, Unpack, cast

import msgspec

from ..._core.errors import ValidationError
from ..._core.options import RequestExtras
from ..._core.pagination import (
    OffsetPagination,
    Page,
    ScrollPagination,
    Strategy,
    check_paging,
    iterate_items,
    iterate_pages,
)
from ..._core.paging import Paging, read_paging
from ..._core.raw import last_request_id
from ..._core.resource import AsyncResource
from ..._core.transport import Timeout
from ..._core.validation import DateLike, path_segment
from .._validation import (
    CdrDirectionFilter,
    CdrStatusFilter,
    cdr_direction,
    cdr_status,
    check_range,
    format_date,
)
from ..models import AnyCdr, Cdr, CdrMapping, CdrPage, FlexCdr, FlexCdrPage, RawCdrPage

if TYPE_CHECKING:
    from ..client import AsyncTel4vnClient

__all__ = ("AsyncCdrs", "CdrDecoder", "CdrFilters", "CdrPaging")

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 500


_default_page = msgspec.json.Decoder(CdrPage)
_flex_page = msgspec.json.Decoder(FlexCdrPage)
_raw_page = msgspec.json.Decoder(RawCdrPage)
_default_one = msgspec.json.Decoder(Cdr)
_flex_one = msgspec.json.Decoder(FlexCdr)


class CdrFilters(RequestExtras, total=False):
    """The filters of ``GET /v2/cdr``, one definition for ``list``, ``pages`` and ``iterate``.

    Every key is optional (``None`` is the same as leaving it out). ``start_date``/``end_date``
    bound the call's start, ``start_date_ended``/``end_date_ended`` its end; ``duration`` and
    ``min_duration`` are seconds (>= 0). The per-call extras (:class:`RequestExtras`) ride along.
    """

    start_date: DateLike | None
    end_date: DateLike | None
    duration: int | None
    min_duration: int | None
    extension: str | None
    phone: str | None
    direction: CdrDirectionFilter | None
    status: CdrStatusFilter | None
    hotline: str | None
    campaign_uuid: str | None
    start_date_ended: DateLike | None
    end_date_ended: DateLike | None


#: Every filter unset: what ``GET /v2/cdr`` gets for a filter left out.
_NO_FILTERS: dict[str, Any] = dict.fromkeys(
    name for name in CdrFilters.__annotations__ if name not in RequestExtras.__annotations__
)


class CdrPaging(Paging, CdrFilters, total=False):
    """What ``pages`` and ``iterate`` take: :class:`Paging` (``page_size`` 500 by default, at
    most 1000), ``pagination`` (``"scroll"``, the default, or ``"offset"``) and the
    :class:`CdrFilters`."""

    pagination: Literal["scroll", "offset"]


class CdrDecoder:
    """Decodes CDR pages in one mapping, or detects it (``auto``).

    ``auto`` tries the mapping that worked last on the whole page, then the
    other; only a page that mixes both falls back to per-record decoding. A
    uniform page therefore costs one typed decode, as with a fixed mapping.
    """

    __slots__ = ("_order",)

    def __init__(self, mapping: CdrMapping) -> None:
        self._order: list[Literal["default", "flex"]] = (
            ["default", "flex"] if mapping != "flex" else ["flex"]
        )
        if mapping == "default":
            self._order = ["default"]

    def decode(self, content: bytes, /) -> CdrPage | FlexCdrPage:
        """Decode a ``GET /v2/cdr`` body."""
        error: msgspec.ValidationError | None = None
        for mapping in self._order:
            try:
                page = (_default_page if mapping == "default" else _flex_page).decode(content)
            except msgspec.ValidationError as exc:
                error = exc
                continue
            if mapping != self._order[0]:
                self._order.reverse()
            return page
        if len(self._order) == 1:
            assert error is not None
            raise error
        return self._decode_mixed(content)

    def _decode_mixed(self, content: bytes) -> CdrPage | FlexCdrPage:
        raw = _raw_page.decode(content)
        records: list[Any] = [self.decode_one(bytes(item)) for item in raw.data]
        return CdrPage(
            data=records,
            limit=raw.limit,
            offset=raw.offset,
            total=raw.total,
            scroll_id=raw.scroll_id,
        )

    def decode_one(self, content: bytes) -> AnyCdr:
        """Decode one record (``GET /v2/cdr/<id>``)."""
        error: msgspec.ValidationError | None = None
        for mapping in self._order:
            try:
                return (_default_one if mapping == "default" else _flex_one).decode(content)
            except msgspec.ValidationError as exc:
                error = exc
        assert error is not None
        raise error


class _OneCdr:
    """Decodes a single record (``GET /v2/cdr/<id>``) with the client's mapping."""

    __slots__ = ("_decoder",)

    def __init__(self, decoder: CdrDecoder) -> None:
        self._decoder = decoder

    def decode(self, content: bytes, /) -> AnyCdr:
        """Decode one record."""
        return self._decoder.decode_one(content)


class AsyncCdrs(AsyncResource["AsyncTel4vnClient"]):
    """Call history. ``iterate()`` scrolls by default; ``pagination="offset"`` pages by offset.

    The items are :class:`~telcall.tel4vn.models.Cdr` (default mapping) or
    :class:`~telcall.tel4vn.models.FlexCdr`; both have ``id``, ``cdr_id`` and
    ``to_call_record()``.
    """

    __slots__ = ("_decoder",)

    def __init__(self, client: AsyncTel4vnClient) -> None:
        super().__init__(client)
        self._decoder = CdrDecoder(client.cdr_mapping)

    def _filters(self, filters: CdrFilters) -> dict[str, Any]:
        # Only the filters: a pages() call's options carry its paging keys too.
        given: dict[str, Any] = {name: filters.get(name) for name in _NO_FILTERS}
        tz = self._client.tz
        start = format_date(given["start_date"], "start_date", tz)
        end = format_date(given["end_date"], "end_date", tz)
        check_range(start, end, ("start_date", "end_date"))
        start_ended = format_date(given["start_date_ended"], "start_date_ended", tz)
        end_ended = format_date(given["end_date_ended"], "end_date_ended", tz)
        check_range(start_ended, end_ended, ("start_date_ended", "end_date_ended"))
        for name in ("duration", "min_duration"):
            value = given[name]
            if value is not None and value < 0:
                raise ValidationError(f"{name} must be >= 0, got {value}")
        given.update(
            start_date=start,
            end_date=end,
            start_date_ended=start_ended,
            end_date_ended=end_ended,
            direction=cdr_direction(given["direction"]),
            status=cdr_status(given["status"], self._client.cdr_mapping),
        )
        return given

    async def _fetch(self, params: dict[str, Any], timeout: Timeout | None) -> Page[AnyCdr]:
        # A scroll continuation moves the server's cursor: repeating one whose
        # answer was lost would silently skip a batch, so it is retried only
        # when it provably never reached the server (or was refused with 429).
        answer: CdrPage | FlexCdrPage = await self._client._request(
            "GET",
            "/v2/cdr",
            self._decoder,
            params=params,
            timeout=timeout,
            idempotent=not params.get("scroll_id"),
        )
        return Page(
            cast(list[AnyCdr], answer.data),
            total=answer.total,
            limit=answer.limit,
            offset=answer.offset,
            next_cursor=answer.scroll_id,
            request_id=last_request_id(),
        )

    async def get(
        self, cdr_id: str, *, timeout: Timeout | None = None, **extras: Unpack[RequestExtras]
    ) -> AnyCdr:
        """``GET /v2/cdr/<cdr_id>``: one record by CDR id or ``sip_call_id``."""
        # The documented sample has an id with a trailing space: the server's ids are stripped.
        segment = path_segment(cdr_id.strip(), "cdr_id")
        return await self._client._request(
            "GET",
            f"/v2/cdr/{segment}",
            _OneCdr(self._decoder),
            timeout=timeout,
        )

    async def list(
        self,
        *,
        page: int | None = None,
        limit: int = 50,
        offset: int | None = None,
        scroll_id: str | None = None,
        timeout: Timeout | None = None,
        **filters: Unpack[CdrFilters],
    ) -> Page[AnyCdr]:
        """``GET /v2/cdr``: one page.

        With ``page`` or ``offset`` the API paginates (``.total`` is set);
        without, it starts a scroll and ``.next_cursor`` is the ``scroll_id``
        to pass back for the next batch.
        """
        check_paging(
            page_size=limit, max_items=None, concurrency=1, prefetch=0, max_page_size=MAX_PAGE_SIZE
        )
        if page is not None and page < 1:
            raise ValidationError(f"page must be >= 1, got {page}")
        if offset is not None and offset < 0:
            raise ValidationError(f"offset must be >= 0, got {offset}")
        params = self._filters(filters)
        if scroll_id is not None and not scroll_id.strip():
            # The server reads an empty cursor as an expired one.
            raise ValidationError("scroll_id must not be empty (leave it out to start a scroll)")
        params.update(page=page, limit=limit, offset=offset, scroll_id=scroll_id)
        return await self._fetch(params, timeout)

    def pages(self, **options: Unpack[CdrPaging]) -> AsyncGenerator[Page[AnyCdr], None]:
        """Every matching page, in order.

        ``pagination="scroll"`` (the default) follows ``scroll_id``, or offsets
        if the server answers with ``limit/offset/total`` instead.
        ``pagination="offset"`` pages by offset and allows ``concurrency``
        pages in flight once ``total`` is known. ``prefetch=1`` fetches the
        next page while you work on the current one.
        """
        walk = read_paging(
            options,
            page_size=DEFAULT_PAGE_SIZE,
            max_page_size=MAX_PAGE_SIZE,
            concurrency=options.get("concurrency", 1),
        )
        params = self._filters(options)
        params["limit"] = walk.page_size
        strategy: Strategy
        if options.get("pagination", "scroll") == "offset":
            params["offset"] = 0
            strategy = OffsetPagination()
        else:
            strategy = ScrollPagination()
        return iterate_pages(
            lambda p: self._fetch(p, walk.timeout),
            strategy,
            params,
            max_items=walk.max_items,
            concurrency=walk.concurrency,
            prefetch=walk.prefetch,
        )

    def iterate(self, **options: Unpack[CdrPaging]) -> AsyncGenerator[AnyCdr, None]:
        """Every matching record, page by page (see :meth:`pages`)."""
        return iterate_items(self.pages(**options))
