"""Fixtures for the observability tests: a TEL4VN client on the loopback simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from telcall import AsyncTel4vnClient
from telcall.simulator import Tel4vnSimulator


@pytest.fixture
async def sim() -> AsyncIterator[Tel4vnSimulator]:
    """A small TEL4VN simulator (30 CDRs)."""
    async with Tel4vnSimulator(cdrs=30, seed=7) as simulator:
        yield simulator


@pytest.fixture
async def client(sim: Tel4vnSimulator) -> AsyncIterator[AsyncTel4vnClient]:
    """A client of ``sim`` whose retries wait milliseconds, closed after the test."""
    async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as parent:
        yield parent.with_options(backoff_base=0.001, backoff_cap=0.002)
