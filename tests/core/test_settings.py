"""Bad client settings fail at construction with ValidationError, never at the first call."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import aiohttp
import pytest

from telcall import errors

from .conftest import PROVIDERS, ProviderCase

BASE = "http://127.0.0.1:9"


def _build(case: ProviderCase, **kwargs: Any) -> object:
    kwargs.setdefault("base_url", BASE)
    if case.secret_kw not in kwargs and case.token_kw not in kwargs:
        kwargs[case.secret_kw] = "valid-secret-123456"
    return case.client_cls(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"pool_limit": 0}, "pool_limit", id="pool-limit-0"),
        pytest.param({"pool_limit": -1}, "pool_limit", id="pool-limit-negative"),
        pytest.param({"pool_limit": 2.5}, "pool_limit", id="pool-limit-float"),
        pytest.param({"deadline": 0}, "deadline", id="deadline-0"),
        pytest.param({"deadline": -1}, "deadline", id="deadline-negative"),
        pytest.param({"deadline": float("nan")}, "deadline", id="deadline-nan"),
        pytest.param({"deadline": "5"}, "deadline", id="deadline-str"),
        pytest.param({"timeout": 0}, "timeout", id="timeout-0"),
        pytest.param({"timeout": -5}, "timeout", id="timeout-negative"),
        pytest.param({"timeout": True}, "timeout", id="timeout-bool"),
        pytest.param({"timeout": aiohttp.ClientTimeout(total=-1)}, "timeout.total", id="ct-total"),
        pytest.param(
            {"timeout": aiohttp.ClientTimeout(connect=0)}, "timeout.connect", id="ct-connect"
        ),
        pytest.param(
            {"timeout": aiohttp.ClientTimeout(sock_read=-2)}, "timeout.sock_read", id="ct-read"
        ),
        pytest.param({"max_retries": -1}, "max_retries", id="retries-negative"),
        pytest.param({"max_retries": 1.5}, "max_retries", id="retries-float"),
        pytest.param({"max_retries": True}, "max_retries", id="retries-bool"),
        pytest.param({"max_retries": "2"}, "max_retries", id="retries-str"),
        pytest.param({"max_response_bytes": 0}, "max_response_bytes", id="max-bytes-0"),
        pytest.param({"token_cooldown": -1}, "token_cooldown", id="cooldown-negative"),
        pytest.param({"tz": "Mars/Olympus_Mons"}, "time zone", id="tz-unknown"),
        pytest.param({"tz": "../etc/passwd"}, "time zone", id="tz-path"),
        pytest.param({"tz": 7}, "tz", id="tz-int"),
        pytest.param({"base_url": "http://x\r\nHost: evil"}, "control character", id="url-crlf"),
        pytest.param({"base_url": "http://x/\x00"}, "control character", id="url-nul"),
        pytest.param({"base_url": "http://x y"}, "whitespace", id="url-space"),
        pytest.param({"base_url": "ftp://x"}, "http", id="url-scheme"),
        pytest.param({"base_url": "http://"}, "host", id="url-no-host"),
        pytest.param({"base_url": "http://x:port"}, "not a valid URL", id="url-bad-port"),
        pytest.param({"base_url": "http://x\udcff"}, "UTF-8", id="url-surrogate"),
        pytest.param({"base_url": "https://u:pw@x"}, "user name or password", id="url-userinfo"),
        pytest.param({"base_url": "https://u@x"}, "user name or password", id="url-user"),
    ],
)
def test_bad_setting_is_refused(provider: ProviderCase, kwargs: dict[str, Any], match: str) -> None:
    """Each bad value raises ValidationError naming the setting, before any I/O."""
    with pytest.raises(errors.ValidationError, match=match):
        _build(provider, **kwargs)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("key-1234567890\n", id="trailing-lf"),
        pytest.param("key-12345\r\n67890", id="crlf"),
        pytest.param("key-12345\x0067890", id="nul"),
        pytest.param("key-12345\x7f67890", id="del"),
        pytest.param(" key-1234567890", id="leading-space"),
        pytest.param("   ", id="blank"),
    ],
)
@pytest.mark.parametrize("which", ["secret", "token"])
def test_bad_credential_is_refused_without_quoting_it(
    provider: ProviderCase, value: str, which: str
) -> None:
    """A control character (or stray whitespace) in a key or token is refused, unquoted."""
    name = provider.secret_kw if which == "secret" else provider.token_kw
    with pytest.raises(errors.ValidationError, match=name) as caught:
        _build(provider, **{name: value})
    assert "key-12345" not in str(caught.value)


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_undecodable_key_from_the_environment(name: str, tmp_path: Any) -> None:
    """A non-UTF-8 key in the environment is refused, naming the variable, never quoting it."""
    case = PROVIDERS[name]
    prefix = case.client_cls.env_prefix
    env_name = f"{prefix}_{case.secret_kw.upper()}"
    script = (
        "import sys\n"
        "from telcall import errors\n"
        f"from telcall import {case.client_cls.__name__} as C\n"
        "try:\n"
        f"    C(base_url={BASE!r})\n"
        "except errors.ValidationError as exc:\n"
        "    print(str(exc))\n"
        "    sys.exit(0)\n"
        "sys.exit('accepted')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELCALL_")}
    env_bytes = {os.fsencode(k): os.fsencode(v) for k, v in env.items()}
    env_bytes[env_name.encode()] = b"secret-\xff\xfe-1234567890"
    result = subprocess.run(
        [sys.executable, "-c", script], env=env_bytes, capture_output=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    message = result.stdout.decode()
    assert env_name in message
    assert "UTF-8" in message
    assert "1234567890" not in message


def test_good_settings_are_kept(provider: ProviderCase) -> None:
    """Valid values (ints, floats, a ClientTimeout with None fields, a zone name) are accepted."""
    client = _build(
        provider,
        timeout=aiohttp.ClientTimeout(total=None, sock_read=10),
        deadline=2,
        max_retries=0,
        pool_limit=1,
        max_response_bytes=1,
        token_cooldown=0,
        tz="UTC",
    )
    assert client._transport.pool_limit == 1  # type: ignore[attr-defined]


async def test_bad_per_call_timeout_sends_nothing(provider: ProviderCase) -> None:
    """A bad ``timeout=`` on one call is a ValidationError before any request (token included)."""
    async with provider.start_sim(None) as sim:
        async with provider.client(sim) as client:
            with pytest.raises(errors.ValidationError, match="timeout"):
                await provider.call(client, timeout=-1)
        assert sim.requests == []
