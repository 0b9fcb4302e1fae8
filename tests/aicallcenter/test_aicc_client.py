"""AI Call Center client: seed samples, the envelope error table, tokens, redaction."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import msgspec
import pytest
from aioresponses import aioresponses

from telcall import CallStatus, Direction
from telcall.aicallcenter import AsyncAICallCenterClient
from telcall.aicallcenter.models import CallListResponse, ImportResponse, TokenResponse
from telcall.errors import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    ProviderError,
    ServerError,
    ValidationError,
)

_SAMPLES = json.loads((Path(__file__).parent / "data" / "seed_004_samples.json").read_bytes())

BASE = "https://es.aicallcenter.vn"
SECRET = "aicc-secret-5b4a3c2d1e"


def sample(name):
    """The named seed sample as JSON bytes (its repair when the seed's text is not JSON)."""
    entry = _SAMPLES[name]
    return entry.get("json", entry["verbatim"]).encode()


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        pytest.param("IMPORT_OK", ImportResponse, id="import-ok"),
        pytest.param("IMPORT_401", ImportResponse, id="import-401"),
        pytest.param("IMPORT_400", ImportResponse, id="import-400"),
        pytest.param("IMPORT_01", ImportResponse, id="import-01"),
        pytest.param("IMPORT_03", ImportResponse, id="import-03"),
        pytest.param("EXPORT_OK", CallListResponse, id="export-ok"),
        pytest.param("EXPORT_401", CallListResponse, id="export-401"),
        pytest.param("EXPORT_01", CallListResponse, id="export-01"),
        pytest.param("TOKEN_OK", TokenResponse, id="token-ok"),
        pytest.param("TOKEN_401", TokenResponse, id="token-401"),
        pytest.param("CALL_LOG_OK", CallListResponse, id="call-log-ok"),
        pytest.param("CALL_LOG_401", CallListResponse, id="call-log-401"),
    ],
)
def test_seed_samples_decode(name, kind):
    """Success samples decode; a ``status: 0`` sample does not decode as the success type."""
    if '"status": 0' in _SAMPLES[name]["verbatim"]:
        with pytest.raises(msgspec.ValidationError):
            msgspec.json.decode(sample(name), type=kind)
    else:
        assert msgspec.json.decode(sample(name), type=kind).status in (1, "1")


def test_export_sample_fields():
    """The export sample's call decodes field by field and converts to a CallRecord."""
    answer = msgspec.json.decode(sample("EXPORT_OK"), type=CallListResponse)
    assert (answer.results.limit, answer.results.total) == (10, 1000)
    [call] = answer.results.calls
    assert (call.caller_id, call.called_at, call.key_press, call.state) == (
        "090xxxx",
        "2020-01-31 10:16:44",
        "1 (29)",
        40,
    )
    record = call.to_call_record()
    assert (record.status, record.direction, record.billsec) == (
        CallStatus.ANSWERED,
        Direction.OUTBOUND,
        8,
    )
    assert record.started_at is not None
    assert record.started_at.isoformat() == "2020-01-31T10:16:44+07:00"


@pytest.mark.parametrize(
    ("state", "status"),
    [
        pytest.param(40, CallStatus.ANSWERED, id="40"),
        pytest.param(50, CallStatus.FAILED, id="50"),
        pytest.param(None, CallStatus.UNKNOWN, id="none"),
    ],
)
def test_state_to_status(state, status):
    """state 40 is answered, 50 failed; a failed call has no talk time."""
    answer = msgspec.json.decode(sample("CALL_LOG_OK"), type=CallListResponse)
    call = msgspec.structs.replace(answer.results.calls[0], state=state)
    record = call.to_call_record()
    assert record.status == status
    assert record.billsec == (8 if state == 40 else 0)


def test_import_sample_results():
    """The import sample lists accepted phones with their call ids."""
    answer = msgspec.json.decode(sample("IMPORT_OK"), type=ImportResponse)
    assert [(r.phone_number, r.call_id) for r in answer.results] == [("090xxxxxx", 1234)]


@pytest.mark.parametrize(
    ("status", "body", "cls", "code"),
    [
        pytest.param(200, sample("IMPORT_401"), AuthenticationError, "401", id="401-http200"),
        pytest.param(200, sample("IMPORT_400"), BadRequestError, "400", id="400"),
        pytest.param(200, sample("IMPORT_01"), NotFoundError, "01", id="01"),
        pytest.param(200, sample("IMPORT_03"), ProviderError, "03", id="03"),
        pytest.param(
            200, '{"status": 0, "code": 1, "message": "x"}', NotFoundError, "1", id="01-as-int"
        ),
        pytest.param(
            200,
            '{"status": 0, "code": 401, "message": "x"}',
            AuthenticationError,
            "401",
            id="401-as-int",
        ),
        pytest.param(
            200,
            '{"status": 0, "code": "99", "message": "x"}',
            ProviderError,
            "99",
            id="unknown-code",
        ),
        pytest.param(401, sample("IMPORT_401"), AuthenticationError, "401", id="401-http401"),
        pytest.param(400, sample("IMPORT_01"), NotFoundError, "01", id="01-http400"),
        pytest.param(502, b"<html>bad gateway</html>", ServerError, None, id="html-502"),
    ],
)
async def test_envelope_error_mapping(status, body, cls, code):
    """Each failure maps by its code (string or integer) whatever the HTTP status."""
    async with AsyncAICallCenterClient(access_token="tk-7391-secret", max_retries=0) as client:
        with aioresponses() as mocked:
            url = re.compile(re.escape(BASE) + r"/api/campaigns/c1/export.*")
            mocked.get(url, status=status, body=body)
            with pytest.raises(cls) as info:
                await client.campaigns.calls.list("c1")
    assert type(info.value) is cls
    assert info.value.code == code
    assert info.value.provider == "aicallcenter"
    assert "tk-7391-secret" not in str(info.value)


