"""The generated OmicallClient and AICallCenterClient against their simulators, end to end.

Each simulator runs on its own event loop in a helper thread (as in ``conftest.py`` for
TEL4VN), so the blocking clients can call it from the test's thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import msgspec
import pytest

from telcall._sync import AICallCenterClient, OmicallClient
from telcall.errors import (
    AuthenticationError,
    ClientClosedError,
    NotFoundError,
    ProviderError,
    ValidationError,
)
from telcall.simulator import VN, AICallCenterSimulator, OmicallSimulator, SimulatorBase

T = TypeVar("T")
S = TypeVar("S", bound=SimulatorBase)

START = datetime(2026, 9, 1, tzinfo=VN)
HISTORY = "/api/call_transaction/list"


class LoopThread(Generic[S]):
    """A started simulator served by its own event loop on a helper thread."""

    def __init__(self, sim: S) -> None:
        """Start the loop thread, then the server on it."""
        self.sim = sim
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="simulator", daemon=True)
        self.thread.start()
        self.run(sim.start())

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the simulator's loop and wait for it."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def close(self) -> None:
        """Stop the server, then the loop and its thread."""
        self.run(self.sim.aclose())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def omi_sim() -> Iterator[OmicallSimulator]:
    """A running OMICall simulator (120 calls over 91 days, 7 contacts) on a loop thread."""
    server = LoopThread(OmicallSimulator(calls=120, contacts=7, seed=1))
    yield server.sim
    server.close()


@pytest.fixture
def omi(omi_sim: OmicallSimulator) -> Iterator[OmicallClient]:
    """A sync OMICall client of ``omi_sim``, closed after the test."""
    with OmicallClient(base_url=omi_sim.base_url, api_key=omi_sim.api_key) as client:
        yield client


@pytest.fixture
def aicc_sim() -> Iterator[AICallCenterSimulator]:
    """A running AI Call Center simulator (three campaigns of 25 calls) on a loop thread."""
    server = LoopThread(AICallCenterSimulator(calls_per_campaign=25, seed=1))
    yield server.sim
    server.close()


@pytest.fixture
def aicc(aicc_sim: AICallCenterSimulator) -> Iterator[AICallCenterClient]:
    """A sync AI Call Center client of ``aicc_sim``, closed after the test."""
    with AICallCenterClient(base_url=aicc_sim.base_url, secret_key=aicc_sim.secret_key) as client:
        yield client


def ms(moment: datetime) -> int:
    """Epoch milliseconds of ``moment``."""
    return int(moment.timestamp() * 1000)


# -- OMICall ---------------------------------------------------------------------------------


def test_omicall_calls_return_typed_results(omi: OmicallClient) -> None:
    """add, get and a call-history page come back as the async client's typed results."""
    added = omi.contacts.add(fullName="Nguyễn Văn A", phones=["0899888998"], refId="CRM-42")
    found = omi.contacts.get(ref_id="CRM-42")
    assert (found.id, found.fullName) == (added.id, "Nguyễn Văn A")
    page = omi.call_history.list(from_date=START, to_date=START + timedelta(days=30), size=5)
    assert len(page.items) == 5
    assert page.has_more


def test_omicall_iterate_moves_a_page_per_hop(
    omi: OmicallClient, omi_sim: OmicallSimulator
) -> None:
    """iterate() asks for the next page only once the previous one is used up."""
    end = START + timedelta(days=20)
    expected = omi_sim.transaction_ids(ms(START), ms(end))
    assert len(expected) > 20
    with omi.call_history.iterate(from_date=START, to_date=end, page_size=10) as calls:
        seen = [next(calls).transaction_id]
        assert omi_sim.count("POST", HISTORY) == 1
        seen += [next(calls).transaction_id for _ in range(9)]
        assert omi_sim.count("POST", HISTORY) == 1
        seen.append(next(calls).transaction_id)
        assert omi_sim.count("POST", HISTORY) == 2
        seen += [call.transaction_id for call in calls]
    assert seen == expected


def test_omicall_pages_are_whole_pages(omi: OmicallClient, omi_sim: OmicallSimulator) -> None:
    """pages() yields Page objects, one request each, covering the range in order."""
    end = START + timedelta(days=20)
    with omi.call_history.pages(from_date=START, to_date=end, page_size=10) as pages:
        sizes = [len(page.items) for page in pages]
    assert sum(sizes) == len(omi_sim.transaction_ids(ms(START), ms(end)))
    assert omi_sim.count("POST", HISTORY) == len(sizes)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        pytest.param(
            lambda c: c.contacts.details("000000000000000000000000"), NotFoundError, id="not-found"
        ),
        pytest.param(
            lambda c: c.call_history.list(from_date=START, to_date=START, size=5),
            ValidationError,
            id="validation",
        ),
    ],
)
def test_omicall_errors_keep_their_type(omi: OmicallClient, call: Any, error: type) -> None:
    """Provider and validation errors raise the same classes as with the async client."""
    with pytest.raises(error):
        call(omi)


