"""AI Call Center success decoders require ``status: 1`` and the ``results`` a success carries."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from telcall import errors
from telcall._core.transport import Response
from telcall.aicallcenter import AsyncAICallCenterClient
from telcall.aicallcenter.models import CallListResponse, ImportResponse, TokenResponse
from telcall.simulator import Reply
from telcall.simulator._aicallcenter import AICallCenterSimulator


def answer(body: Any, status: int = 200) -> Response:
    """A JSON response as the transport hands it to the client."""
    content = msgspec.json.encode(body)
    return Response(status, {"Content-Type": "application/json"}, content, "GET", "http://x/y")


@pytest.fixture
def offline() -> AsyncAICallCenterClient:
    """A client that is never used for I/O, for its decode path."""
    return AsyncAICallCenterClient(base_url="http://127.0.0.1:9", secret_key="k")


@pytest.mark.parametrize(
    ("model", "body"),
    [
        pytest.param(CallListResponse, {"status": 1}, id="export-without-results"),
        pytest.param(CallListResponse, {"status": 1, "results": {"total": 5}}, id="no-calls"),
        pytest.param(ImportResponse, {"status": "1", "message": "ok"}, id="import-no-results"),
        pytest.param(TokenResponse, {"results": {"access_token": "t"}}, id="token-no-status"),
    ],
)
def test_an_answer_without_its_success_markers_is_a_decode_error(
    offline: AsyncAICallCenterClient, model: type[Any], body: Any
) -> None:
    """A 200 body missing ``status: 1`` or ``results`` never decodes as a success."""
    with pytest.raises(errors.DecodeError):
        offline._decode(answer(body), msgspec.json.Decoder(model))


@pytest.mark.parametrize(
    ("body", "cls"),
    [
        pytest.param(
            {"status": 0, "code": "03", "message": "stopped"}, errors.ProviderError, id="0"
        ),
        pytest.param({"status": "0", "code": 1, "message": "x"}, errors.NotFoundError, id="str-0"),
        pytest.param({"status": 2, "message": "?"}, errors.ProviderError, id="other-status"),
    ],
)
def test_any_status_but_1_is_a_refusal(
    offline: AsyncAICallCenterClient, body: Any, cls: type[Any]
) -> None:
    """``status`` 0 (as 0 or "0"), or any value but 1, raises by ``code``."""
    with pytest.raises(errors.APIError) as caught:
        offline._decode(answer(body), msgspec.json.Decoder(CallListResponse))
    assert type(caught.value) is cls


async def test_export_refused_mid_listing_raises(
    sim: AICallCenterSimulator, client: AsyncAICallCenterClient
) -> None:
    """A ``status: 0`` answer on page two raises instead of ending the listing early."""
    pages = client.campaigns.calls.pages(sim.campaign_id, page_size=10)
    assert len((await pages.__anext__()).items) == 10
    sim.script(Reply(200, {"status": 0, "code": "03", "message": "stopped"}), path="/api/campaigns")
    with pytest.raises(errors.ProviderError) as caught:
        await pages.__anext__()
    await pages.aclose()
    assert caught.value.code == "03"