def test_defaults_and_env(monkeypatch):
    """The base URL defaults to es.aicallcenter.vn; credentials come from the environment."""
    monkeypatch.delenv("TELCALL_AICALLCENTER_BASE_URL", raising=False)
    monkeypatch.setenv("TELCALL_AICALLCENTER_SECRET_KEY", SECRET)
    client = AsyncAICallCenterClient()
    assert client.base_url == BASE
    assert SECRET not in repr(client)
    monkeypatch.setenv("TELCALL_AICALLCENTER_BASE_URL", "http://aicc.test")
    assert AsyncAICallCenterClient().base_url == "http://aicc.test"


def test_credentials_required(monkeypatch):
    """Without a secret key or token the constructor raises ValidationError."""
    monkeypatch.delenv("TELCALL_AICALLCENTER_SECRET_KEY", raising=False)
    monkeypatch.delenv("TELCALL_AICALLCENTER_ACCESS_TOKEN", raising=False)
    with pytest.raises(ValidationError):
        AsyncAICallCenterClient()


async def test_token_in_query_for_get_and_body_for_post(sim, client):
    """The token goes in the query of a GET and in the JSON body of a POST, never a header."""
    await client.campaigns.calls.list(sim.campaign_id)
    await client.campaigns.import_contacts(sim.campaign_id, [{"phone_number": "0901234567"}])
    token_request, get, post = sim.requests
    assert token_request.query == {"secret_key": sim.secret_key}
    token = get.query["access_token"]
    body = msgspec.json.decode(post.body)
    assert list(body) == ["access_token", "contacts"]
    assert body["access_token"] == token
    assert "access_token" not in post.query
    assert all("Authorization" not in r.headers for r in sim.requests)


async def test_token_cached(sim, client):
    """One token serves every call until refused."""
    for _ in range(3):
        await client.users.calls.list()
    assert sim.count("GET", "/api/users/generate-access-token") == 1


async def test_regenerated_once_after_401(sim, client):
    """A refused token (status 0, code "401", HTTP 200) is regenerated once and replayed."""
    await client.users.calls.list()
    sim.expire_tokens()
    page = await client.users.calls.list()
    assert page.total == 360
    assert sim.count("GET", "/api/users/generate-access-token") == 2


async def test_post_replay_carries_new_token(sim, client):
    """The replayed import carries the regenerated token, not the refused one."""
    await client.users.calls.list()
    old = sim.requests[-1].query["access_token"]
    sim.expire_tokens()
    result = await client.campaigns.import_contacts(
        sim.campaign_id, [{"phone_number": "0901234567"}]
    )
    assert len(result.accepted) == 1
    first, second = (msgspec.json.decode(r.body) for r in sim.requests if r.method == "POST")
    assert first["access_token"] == old
    assert second["access_token"] not in (old, None)


async def test_rotated_secret_fails_after_one_regeneration(sim, client, caplog):
    """After the secret changes, one regeneration is tried, then AuthenticationError, redacted."""
    caplog.set_level(logging.DEBUG, logger="telcall")
    await client.users.calls.list()
    token = sim.requests[-1].query["access_token"]
    sim.rotate_secret()
    with pytest.raises(AuthenticationError) as info:
        await client.users.calls.list()
    assert sim.count("GET", "/api/users/generate-access-token") == 2
    error = info.value
    assert error.code == "401"
    texts = [str(error), repr(error), error.url, caplog.text, repr(client)]
    for secret in (SECRET, sim.secret_key, token, client_secret(client)):
        for text in texts:
            assert secret not in text
    assert "secret_key=***" in caplog.text
    assert "access_token=***" in caplog.text


def client_secret(client):
    """The secret key the client was built with."""
    return client._secret


async def test_wrong_secret_is_authentication_error(sim):
    """A wrong secret key raises AuthenticationError at once, with the key redacted."""
    async with AsyncAICallCenterClient(base_url=sim.base_url, secret_key=SECRET) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.users.calls.list()
    assert "secret_key=***" in info.value.url
    assert SECRET not in str(info.value)
    assert sim.count("GET", "/api/users/generate-access-token") == 1


async def test_static_token_is_not_regenerated(sim, client):
    """A caller-supplied access_token is used as is; a refusal raises at once."""
    await client.users.calls.list()
    token = sim.requests[-1].query["access_token"]
    async with AsyncAICallCenterClient(base_url=sim.base_url, access_token=token) as static:
        assert (await static.users.calls.list()).total == 360
        assert token not in repr(static)
        sim.expire_tokens()
        with pytest.raises(AuthenticationError):
            await static.users.calls.list()
    assert sim.count("GET", "/api/users/generate-access-token") == 1
