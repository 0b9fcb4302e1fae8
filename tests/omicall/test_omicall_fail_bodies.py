"""OMICall success decoders require ``status_code: 9999`` and the payload a success carries."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from telcall import errors
from telcall._core.transport import Response
from telcall.omicall import AsyncOmicallClient
from telcall.omicall.models import CallTransactionPage, Contact, ContactPage, Envelope
from telcall.simulator import Reply
from telcall.simulator._omicall import OmicallSimulator


def answer(body: Any, status: int = 200) -> Response:
    """A JSON response as the transport hands it to the client."""
    content = msgspec.json.encode(body)
    return Response(status, {"Content-Type": "application/json"}, content, "POST", "http://x/y")


@pytest.fixture
def offline() -> AsyncOmicallClient:
    """A client that is never used for I/O, for its decode path."""
    return AsyncOmicallClient(base_url="http://127.0.0.1:9", api_key="k")


def envelope(payload: Any, status_code: int = 9999) -> dict[str, Any]:
    """The OMICall envelope around ``payload``."""
    return {
        "instance_id": "i",
        "payload": payload,
        "instance_version": "1",
        "key_enabled": True,
        "status_code": status_code,
    }


@pytest.mark.parametrize(
    ("model", "body"),
    [
        pytest.param(ContactPage, envelope(None), id="page-null-payload"),
        pytest.param(ContactPage, envelope({"page_number": 1}), id="page-without-items"),
        pytest.param(CallTransactionPage, envelope({"has_next": True}), id="calls-without-items"),
        pytest.param(Contact, envelope(None), id="contact-null-payload"),
        pytest.param(ContactPage, {"payload": {"items": []}}, id="no-status-code"),
        pytest.param(ContactPage, envelope({"items": []}, status_code=200), id="other-code"),
    ],
)
def test_an_answer_without_its_success_markers_is_not_a_success(
    offline: AsyncOmicallClient, model: type[Any], body: Any
) -> None:
    """A page or contact answer without 9999 and its payload never decodes as a success."""
    with pytest.raises((errors.DecodeError, errors.ProviderError)):
        offline._decode(answer(body), msgspec.json.Decoder(Envelope[model]))  # type: ignore[valid-type]


def test_an_acknowledgement_may_carry_no_payload(offline: AsyncOmicallClient) -> None:
    """delete/add-more/add-note acknowledgements are successes with any payload, null included."""
    ack = offline._decode(answer(envelope(None)), msgspec.json.Decoder(Envelope[Any]))
    assert ack.status_code == 9999
    assert ack.payload is None


def test_a_refusal_without_payload_is_a_provider_error(offline: AsyncOmicallClient) -> None:
    """``{"status_code": -9999}`` alone is still a refusal, on acknowledgements too."""
    with pytest.raises(errors.ProviderError):
        offline._decode(answer({"status_code": -9999}), msgspec.json.Decoder(Envelope[Any]))


async def test_contact_list_refused_mid_listing_raises(
    sim: OmicallSimulator, client: AsyncOmicallClient
) -> None:
    """A -9999 answer on page two raises instead of ending the listing as if it were done."""
    pages = client.contacts.pages(page_size=5)
    assert len((await pages.__anext__()).items) == 5
    failure = envelope({"status": "fail", "error": "internal_error", "message": "busy"}, -9999)
    sim.script(Reply(200, failure), path="/api/contacts/list")
    with pytest.raises(errors.ProviderError) as caught:
        await pages.__anext__()
    await pages.aclose()
    assert (caught.value.code, caught.value.message) == ("internal_error", "busy")
