"""A TEL4VN client wired to the loopback simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from telcall import AsyncTel4vnClient
from telcall.simulator import Tel4vnSimulator


@pytest.fixture
async def client(tel4vn_simulator: Tel4vnSimulator) -> AsyncIterator[AsyncTel4vnClient]:
    """A client of the default 1,000-CDR simulator, closed after the test."""
    async with AsyncTel4vnClient(
        base_url=tel4vn_simulator.base_url, api_key=tel4vn_simulator.api_key
    ) as client:
        yield client
