"""Names that mark a value as a credential, whatever the value (query parameters, headers, fields).

Core knows the generic words; a provider adds the names only its API uses (TEL4VN's
``callback_api_key``) through its :class:`~telcall._core.spec.ProviderSpec`. Kept free of
imports: specs are created by the pytest plugin in every test run.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

__all__ = ("SECRET_KEYS", "add_secret_names", "is_secret_key")

# Compared case-insensitively with "-" and "_" removed, so apiKey, api_key and
# API-KEY all match one entry.
SECRET_KEYS: set[str] = {
    "apikey",
    "accesstoken",
    "secretkey",
    "token",
    "password",
    "authorization",
    "refreshtoken",
    "secret",
}


def _normal(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def add_secret_names(names: Iterable[str]) -> None:
    """Treat ``names`` as credential names from now on."""
    fresh = {_normal(name) for name in names} - SECRET_KEYS
    if fresh:
        SECRET_KEYS.update(fresh)
        is_secret_key.cache_clear()


@functools.lru_cache(maxsize=1024)
def is_secret_key(name: str) -> bool:
    """Whether a parameter, header or field name holds a credential (``X-`` headers too)."""
    key = _normal(name)
    # Custom headers carry an "X-" prefix: X-Api-Key is api_key.
    return key in SECRET_KEYS or (name[:2].lower() == "x-" and key[1:] in SECRET_KEYS)
