"""Shared helpers for the simulator tests: a raw aiohttp client that knows the auth dance."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import msgspec
import pytest

from telcall.simulator import Tel4vnSimulator


class Api:
    """A thin raw-HTTP client for one simulator; decodes every body as JSON when it can."""

    def __init__(self, session: aiohttp.ClientSession, sim: Tel4vnSimulator) -> None:
        self.session = session
        self.sim = sim
        self.token = ""

    async def login(self) -> str:
        """Fetch a token with the simulator's api_key and keep it."""
        status, body = await self.call(
            "POST", "/v2/auth/token", json={"api_key": self.sim.api_key}, auth=False
        )
        assert status == 200, body
        self.token = body["data"]["token"]
        return self.token

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        auth: bool = True,
    ) -> tuple[int, Any]:
        """Send one request; return (status, decoded body or raw bytes)."""
        headers = {"Authorization": f"Bearer {self.token}"} if auth else {}
        async with self.session.request(
            method, self.sim.base_url + path, json=json, params=params, headers=headers
        ) as resp:
            raw = await resp.read()
        try:
            return resp.status, msgspec.json.decode(raw)
        except msgspec.DecodeError:
            return resp.status, raw

    async def get(self, path: str, **params: Any) -> tuple[int, Any]:
        """GET with query parameters."""
        return await self.call("GET", path, params=params or None)

    async def post(self, path: str, body: Any) -> tuple[int, Any]:
        """POST a JSON body."""
        return await self.call("POST", path, json=body)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session."""
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
def make_api(session: aiohttp.ClientSession) -> Callable[[Tel4vnSimulator], Awaitable[Api]]:
    """`await make_api(sim)`: a logged-in client for `sim`."""

    async def make(sim: Tel4vnSimulator) -> Api:
        client = Api(session, sim)
        await client.login()
        return client

    return make


@pytest.fixture
async def api(
    make_api: Callable[[Tel4vnSimulator], Awaitable[Api]], tel4vn_simulator: Tel4vnSimulator
) -> Api:
    """A logged-in client for the default simulator (1,000 CDRs, seed 1)."""
    return await make_api(tel4vn_simulator)


@pytest.fixture
def scroll() -> Callable[..., Awaitable[list[str]]]:
    """`await scroll(api, **params)`: every id a scroll_id cursor yields, in order."""
    return scroll_all


async def scroll_all(api: Api, **params: Any) -> list[str]:
    """Follow a scroll_id cursor to the end; return the stripped ids in order."""
    status, body = await api.get("/v2/cdr", **params)
    assert status == 200, body
    ids: list[str] = []
    while body["data"]:
        ids.extend(cdr_id(r) for r in body["data"])
        status, body = await api.get("/v2/cdr", scroll_id=body["scroll_id"])
        assert status == 200, body
    return ids


def cdr_id(record: dict[str, Any]) -> str:
    """The stripped id of a wire CDR in either mapping."""
    return str(record.get("id", record.get("cdrId"))).strip()
