"""Type-checked, never run: raw responses keep the plain call's exact types."""

from __future__ import annotations

from typing import assert_type

from telcall import AsyncOmicallClient, AsyncTel4vnClient, Tel4vnClient
from telcall._core.pagination import Page
from telcall._core.raw import RawResponse
from telcall.omicall.models import Contact
from telcall.tel4vn.models import AnyCdr, LiveCallList


async def async_api(client: AsyncTel4vnClient, omicall: AsyncOmicallClient) -> None:
    raw = await client.with_raw_response.cdrs.list(limit=10)
    assert_type(raw, RawResponse[Page[AnyCdr]])
    assert_type(raw.parse(), Page[AnyCdr])
    assert_type(raw.status, int)
    assert_type((await client.with_raw_response.calls.list()).parse(), LiveCallList)
    assert_type(client.with_options(max_retries=0), AsyncTel4vnClient)
    assert_type((await omicall.with_raw_response.contacts.get(phone="0899888998")).parse(), Contact)


def sync_api(client: Tel4vnClient) -> None:
    raw = client.with_raw_response.cdrs.get("id")
    assert_type(raw, RawResponse[AnyCdr])
    assert_type(raw.parse(), AnyCdr)
    assert_type(raw.attempts, int)
    assert_type(client.with_options(timeout=3), Tel4vnClient)
