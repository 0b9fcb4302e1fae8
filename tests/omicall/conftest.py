"""Fixtures for the OMICall tests: a simulator on 127.0.0.1 and a client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from telcall.omicall import AsyncOmicallClient
from telcall.simulator._omicall import OmicallSimulator


@pytest.fixture
def sim(omicall_simulator: OmicallSimulator) -> OmicallSimulator:
    """The plugin's ``omicall_simulator``: 2,000 calls over 91 days, 25 contacts, seed 1."""
    return omicall_simulator


@pytest.fixture
async def client(sim: OmicallSimulator) -> AsyncIterator[AsyncOmicallClient]:
    """A client for ``sim`` that does not retry (faults stay visible)."""
    async with AsyncOmicallClient(
        base_url=sim.base_url, api_key=sim.api_key, max_retries=0
    ) as omicall:
        yield omicall
