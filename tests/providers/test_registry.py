"""The registry: one spec per provider, read cheaply, and the rules of registering."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from telcall import errors
from telcall.providers import BUILTIN, ProviderSpec, get, register, specs


def test_builtins_in_order() -> None:
    """The built-ins come first, in ``--provider`` order; each names its own package."""
    assert list(specs())[: len(BUILTIN)] == ["tel4vn", "omicall", "aicallcenter"]
    for name in ("tel4vn", "omicall", "aicallcenter"):
        spec = get(name)
        assert spec.package == f"telcall.{name}"
        assert spec.client_class().provider == name
        assert spec.sync_client_class().__module__ == f"telcall._sync.{name}"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param(
            "tel4vn",
            ("TELCALL_TEL4VN_BASE_URL", "TELCALL_TEL4VN_API_KEY", "TELCALL_TEL4VN_TOKEN"),
            id="tel4vn",
        ),
        pytest.param(
            "aicallcenter",
            (
                "TELCALL_AICALLCENTER_BASE_URL",
                "TELCALL_AICALLCENTER_SECRET_KEY",
                "TELCALL_AICALLCENTER_ACCESS_TOKEN",
            ),
            id="aicallcenter",
        ),
    ],
)
def test_env_names_come_from_the_client(name: str, expected: tuple[str, str, str]) -> None:
    """A spec's environment variables are the ones its client reads."""
    assert get(name).env_names == expected


def test_unknown_provider_names_the_known() -> None:
    """``get`` of an unregistered name is a ValidationError listing the registered ones."""
    with pytest.raises(errors.ValidationError, match=r"unknown provider 'nope'.*tel4vn, omicall"):
        get("nope")


def test_a_taken_name_is_refused() -> None:
    """Registering a different spec under a registered name fails; the same spec is a no-op."""
    spec = get("omicall")
    register(spec)
    with pytest.raises(errors.ValidationError, match="'omicall' is registered already"):
        register(dataclasses.replace(spec, label="Other"))
    assert get("omicall") is spec


def test_only_specs_register() -> None:
    """A registry entry must be a ProviderSpec (an entry point naming the wrong object fails)."""
    with pytest.raises(errors.ValidationError, match="registers a ProviderSpec, got str"):
        register("telcall.tel4vn._spec:SPEC")  # type: ignore[arg-type]


def test_provider_secret_names_reach_redaction() -> None:
    """TEL4VN's spec, not core, makes ``callback_api_key`` a secret name."""
    from telcall._core.redaction import is_secret_key, redact_url
    from telcall._core.secret_names import SECRET_KEYS

    assert isinstance(get("tel4vn"), ProviderSpec)
    assert is_secret_key("callbackApiKey")
    assert "callbackapikey" in SECRET_KEYS
    assert redact_url("https://x/h?callback_api_key=k1") == "https://x/h?callback_api_key=***"


def test_reading_the_registry_is_light() -> None:
    """Every spec can be read without importing aiohttp, msgspec or any client."""
    code = (
        "import sys; from telcall.providers import specs; names = list(specs()); "
        "print(sorted(m for m in sys.modules if m in ('aiohttp', 'msgspec') "
        "or m.endswith('.client')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
