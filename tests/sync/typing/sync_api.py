"""Type-checked, never run: the sync facade's signatures as a type checker sees them."""

from __future__ import annotations

from typing import assert_type

from telcall._core.pagination import Page
from telcall._sync import SyncIterator, Tel4vnClient
from telcall.tel4vn.models import AnyCdr, EventHook, UserStatus

with Tel4vnClient(base_url="http://127.0.0.1", api_key="key") as client:
    assert_type(client, Tel4vnClient)
    assert_type(client.cdrs.get("id"), AnyCdr)
    assert_type(client.cdrs.list(limit=10), Page[AnyCdr])
    assert_type(client.cdrs.pages(page_size=100), SyncIterator[Page[AnyCdr]])
    assert_type(client.cdrs.iterate(max_items=5), SyncIterator[AnyCdr])
    assert_type(next(client.cdrs.iterate()), AnyCdr)
    assert_type(client.events.list(), list[EventHook])
    assert_type(client.users.status("101"), UserStatus)
    assert_type(client.base_url, str)
    assert_type(client.close(), None)
    with client.cdrs.iterate() as records:
        for record in records:
            assert_type(record, AnyCdr)
    # One filter definition (``CdrFilters``): the same names and types on list/pages/iterate.
    assert_type(client.cdrs.iterate(phone="0899888998", direction="outbound"), SyncIterator[AnyCdr])
    assert_type(client.cdrs.list(start_date="2026-11-01", extra_query={"x": 1}), Page[AnyCdr])
    client.cdrs.pages(phones="0899888998")  # type: ignore[call-arg]
    client.cdrs.iterate(duration="5")  # type: ignore[arg-type]
    client.calls.list(extra_headers={"X-Tenant": 5})  # type: ignore[dict-item]
    # The shared constructor settings (``ClientSettings``) are typed too.
    Tel4vnClient(api_key="key", max_retries="2")  # type: ignore[arg-type]
