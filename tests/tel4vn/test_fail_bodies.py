"""TEL4VN success decoders require a success: refusals with HTTP 200 raise, on every endpoint kind.

The hostile suite (``tests/hostile``) runs every shape on every method; these cases pin the
details: codes and messages kept, a missing ``data`` key, the login envelope, one parse.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from telcall import AsyncTel4vnClient, errors
from telcall._core import client as core_client
from telcall._core.transport import Response
from telcall.simulator import Reply, Tel4vnSimulator
from telcall.tel4vn import models


def answer(body: Any, status: int = 200) -> Response:
    """A JSON response as the transport hands it to the client."""
    return Response(
        status, {"Content-Type": "application/json"}, msgspec.json.encode(body), "GET", "http://x/y"
    )


@pytest.fixture
def offline() -> AsyncTel4vnClient:
    """A client that is never used for I/O, for its decode path."""
    return AsyncTel4vnClient(base_url="http://127.0.0.1:9", api_key="k")


@pytest.mark.parametrize(
    ("model", "body"),
    [
        pytest.param(models.CdrPage, {"code": 200, "content": "successfully"}, id="cdr-page"),
        pytest.param(models.LiveCallList, {"total": 0}, id="live-calls"),
        pytest.param(models.EventHookList, {"status": "ok"}, id="event-hooks"),
        pytest.param(models.CustomerList, {"code": 200, "total": 3}, id="customers"),
        pytest.param(models.CustomerResponse, {"code": 200, "content": "ok"}, id="customer"),
        pytest.param(models.UserStatusResponse, {"code": 200}, id="user-status"),
        pytest.param(models.TokenResponse, {"code": 200, "content": "ok"}, id="token"),
        pytest.param(models.CustomerCreated, {"code": 201}, id="customer-created"),
        pytest.param(models.AutocallResult, {"content": "successfully"}, id="autocall-no-code"),
        pytest.param(models.Click2CallResult, {"call_id": "c1"}, id="click2call-no-status"),
        pytest.param(models.EventCreated, {}, id="event-created"),
    ],
)
def test_an_answer_without_its_success_markers_is_a_decode_error(
    offline: AsyncTel4vnClient, model: type[Any], body: Any
) -> None:
    """A 200 body missing what a success carries (data, code, status) is never a success."""
    with pytest.raises(errors.DecodeError):
        offline._decode(answer(body), msgspec.json.Decoder(model))


@pytest.mark.parametrize(
    ("body", "cls", "code", "message"),
    [
        pytest.param(
            {"status": "fail", "error": "INTERNAL_ERROR"},
            errors.ProviderError,
            "INTERNAL_ERROR",
            "INTERNAL_ERROR",
            id="status-fail",
        ),
        pytest.param(
            {"status": "FAIL", "error": "USER_BUSY", "message": "Extension is busy"},
            errors.ProviderError,
            "USER_BUSY",
            "Extension is busy",
            id="status-fail-upper-case",
        ),
        pytest.param(
            {"code": 500, "content": "Internal Server Error"},
            errors.ServerError,
            "500",
            "Internal Server Error",
            id="code-500",
        ),
        pytest.param(
            {"code": "404", "content": "queue not found"},
            errors.NotFoundError,
            "404",
            "queue not found",
            id="code-as-string",
        ),
        pytest.param(
            {"message": " queue not found "},
            errors.NotFoundError,
            "queue not found",
            "queue not found",
            id="message",
        ),
    ],
)
def test_refusals_keep_the_providers_code_and_message(
    offline: AsyncTel4vnClient, body: Any, cls: type[Any], code: str, message: str
) -> None:
    """A CDR page answered with a refusal raises its class with the provider's words."""
    with pytest.raises(errors.APIError) as caught:
        offline._decode(answer(body), msgspec.json.Decoder(models.CdrPage))
    assert type(caught.value) is cls
    assert (caught.value.code, caught.value.message, caught.value.status) == (code, message, 200)


def test_a_refusal_is_parsed_once(
    offline: AsyncTel4vnClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The failure path parses the body once, whatever the shape (it used to parse 2-3 times)."""
    parses: list[bytes] = []
    lenient = core_client._lenient

    class Counting:
        def decode(self, content: bytes) -> Any:
            parses.append(content)
            return lenient.decode(content)

    monkeypatch.setattr(core_client, "_lenient", Counting())
    for body in ({"status": "fail", "error": "X"}, {"code": 404}, {"message": "nope"}, {}):
        parses.clear()
        with pytest.raises(errors.TelcallError):
            offline._decode(answer(body), msgspec.json.Decoder(models.CdrPage))
        assert len(parses) == 1, body


async def test_login_refused_with_http_200_is_an_authentication_error(
    tel4vn_simulator: Tel4vnSimulator,
) -> None:
    """Login is a coded envelope: ``{"code": 401}`` with HTTP 200 raises, not an empty account."""
    sim = tel4vn_simulator
    sim.script(
        Reply(200, {"code": 401, "content": "unauthorized", "error": "Unauthorized"}),
        path="/v1/auth",
    )
    async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as client:
        with pytest.raises(errors.AuthenticationError) as caught:
            await client.auth.login("admin", "secret")
    assert caught.value.status == 200


def test_a_good_page_is_one_typed_decode(
    offline: AsyncTel4vnClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A success never touches the lenient parser: one typed decode and nothing else."""

    class Refuse:
        def decode(self, content: bytes) -> Any:
            raise AssertionError("a success was parsed leniently")

    monkeypatch.setattr(core_client, "_lenient", Refuse())
    body = {"data": [{"id": "c1", "status": "ANSWERED"}], "scroll_id": "s1"}
    page = offline._decode(answer(body), msgspec.json.Decoder(models.CdrPage))
    assert [c.id for c in page.data] == ["c1"]


@pytest.mark.parametrize(
    ("path", "call"),
    [
        pytest.param(
            "/v1/event",
            lambda c: c.events.create(callback_url="https://crm.example.vn/hook", event="hangup"),
            id="created-false",
        ),
        pytest.param("/v1/event/e1", lambda c: c.events.delete("e1"), id="deleted-false"),
    ],
)
async def test_an_outcome_flag_set_to_false_is_a_provider_error(
    tel4vn_simulator: Tel4vnSimulator, path: str, call: Any
) -> None:
    """``{"created": false}`` / ``{"deleted": false}`` with HTTP 200 raise instead of returning."""
    sim = tel4vn_simulator
    flag = "created" if path == "/v1/event" else "deleted"
    sim.script(Reply(200, {flag: False}), path=path)
    async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as client:
        with pytest.raises(errors.ProviderError, match=flag) as caught:
            await call(client)
    assert caught.value.status == 200