def test_omicall_context_manager_closes(omi_sim: OmicallSimulator) -> None:
    """Leaving ``with`` closes the client: later calls raise ClientClosedError."""
    with OmicallClient(base_url=omi_sim.base_url, api_key=omi_sim.api_key) as client:
        assert client.contacts.list().total == 7
        assert not client.closed
    assert client.closed
    with pytest.raises(ClientClosedError):
        client.contacts.list()


def test_omicall_secrets_stay_out_of_reprs(omi: OmicallClient, omi_sim: OmicallSimulator) -> None:
    """The api key and the token appear in no repr, nor in an authentication error."""
    omi.contacts.list()
    [token] = {
        r.headers["Authorization"].split()[-1] for r in omi_sim.requests if r.path != "/api/auth"
    }
    texts = [repr(omi), repr(omi.contacts), omi._client.get(repr)]
    with (
        OmicallClient(base_url=omi_sim.base_url, api_key="wrong-omicall-key") as bad,
        pytest.raises(AuthenticationError) as caught,
    ):
        bad.contacts.list()
    texts += [str(caught.value), repr(caught.value), bad._client.get(repr)]
    for text in texts:
        for secret in (omi_sim.api_key, token, "wrong-omicall-key"):
            assert secret not in text


# -- AI Call Center --------------------------------------------------------------------------


def test_aicallcenter_import_returns_typed_result(
    aicc: AICallCenterClient, aicc_sim: AICallCenterSimulator
) -> None:
    """import_contacts() accepts valid phones with their call ids and skips the rest."""
    result = aicc.campaigns.import_contacts(
        aicc_sim.campaign_id, [{"phone_number": "0901234567"}, {"phone_number": "12345"}]
    )
    assert [c.phone_number for c in result.accepted] == ["0901234567"]
    assert [s.phone_number for s in result.skipped] == ["12345"]
    assert aicc_sim.calls(aicc_sim.campaign_id)[-1]["call_id"] == result.accepted[0].call_id


def test_aicallcenter_iterate_moves_a_page_per_hop(
    aicc: AICallCenterClient, aicc_sim: AICallCenterSimulator
) -> None:
    """campaigns.calls.iterate() asks for the next page only once the previous one is used."""
    path = f"/api/campaigns/{aicc_sim.campaign_id}/export"
    calls = aicc.campaigns.calls.iterate(aicc_sim.campaign_id, page_size=10)
    with calls:
        seen = [next(calls).call_id for _ in range(10)]
        assert aicc_sim.count("GET", path) == 1
        seen.append(next(calls).call_id)
        assert aicc_sim.count("GET", path) == 2
        seen += [call.call_id for call in calls]
    assert seen == [call["call_id"] for call in aicc_sim.calls(aicc_sim.campaign_id)]


@pytest.mark.parametrize(
    ("campaign", "error"),
    [
        pytest.param("ffffffffffffffffffffffff", NotFoundError, id="unknown-campaign"),
        pytest.param("stopped", ProviderError, id="stopped-campaign"),
    ],
)
def test_aicallcenter_errors_keep_their_type(
    aicc: AICallCenterClient, aicc_sim: AICallCenterSimulator, campaign: str, error: type
) -> None:
    """An unknown campaign raises NotFoundError, a stopped one ProviderError, as with async."""
    campaign_id = aicc_sim.stopped_campaign_id if campaign == "stopped" else campaign
    with pytest.raises(error) as caught:
        aicc.campaigns.import_contacts(campaign_id, [{"phone_number": "0901234567"}])
    assert type(caught.value) is error


def test_aicallcenter_context_manager_closes(aicc_sim: AICallCenterSimulator) -> None:
    """Leaving ``with`` closes the client: later calls raise ClientClosedError."""
    contacts = [{"phone_number": "0901234567"}]
    with AICallCenterClient(base_url=aicc_sim.base_url, secret_key=aicc_sim.secret_key) as client:
        assert client.campaigns.import_contacts(aicc_sim.campaign_id, contacts).accepted
        assert not client.closed
    assert client.closed
    with pytest.raises(ClientClosedError):
        client.campaigns.import_contacts(aicc_sim.campaign_id, contacts)


def test_aicallcenter_secrets_stay_out_of_reprs(
    aicc: AICallCenterClient, aicc_sim: AICallCenterSimulator
) -> None:
    """The secret key and the access token appear in no repr, nor in an error."""
    with pytest.raises(NotFoundError) as not_found:
        aicc.campaigns.import_contacts("ffffffffffffffffffffffff", [{"phone_number": "0901234567"}])
    [body] = [r.body for r in aicc_sim.requests if r.method == "POST"]
    token = msgspec.json.decode(body)["access_token"]
    texts = [repr(aicc), repr(aicc.campaigns), aicc._client.get(repr)]
    texts += [str(not_found.value), repr(not_found.value)]
    with (
        AICallCenterClient(base_url=aicc_sim.base_url, secret_key="wrong-aicc-secret") as bad,
        pytest.raises(AuthenticationError) as caught,
    ):
        bad.campaigns.import_contacts(aicc_sim.campaign_id, [{"phone_number": "0901234567"}])
    texts += [str(caught.value), repr(caught.value), bad._client.get(repr)]
    for text in texts:
        for secret in (aicc_sim.secret_key, token, "wrong-aicc-secret"):
            assert secret not in text
