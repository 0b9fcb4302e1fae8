"""How ``pages`` and ``iterate`` walk a listing: one definition of their paging options.

Every listing's ``pages`` and ``iterate`` take the same keyword arguments, as
``**options: Unpack[<Listing>Paging]``: a TypedDict that joins :class:`Paging` (or
:class:`SerialPaging`, for listings that cannot fetch pages concurrently) and the listing's
filters. ``iterate`` passes them on to ``pages`` as they are, so the two cannot drift; mypy and
editors see every name and type. The defaults are the listing's, applied by :func:`read_paging`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from .pagination import check_paging
from .transport import Timeout

__all__ = ("Paging", "SerialPaging", "Walk", "read_paging")


class SerialPaging(TypedDict, total=False):
    """The paging options of every listing's ``pages`` and ``iterate``.

    ``page_size``: records per request (the listing's default; at most its maximum).
    ``max_items``: stop after this many records (unset: every record). ``prefetch``: ``1``
    fetches the next page while you work on the current one (default ``0``). ``timeout``:
    per request, as everywhere.
    """

    page_size: int
    max_items: int | None
    prefetch: int
    timeout: Timeout | None


class Paging(SerialPaging, total=False):
    """:class:`SerialPaging` and ``concurrency``: pages in flight once ``total`` is known."""

    concurrency: int


@dataclass(frozen=True, slots=True)
class Walk:
    """The paging options of one call, with the listing's defaults, checked."""

    page_size: int
    max_items: int | None
    concurrency: int
    prefetch: int
    timeout: Timeout | None


def read_paging(
    options: SerialPaging, *, page_size: int, max_page_size: int, concurrency: int = 1
) -> Walk:
    """``options`` with the listing's ``page_size`` default, checked before any I/O.

    ``concurrency`` is the caller's ``options.get("concurrency", 1)`` for a :class:`Paging`
    listing (a :class:`SerialPaging` one has no such option).
    """
    walk = Walk(
        page_size=options.get("page_size", page_size),
        max_items=options.get("max_items"),
        concurrency=concurrency,
        prefetch=options.get("prefetch", 0),
        timeout=options.get("timeout"),
    )
    check_paging(
        page_size=walk.page_size,
        max_items=walk.max_items,
        concurrency=walk.concurrency,
        prefetch=walk.prefetch,
        max_page_size=max_page_size,
    )
    return walk
