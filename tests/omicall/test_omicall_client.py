"""OMICall client: construction, tokens, the envelope error mapping, redaction."""

from __future__ import annotations

import logging
import re

import pytest
from aioresponses import aioresponses

from telcall.errors import (
    AuthenticationError,
    BadRequestError,
    DecodeError,
    NotFoundError,
    ProviderError,
    ServerError,
    ValidationError,
)
from telcall.omicall import AsyncOmicallClient
from telcall.omicall.client import TOKEN_LIFETIME
from telcall.simulator import Reply

BASE = "http://omicall.test"
API_KEY = "omi-api-key-9f8e7d"


def _envelope(payload, status_code=9999):
    return {
        "instance_id": "stg",
        "payload": payload,
        "instance_version": "1.2.164",
        "key_enabled": False,
        "status_code": status_code,
    }


def _fail(error, message="refused"):
    return _envelope({"status": "fail", "error": error, "message": message}, -9999)


def test_env_vars(monkeypatch):
    """Base URL and api key come from the environment when not given."""
    monkeypatch.setenv("TELCALL_OMICALL_BASE_URL", BASE)
    monkeypatch.setenv("TELCALL_OMICALL_API_KEY", API_KEY)
    client = AsyncOmicallClient()
    assert client.base_url == BASE
    assert API_KEY not in repr(client)


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"api_key": API_KEY}, id="no-base-url"),
        pytest.param({"base_url": BASE}, id="no-credentials"),
        pytest.param({"base_url": "omicall.test", "api_key": API_KEY}, id="no-scheme"),
    ],
)
def test_constructor_rejects(monkeypatch, kwargs):
    """Missing settings raise ValidationError at construction."""
    for name in ("TELCALL_OMICALL_BASE_URL", "TELCALL_OMICALL_API_KEY", "TELCALL_OMICALL_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValidationError):
        AsyncOmicallClient(**kwargs)


async def test_token_obtained_once_and_sent_as_bearer(sim, client):
    """One GET /api/auth serves many calls; each call carries the Bearer token."""
    await client.contacts.list()
    await client.contacts.layout()
    assert sim.count("GET", "/api/auth") == 1
    assert sim.api_key != API_KEY
    assert {"apiKey": sim.api_key} == sim.requests[0].query
    auth = {r.headers["Authorization"] for r in sim.requests[1:]}
    assert len(auth) == 1
    assert auth.pop().startswith("Bearer ")


async def test_token_renewed_once_after_401(sim, client):
    """A refused token is renewed once and the request replayed."""
    await client.contacts.layout()
    sim.expire_tokens()
    assert await client.contacts.layout()
    assert sim.count("GET", "/api/auth") == 2
    assert sim.count("GET", "/api/source_contact_layout") == 3


async def test_second_401_raises(sim, client):
    """If the renewed token is refused too, AuthenticationError reaches the caller."""
    await client.contacts.layout()
    sim.script(Reply(401, _fail("unauthorized")), times=2, path="/api/source_contact_layout")
    with pytest.raises(AuthenticationError):
        await client.contacts.layout()
    assert sim.count("GET", "/api/auth") == 2


async def test_token_renewed_before_24h(sim, client):
    """The token is cached for 24 hours minus the margin, then fetched again."""
    now = [1000.0]
    client._tokens._clock = lambda: now[0]
    await client.contacts.layout()
    now[0] += TOKEN_LIFETIME - 301
    await client.contacts.layout()
    assert sim.count("GET", "/api/auth") == 1
    now[0] += 2
    await client.contacts.layout()
    assert sim.count("GET", "/api/auth") == 2


async def test_wrong_api_key_is_authentication_error(sim, caplog):
    """A refused api key (HTTP 200, status_code -9999) raises, with the key redacted."""
    caplog.set_level(logging.DEBUG, logger="telcall")
    secret = "wrong-key-123456789"
    async with AsyncOmicallClient(base_url=sim.base_url, api_key=secret) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.contacts.layout()
    error = info.value
    assert (error.code, error.status) == ("invalid_api_key", 200)
    assert "apiKey=***" in error.url
    for text in (str(error), repr(error), error.url, caplog.text, repr(client)):
        assert secret not in text
    assert "apiKey=***" in caplog.text


async def test_static_token(sim):
    """A caller-supplied token is used as is and never renewed."""
    async with AsyncOmicallClient(base_url=sim.base_url, api_key=sim.api_key) as real:
        await real.contacts.layout()
        token = sim.requests[-1].headers["Authorization"].removeprefix("Bearer ")
    async with AsyncOmicallClient(base_url=sim.base_url, token=token) as client:
        assert await client.contacts.layout() != []
        sim.expire_tokens()
        with pytest.raises(AuthenticationError):
            await client.contacts.layout()
    assert sim.count("GET", "/api/auth") == 1


@pytest.mark.parametrize(
    ("status", "body", "cls", "code"),
    [
        pytest.param(
            200,
            _fail("date_is_too_long", "too long"),
            ProviderError,
            "date_is_too_long",
            id="fail-200",
        ),
        pytest.param(
            200, _fail("contact_not_found"), NotFoundError, "contact_not_found", id="not-found-200"
        ),
        pytest.param(
            200, _fail("token_expired"), AuthenticationError, "token_expired", id="token-200"
        ),
        pytest.param(
            401, _fail("unauthorized"), AuthenticationError, "unauthorized", id="http-401"
        ),
        pytest.param(400, _fail("invalid_data"), BadRequestError, "invalid_data", id="http-400"),
        pytest.param(500, "oops", ServerError, None, id="http-500-text"),
        pytest.param(
            200,
            {"status_code": -9999, "payload": "boom"},
            ProviderError,
            None,
            id="fail-odd-payload",
        ),
    ],
)
async def test_envelope_error_mapping(status, body, cls, code):
    """Each failure shape maps onto the error tree with the provider's code and message."""
    async with AsyncOmicallClient(base_url=BASE, token="tok", max_retries=0) as client:
        with aioresponses() as mocked:
            url = re.compile(re.escape(BASE) + r"/api/source_contact_layout/get.*")
            if isinstance(body, str):
                mocked.get(url, status=status, body=body)
            else:
                mocked.get(url, status=status, payload=body)
            with pytest.raises(cls) as info:
                await client.contacts.layout()
    assert type(info.value) is cls
    assert code == info.value.code
    assert info.value.provider == "omicall"
    if isinstance(body, dict) and isinstance(body["payload"], dict):
        assert body["payload"]["message"] == info.value.message


async def test_success_without_status_code_is_not_an_error():
    """A success envelope decodes; an undecodable one is a DecodeError."""
    async with AsyncOmicallClient(base_url=BASE, token="tok", max_retries=0) as client:
        with aioresponses() as mocked:
            url = re.compile(re.escape(BASE) + r"/api/source_contact_layout/get.*")
            mocked.get(url, payload=_envelope([{"field_code": "a", "field_type": "text"}]))
            mocked.get(url, payload=_envelope("not a list"))
            assert (await client.contacts.layout())[0].field_code == "a"
            with pytest.raises(DecodeError):
                await client.contacts.layout()
