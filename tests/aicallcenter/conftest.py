"""Fixtures for the AI Call Center tests: a simulator on 127.0.0.1 and a client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from telcall.aicallcenter import AsyncAICallCenterClient
from telcall.simulator._aicallcenter import AICallCenterSimulator


@pytest.fixture
def sim(aicallcenter_simulator: AICallCenterSimulator) -> AICallCenterSimulator:
    """The plugin's ``aicallcenter_simulator``: three campaigns of 120 calls, seed 1."""
    return aicallcenter_simulator


@pytest.fixture
async def client(sim: AICallCenterSimulator) -> AsyncIterator[AsyncAICallCenterClient]:
    """A client for ``sim`` that does not retry (faults stay visible)."""
    async with AsyncAICallCenterClient(
        base_url=sim.base_url, secret_key=sim.secret_key, max_retries=0
    ) as aicc:
        yield aicc
