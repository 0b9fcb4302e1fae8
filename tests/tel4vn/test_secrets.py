"""Api keys and tokens never reach logs, reprs or error messages."""

from __future__ import annotations

import logging

import pytest

from telcall import AsyncTel4vnClient, errors
from telcall.simulator import Drop, Reply, Tel4vnSimulator


def _bearer(sim: Tel4vnSimulator) -> str:
    """The token the client sent with its latest request."""
    return sim.requests[-1].headers["Authorization"].removeprefix("Bearer ")


async def test_secrets_absent_from_debug_logs_reprs_and_errors(
    tel4vn_simulator: Tel4vnSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A full session with failures leaks neither the api key nor the token anywhere."""
    sim = tel4vn_simulator
    seen: list[str] = []
    with caplog.at_level(logging.DEBUG):
        async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as client:
            await client.calls.list()
            token = _bearer(sim)
            assert token
            seen += [repr(client), repr(client._tokens), repr(client.cdrs)]
            sim.script(Reply(401, {"code": 401, "content": f"bad token {token}"}), times=2)
            with pytest.raises(errors.AuthenticationError) as auth_error:
                await client.calls.list()
            seen += [str(auth_error.value), repr(auth_error.value), auth_error.value.url]
            client._transport.retry.max_retries = 0
            sim.script(Drop(), path="/v2/cdr")
            with pytest.raises(errors.TransportError) as transport_error:
                await client.cdrs.list(page=1)
            seen += [str(transport_error.value), transport_error.value.url]
            new_token = _bearer(sim)
            account = await client.auth.login(sim.username, sim.password)
            seen.append(repr(account))
    seen += [r.getMessage() for r in caplog.records]
    text = "\n".join(seen)
    assert caplog.records, "expected DEBUG records to inspect"
    for secret in (sim.api_key, token, new_token, sim.password):
        assert secret
        assert secret not in text


async def test_static_token_absent_from_repr_and_errors(tel4vn_simulator: Tel4vnSimulator) -> None:
    """A caller-supplied token is masked too."""
    async with AsyncTel4vnClient(base_url=tel4vn_simulator.base_url, token="tok-123456") as client:
        with pytest.raises(errors.AuthenticationError) as caught:
            await client.calls.list()
    assert "tok-123456" not in repr(client) + str(caught.value) + repr(caught.value)
