"""Fixtures for core tests that need a server, and helpers to run every provider alike."""

from __future__ import annotations

import html
import json
import logging
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import pytest

from telcall import AsyncAICallCenterClient, AsyncOmicallClient, AsyncTel4vnClient
from telcall._core.client import AsyncBaseClient
from telcall.simulator import AICallCenterSimulator, OmicallSimulator, Tel4vnSimulator
from telcall.simulator._base import SimulatorBase


@pytest.fixture
async def client_sim(
    tel4vn_simulator: Tel4vnSimulator,
) -> AsyncIterator[tuple[AsyncTel4vnClient, Tel4vnSimulator]]:
    """A client and the simulator it talks to."""
    async with AsyncTel4vnClient(
        base_url=tel4vn_simulator.base_url, api_key=tel4vn_simulator.api_key
    ) as client:
        yield client, tel4vn_simulator


@dataclass(frozen=True)
class ProviderCase:
    """How to run one provider's simulator and client in a provider-parametrized test."""

    name: str
    start_sim: Callable[[str | None], AbstractAsyncContextManager[SimulatorBase]]
    client_cls: type[AsyncBaseClient]
    secret_kw: str
    token_kw: str
    #: The token endpoint, and the GET data endpoint `call` reaches.
    token_path: str
    data_path: str
    call: Callable[..., Awaitable[object]]
    #: Where the client puts its token: "header" (Bearer) or "query".
    token_in: str

    def client(self, sim: SimulatorBase, *, secret: str | None = None, **kwargs: Any) -> Any:
        """A client for ``sim``: its own secret unless ``secret`` (or a token kwarg) is given."""
        if self.token_kw not in kwargs:
            kwargs.setdefault(self.secret_kw, secret or sim_secret(sim))
        return self.client_cls(base_url=sim.base_url, **kwargs)

    def sent_token(self, sim: SimulatorBase) -> str:
        """The token the client sent with its latest request to the data endpoint."""
        request = [r for r in sim.requests if r.path == self.data_path][-1]
        if self.token_in == "header":
            return request.headers["Authorization"].removeprefix("Bearer ")
        return request.query["access_token"]


def sim_secret(sim: SimulatorBase) -> str:
    """The api key or secret key a simulator accepts."""
    return str(getattr(sim, "api_key", None) or getattr(sim, "secret_key"))  # noqa: B009


PROVIDERS = {
    "tel4vn": ProviderCase(
        "tel4vn",
        lambda secret: Tel4vnSimulator(cdrs=20, seed=1, api_key=secret),
        AsyncTel4vnClient,
        "api_key",
        "token",
        "/v2/auth/token",
        "/v2/call",
        lambda client, **kw: client.calls.list(**kw),
        "header",
    ),
    "omicall": ProviderCase(
        "omicall",
        lambda secret: OmicallSimulator(calls=20, contacts=3, seed=1, api_key=secret),
        AsyncOmicallClient,
        "api_key",
        "token",
        "/api/auth",
        "/api/source_contact_layout/get",
        lambda client, **kw: client.contacts.layout(**kw),
        "header",
    ),
    "aicallcenter": ProviderCase(
        "aicallcenter",
        lambda secret: AICallCenterSimulator(calls_per_campaign=5, seed=1, secret_key=secret),
        AsyncAICallCenterClient,
        "secret_key",
        "access_token",
        "/api/users/generate-access-token",
        "/api/users/call-log",
        lambda client, **kw: client.users.calls.list(**kw),
        "query",
    ),
}


@pytest.fixture(params=sorted(PROVIDERS))
def provider(request: pytest.FixtureRequest) -> ProviderCase:
    """Each provider in turn."""
    return PROVIDERS[request.param]


def exposed_text(error: BaseException) -> str:
    """Everything an error shows: str, repr, the formatted traceback, attributes, the chain."""
    parts = [str(error), repr(error), "".join(traceback.format_exception(error))]
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        exc = pending.pop()
        if exc is None or id(exc) in seen:
            continue
        seen.add(id(exc))
        parts += [str(exc), repr(exc), repr(exc.args)]
        parts += [repr(v) for v in vars(exc).values()]
        parts += [str(v) for v in vars(exc).values() if isinstance(v, str)]
        parts += [v.decode("utf-8", "replace") for v in vars(exc).values() if isinstance(v, bytes)]
        pending += [exc.__cause__, exc.__context__]
    return "\n".join(parts)


def leak_forms(secret: str) -> set[str]:
    """The spellings of ``secret`` a reader could recover it from: encoded, escaped, quoted."""
    from urllib.parse import quote, quote_plus

    from yarl import URL

    encoded = {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        URL.build(query={"k": secret}).raw_query_string[2:],
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }
    return encoded | {html.escape(form) for form in encoded}


def assert_no_leak(text: str, *secrets: str) -> None:
    """No spelling of any of ``secrets`` occurs in ``text``."""
    for secret in secrets:
        assert secret
        for form in leak_forms(secret):
            assert form not in text, f"a form of a secret leaked: {form!r}"


def logged_text(records: list[logging.LogRecord]) -> str:
    """Every message and argument of the captured log records."""
    parts: list[str] = []
    for record in records:
        parts += [record.getMessage(), repr(record.args), record.exc_text or ""]
        if record.exc_info and record.exc_info[1] is not None:
            parts.append(exposed_text(record.exc_info[1]))
    return "\n".join(parts)
