"""Redirects are never followed: a 3xx is a typed error; no credential reaches another origin."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from telcall import errors
from telcall.simulator import Redirect

from .conftest import PROVIDERS, ProviderCase, assert_no_leak, exposed_text


class Recorder:
    """Another origin (a second server on another port) that records whatever reaches it."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append(f"{request.method} {request.path_qs} {await request.text()}")
        return web.json_response({"stolen": True})


@pytest.fixture
async def other_origin() -> AsyncIterator[Recorder]:
    """A recording server on 127.0.0.1, on a port of its own."""
    recorder = Recorder()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", recorder.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    recorder.url = f"http://127.0.0.1:{port}"
    yield recorder
    await runner.cleanup()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("where", ["token", "data"])
async def test_redirect_to_another_origin_is_not_followed(
    provider: ProviderCase, other_origin: Recorder, status: int, where: str
) -> None:
    """A 3xx on the token or data endpoint raises RedirectError; nothing reaches Location."""
    async with provider.start_sim(None) as sim:
        path = provider.token_path if where == "token" else provider.data_path
        target = f"{other_origin.url}/collect?access_token=leaked-token-123"
        sim.script(Redirect(target, status), times=5, path=path)
        async with provider.client(sim) as client:
            with pytest.raises(errors.RedirectError) as caught:
                await provider.call(client)
        sent = sim.count(path=path)
    assert other_origin.seen == []
    error = caught.value
    assert error.status == status
    assert f"{other_origin.url}/collect" in str(error)
    assert "access_token=***" in error.location
    assert "leaked-token-123" not in exposed_text(error)
    assert sent == 1, "a redirect is not retried"


async def test_aicallcenter_post_redirect_does_not_replay_the_token(
    other_origin: Recorder,
) -> None:
    """A 307 on the import POST (token in the JSON body) sends nothing to the other origin."""
    case = PROVIDERS["aicallcenter"]
    async with case.start_sim(None) as sim:
        campaign = sim.campaign_id  # type: ignore[attr-defined]
        sim.script(Redirect(f"{other_origin.url}/import", 307), times=5, path="/api/campaigns/")
        async with case.client(sim, max_retries=0) as client:
            with pytest.raises(errors.RedirectError):
                await client.campaigns.import_contacts(campaign, [{"phone_number": "0901234567"}])
        posted = [r for r in sim.requests if r.method == "POST"]
    assert other_origin.seen == []
    assert len(posted) == 1
    assert b"access_token" in posted[0].body


async def test_redirect_loop_is_one_request(provider: ProviderCase) -> None:
    """A Location pointing back at the request is one request and a RedirectError, not a loop."""
    async with provider.start_sim(None) as sim:
        sim.script(Redirect(), times=50, path=provider.data_path)
        async with provider.client(sim, **{provider.token_kw: "given-token-123456"}) as client:
            with pytest.raises(errors.RedirectError) as caught:
                await provider.call(client)
        assert sim.count(path=provider.data_path) == 1
    assert_no_leak(exposed_text(caught.value), "given-token-123456")
