"""Raw responses: ``client.with_raw_response.<resource>.<method>(...)``, async and sync."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from telcall import AsyncAICallCenterClient, AsyncTel4vnClient, Tel4vnClient, errors
from telcall._core.pagination import Page
from telcall._core.raw import RawResponse
from telcall.simulator import AICallCenterSimulator, Reply, Tel4vnSimulator

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


async def test_raw_list_describes_the_answer(
    client: AsyncTel4vnClient, sim: Tel4vnSimulator
) -> None:
    """Status, headers, elapsed, method, URL and attempts; ``parse()`` is the typed page."""
    raw = await client.with_raw_response.cdrs.list(limit=3)
    assert isinstance(raw, RawResponse)
    assert (raw.status, raw.method, raw.attempts) == (200, "GET", 1)
    assert raw.url == f"{sim.base_url}/v2/cdr?limit=3"
    assert raw.headers["Content-Type"].startswith("application/json")
    assert raw.elapsed > 0
    page = raw.parse()
    assert isinstance(page, Page)
    assert len(page.items) == 3


async def test_raw_counts_attempts(client: AsyncTel4vnClient, sim: Tel4vnSimulator) -> None:
    """A call retried twice reports three attempts and the final status."""
    await client.calls.list()
    sim.script(503, times=2, path="/v2/call")
    raw = await client.with_raw_response.calls.list()
    assert (raw.status, raw.attempts) == (200, 3)


async def test_raw_carries_the_request_id(client: AsyncTel4vnClient, sim: Tel4vnSimulator) -> None:
    """A success answer's ``X-Request-Id`` is ``raw.request_id``."""
    await client.calls.list()
    body = {"data": [], "total": 0}
    sim.script(Reply(200, body=body, headers={"X-Request-Id": "rq-7"}), times=1, path="/v2/call")
    raw = await client.with_raw_response.calls.list()
    assert raw.request_id == "rq-7"
    assert raw.parse().total == 0


async def test_raw_errors_raise_as_usual(client: AsyncTel4vnClient, sim: Tel4vnSimulator) -> None:
    """A refused call raises its API error through the raw twin too."""
    sim.script(404, times=1, path="/v2/cdr/")
    with pytest.raises(errors.NotFoundError):
        await client.with_raw_response.cdrs.get("nope")


async def test_raw_url_and_headers_are_redacted() -> None:
    """AI Call Center's token travels in the query: the raw URL shows ``***``."""
    async with AICallCenterSimulator(calls_per_campaign=3) as sim:
        client = AsyncAICallCenterClient(base_url=sim.base_url, secret_key=sim.secret_key)
        async with client:
            raw = await client.with_raw_response.users.calls.list()
            secrets = set(client._transport.redactor._values)
    assert "access_token=***" in raw.url
    assert secrets
    for secret in secrets:
        assert secret not in raw.url
        assert secret not in repr(dict(raw.headers))


def test_sync_raw(tel4vn_simulator_sync: Tel4vnSimulator) -> None:
    """The sync facade's raw twin returns the same RawResponse over the bridge."""
    sim = tel4vn_simulator_sync
    with Tel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as client:
        record = client.cdrs.list(limit=1).items[0]
        raw = client.with_raw_response.cdrs.get(record.id)
    assert (raw.status, raw.attempts, raw.method) == (200, 1, "GET")
    assert raw.parse() == record


@pytest.mark.slow
def test_type_checker_sees_exact_raw_types() -> None:
    """mypy --strict accepts the assert_type lines of tests/observability/typing/raw_api.py."""
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", str(HERE / "typing" / "raw_api.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
