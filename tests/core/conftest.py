"""Fixtures for core tests that need a server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from telcall import AsyncTel4vnClient
from telcall.simulator import Tel4vnSimulator


@pytest.fixture
async def client_sim(
    tel4vn_simulator: Tel4vnSimulator,
) -> AsyncIterator[tuple[AsyncTel4vnClient, Tel4vnSimulator]]:
    """A client and the simulator it talks to."""
    async with AsyncTel4vnClient(
        base_url=tel4vn_simulator.base_url, api_key=tel4vn_simulator.api_key
    ) as client:
        yield client, tel4vn_simulator
