"""No secret leaves telcall: errors, their chained causes and log records are scrubbed by value."""

from __future__ import annotations

import logging

import pytest

from telcall import errors
from telcall.simulator import Echo, Redirect, Reply

from .conftest import PROVIDERS, ProviderCase, assert_no_leak, exposed_text, logged_text

# URL-special characters and a non-ASCII one: every encoding path gets exercised.
SECRET = "Sk/+&=?#%é;key-0123456789"
TOKEN = "tk/+&=?#%;tok-9876543210"


@pytest.mark.parametrize(
    "where", [pytest.param("token", id="token"), pytest.param("data", id="data")]
)
async def test_echo_page_shows_no_secret(
    provider: ProviderCase, where: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A proxy page quoting the request (token or data endpoint) leaks no key and no token."""
    caplog.set_level(logging.DEBUG, logger="telcall")
    async with provider.start_sim(SECRET) as sim:
        path = provider.token_path if where == "token" else provider.data_path
        sim.script(Echo(), times=5, path=path)
        async with provider.client(sim, secret=SECRET, max_retries=0) as client:
            with pytest.raises(errors.TelcallError) as caught:
                await provider.call(client)
        secrets = [SECRET]
        if where == "data":
            secrets.append(provider.sent_token(sim))
    text = exposed_text(caught.value) + logged_text(caplog.records)
    assert "Request rejected" in text, "the echo page should be part of the error"
    assert_no_leak(text, *secrets)


async def test_static_token_in_an_echo_page_is_scrubbed(
    provider: ProviderCase, caplog: pytest.LogCaptureFixture
) -> None:
    """A caller-supplied token quoted back by a proxy is scrubbed from the error and logs."""
    caplog.set_level(logging.DEBUG, logger="telcall")
    async with provider.start_sim(None) as sim:
        sim.script(Echo(status=502), times=5, path=provider.data_path)
        async with provider.client(sim, max_retries=1, **{provider.token_kw: TOKEN}) as client:
            client._transport.retry.base = 0.01
            with pytest.raises(errors.ServerError) as caught:
                await provider.call(client)
    text = exposed_text(caught.value) + logged_text(caplog.records)
    assert_no_leak(text, TOKEN)
    assert "retrying" in caplog.text


async def test_aicallcenter_redirect_loop_leaks_no_token(caplog: pytest.LogCaptureFixture) -> None:
    """A redirect loop on a GET carrying access_token= shows the token nowhere."""
    case = PROVIDERS["aicallcenter"]
    caplog.set_level(logging.DEBUG, logger="telcall")
    async with case.start_sim(SECRET) as sim:
        sim.script(Redirect(), times=50, path=case.data_path)
        async with case.client(sim, secret=SECRET, max_retries=0) as client:
            with pytest.raises(errors.TelcallError) as caught:
                await case.call(client)
        token = case.sent_token(sim)
    text = exposed_text(caught.value) + logged_text(caplog.records)
    assert_no_leak(text, SECRET, token)


async def test_secret_under_any_name_is_scrubbed(provider: ProviderCase) -> None:
    """A server message quoting the key in a field of its own choosing is scrubbed by value."""
    async with provider.start_sim(SECRET) as sim:
        body = {"code": 500, "message": f"key {SECRET} refused", "status": 0, "status_code": -9999}
        sim.script(Reply(500, body), times=5, path=provider.token_path)
        async with provider.client(sim, secret=SECRET, max_retries=0) as client:
            with pytest.raises(errors.APIError) as caught:
                await provider.call(client)
    assert_no_leak(exposed_text(caught.value), SECRET)
    assert "***" in caught.value.message


async def test_transport_failure_cause_is_a_sanitized_stand_in(provider: ProviderCase) -> None:
    """The aiohttp cause of a transport error is kept, scrubbed, under its own type name."""
    from telcall._core.redaction import SanitizedCause

    async with provider.start_sim(None) as sim:
        base_url = sim.base_url
    # The simulator is gone: the port refuses connections.
    client = provider.client_cls(base_url=base_url, max_retries=0, **{provider.token_kw: TOKEN})
    async with client:
        with pytest.raises(errors.ConnectError) as caught:
            await provider.call(client)
    cause = caught.value.__cause__
    assert isinstance(cause, SanitizedCause)
    assert type(cause).__name__ == "ClientConnectorError"
    assert "Cannot connect" in str(cause)
    assert_no_leak(exposed_text(caught.value), TOKEN)
