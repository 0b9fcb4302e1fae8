"""Constructor credentials override the environment as a set, for every provider."""

from __future__ import annotations

import pytest

from telcall import AsyncAICallCenterClient, AsyncOmicallClient, AsyncTel4vnClient
from telcall._core.auth import CachedToken, StaticToken
from telcall._core.client import AsyncBaseClient

CLIENTS = [
    pytest.param(AsyncTel4vnClient, id="tel4vn"),
    pytest.param(AsyncOmicallClient, id="omicall"),
    pytest.param(AsyncAICallCenterClient, id="aicallcenter"),
]


def _env(cls: type[AsyncBaseClient], setting: str) -> str:
    return f"{cls.env_prefix}_{setting.upper()}"


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every provider's address, secret and token set in the environment."""
    for param in CLIENTS:
        (cls,) = param.values
        monkeypatch.setenv(_env(cls, "base_url"), "http://127.0.0.1:9")
        monkeypatch.setenv(_env(cls, cls.secret_name), "env-secret-value")
        monkeypatch.setenv(_env(cls, cls.token_name), "env-token-value")


@pytest.mark.parametrize("cls", CLIENTS)
def test_explicit_secret_ignores_token_in_environment(cls: type[AsyncBaseClient]) -> None:
    """An explicit secret is used although the environment holds a token (which would win)."""
    client = cls(**{cls.secret_name: "explicit-secret"})  # type: ignore[arg-type]
    assert isinstance(client._tokens, CachedToken)
    assert client._secret == "explicit-secret"


@pytest.mark.parametrize("cls", CLIENTS)
def test_explicit_token_ignores_secret_in_environment(cls: type[AsyncBaseClient]) -> None:
    """An explicit token comes alone: the environment's secret is not read beside it."""
    client = cls(**{cls.token_name: "explicit-token"})  # type: ignore[arg-type]
    assert isinstance(client._tokens, StaticToken)
    assert client._secret is None


@pytest.mark.parametrize("cls", CLIENTS)
def test_no_explicit_credentials_reads_both(cls: type[AsyncBaseClient]) -> None:
    """Without credentials both come from the environment, and the token wins as before."""
    client = cls()  # type: ignore[call-arg]
    assert isinstance(client._tokens, StaticToken)
    assert client._secret == "env-secret-value"
