"""Keep credentials out of URLs, reprs and logs.

Tokens travel in query strings for some providers (OMICall's ``apiKey``,
AI Call Center's ``access_token`` and ``secret_key``), so every URL telcall
prints or stores on an exception goes through :func:`redact_url` first.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = (
    "REDACTED",
    "SECRET_KEYS",
    "is_secret_key",
    "mask",
    "redact_mapping",
    "redact_url",
    "scrub",
)

REDACTED = "***"

# Compared case-insensitively with "-" and "_" removed, so apiKey, api_key and
# API-KEY all match one entry.
SECRET_KEYS = frozenset(
    {
        "apikey",
        "accesstoken",
        "secretkey",
        "token",
        "password",
        "authorization",
        "callbackapikey",
        "refreshtoken",
        "secret",
    }
)


def is_secret_key(name: str) -> bool:
    """Whether a parameter, header or field name holds a credential."""
    return name.replace("_", "").replace("-", "").lower() in SECRET_KEYS


def redact_url(url: str) -> str:
    """Return ``url`` with secret query values and any userinfo replaced by ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    if not parts.query:
        return urlunsplit(parts._replace(netloc=netloc))
    query = [
        (k, REDACTED if is_secret_key(k) else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query, safe="*")))


def redact_mapping(values: dict[str, object]) -> dict[str, object]:
    """A copy of ``values`` with secret entries replaced by ``***``."""
    return {k: (REDACTED if is_secret_key(k) else v) for k, v in values.items()}


def mask(secret: str | None) -> str:
    """A repr-safe stand-in for a secret: whether it is set, never its value."""
    return "None" if secret is None else f"'{REDACTED}'"


def scrub(text: str, secrets: set[str]) -> str:
    """Replace every known secret value occurring in ``text`` with ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text
