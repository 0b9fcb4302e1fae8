"""Property: whatever the secret, no hook payload, span, metric or log record carries it.

All three providers: TEL4VN and OMICall send the token as a Bearer header (OMICall's key in
the token request's query), AI Call Center in the query string of every GET.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given, settings, strategies as st

from telcall import AsyncAICallCenterClient, AsyncOmicallClient, AsyncTel4vnClient, errors
from telcall._core.client import AsyncBaseClient
from telcall._core.hooks import Hooks
from telcall.simulator import AICallCenterSimulator, Echo, OmicallSimulator, Tel4vnSimulator
from telcall.simulator._base import SimulatorBase

from .otel_fixtures import Telemetry, install

_ascii = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
# A marker up front: a secret must not match ordinary text by chance (an all-digit one matched
# timings and ports, "applicat" matched "application/json"); the rest is arbitrary.
_secrets = st.text(_ascii, min_size=4, max_size=36).map(lambda s: "Zq9~" + s.strip())
_FIELDS = ("provider", "method", "path", "status", "attempt", "elapsed")


@dataclass(frozen=True)
class Case:
    """One provider: its simulator, client, secret keyword and a GET that needs a token."""

    sim: Callable[[str], SimulatorBase]
    client: type[AsyncBaseClient]
    secret_kw: str
    token_kw: str
    data_path: str
    call: Callable[[Any], Awaitable[object]]
    raw: Callable[[Any], Awaitable[object]]


CASES = {
    "tel4vn": Case(
        lambda key: Tel4vnSimulator(cdrs=5, seed=1, api_key=key),
        AsyncTel4vnClient,
        "api_key",
        "token",
        "/v2/call",
        lambda c: c.calls.list(),
        lambda c: c.with_raw_response.calls.list(),
    ),
    "omicall": Case(
        lambda key: OmicallSimulator(calls=5, contacts=3, seed=1, api_key=key),
        AsyncOmicallClient,
        "api_key",
        "token",
        "/api/source_contact_layout/get",
        lambda c: c.contacts.layout(),
        lambda c: c.with_raw_response.contacts.layout(),
    ),
    # The token travels in the query string here: the hardest case for URLs.
    "aicallcenter": Case(
        lambda key: AICallCenterSimulator(calls_per_campaign=3, seed=1, secret_key=key),
        AsyncAICallCenterClient,
        "secret_key",
        "access_token",
        "/api/users/call-log",
        lambda c: c.users.calls.list(),
        lambda c: c.with_raw_response.users.calls.list(),
    ),
}


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _logs() -> Iterator[list[logging.LogRecord]]:
    logger = logging.getLogger("telcall")
    handler, level = _Collect(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _telemetry_text(telemetry: Telemetry) -> str:
    parts = []
    for span in telemetry.spans():
        parts += [span.name, repr(dict(span.attributes or {})), str(span.status.description)]
        parts += [repr(dict(e.attributes or {})) for e in span.events]
    data = telemetry.reader.get_metrics_data()
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                parts += [repr(dict(p.attributes or {})) for p in metric.data.data_points]
    return "\n".join(parts)


def _assert_absent(text: str, secrets: set[str]) -> None:
    for secret in secrets:
        for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
            assert form not in text, f"{form!r} leaked"


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=15, deadline=None)
@given(key=_secrets, token=_secrets)
async def test_observers_never_see_a_secret(name: str, key: str, token: str) -> None:
    """Retries, echoed requests and refused tokens: hooks, spans, metrics and logs stay clean."""
    case = CASES[name]
    views: list[object] = []
    hooks = Hooks(on_request=[views.append], on_response=[views.append], on_retry=[views.append])
    secrets = {key, token}
    with pytest.MonkeyPatch.context() as patch, _logs() as records:
        telemetry_gen = install(patch)
        telemetry = next(telemetry_gen)
        try:
            async with case.sim(key) as sim:
                kwargs: dict[str, Any] = {case.secret_kw: key, "hooks": hooks}
                async with case.client(base_url=sim.base_url, **kwargs) as parent:
                    client = parent.with_options(backoff_base=0.001, backoff_cap=0.002)
                    sim.script(503, times=1, path=case.data_path)
                    await case.call(client)
                    views.append(await case.raw(client))
                    sim.script(Echo(), times=1, path=case.data_path)
                    with pytest.raises(errors.TelcallError):
                        await case.call(client.with_options(max_retries=0))
                    secrets |= set(parent._transport.redactor._values)
                static = {case.token_kw: token, "hooks": hooks, "max_retries": 0}
                async with case.client(base_url=sim.base_url, **static) as given_token:
                    with pytest.raises(errors.TelcallError):
                        await case.call(given_token)
            text = "\n".join(
                [
                    *(repr(v) for v in views),
                    *(repr(dict(getattr(v, "headers", {}) or {})) for v in views),
                    _telemetry_text(telemetry),
                    *(r.getMessage() for r in records),
                    *(repr(r.args) for r in records),
                    *(repr({k: getattr(r, k, None) for k in _FIELDS}) for r in records),
                ]
            )
        finally:
            telemetry_gen.close()
    assert views
    assert "telcall.retry" in _telemetry_text(telemetry) or telemetry.spans()
    _assert_absent(text, secrets)
