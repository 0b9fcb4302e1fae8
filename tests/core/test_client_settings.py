"""The settings every client shares: one definition (``ClientSettings``), exact at run time."""

from __future__ import annotations

import inspect
import typing
from typing import Any

import pytest

from telcall import (
    AICallCenterClient,
    AsyncAICallCenterClient,
    AsyncOmicallClient,
    AsyncTel4vnClient,
    OmicallClient,
    Tel4vnClient,
)
from telcall._core.client import AsyncBaseClient, ClientSettings

ASYNC_CLIENTS = [
    pytest.param(AsyncTel4vnClient, {"api_key": "k"}, id="tel4vn"),
    pytest.param(AsyncOmicallClient, {"api_key": "k"}, id="omicall"),
    pytest.param(AsyncAICallCenterClient, {"secret_key": "k"}, id="aicallcenter"),
]
SYNC_CLIENTS = [
    pytest.param(Tel4vnClient, {"api_key": "k"}, id="tel4vn"),
    pytest.param(OmicallClient, {"api_key": "k"}, id="omicall"),
    pytest.param(AICallCenterClient, {"secret_key": "k"}, id="aicallcenter"),
]


def test_client_settings_are_the_base_constructors_keywords() -> None:
    """``ClientSettings`` lists exactly the base constructor's settings, with its types."""
    base = inspect.signature(AsyncBaseClient.__init__).parameters
    own = {"self", "base_url", "secret", "token", "session"}
    settings = typing.get_type_hints(ClientSettings)
    assert set(settings) == set(base) - own
    hints = typing.get_type_hints(AsyncBaseClient.__init__)
    assert {name: hints[name] for name in settings} == settings
    assert all(base[name].default is not inspect.Parameter.empty for name in settings)


@pytest.mark.parametrize(("client_cls", "credentials"), ASYNC_CLIENTS)
async def test_async_client_takes_the_shared_settings(
    client_cls: type[Any], credentials: dict[str, str]
) -> None:
    """Every shared setting reaches the client; an unknown one is a TypeError."""
    client = client_cls(base_url="http://127.0.0.1:9", max_retries=5, pool_limit=3, **credentials)
    async with client:
        assert client._transport.retry.max_retries == 5
    with pytest.raises(TypeError, match="max_retry"):
        client_cls(base_url="http://127.0.0.1:9", max_retry=5, **credentials)


@pytest.mark.parametrize(("client_cls", "credentials"), SYNC_CLIENTS)
def test_sync_client_refuses_a_session(client_cls: type[Any], credentials: dict[str, str]) -> None:
    """A sync client's session is made on the bridge loop: ``session=`` stays a TypeError."""
    with pytest.raises(TypeError, match="session"):
        client_cls(base_url="http://127.0.0.1:9", session=object(), **credentials)
