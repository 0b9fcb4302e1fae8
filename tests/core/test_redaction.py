"""Secrets stay out of URLs and text: by parameter name, and by value in every wire form."""

from __future__ import annotations

import html
import json
from urllib.parse import quote

import pytest

from telcall._core.redaction import Redactor, SanitizedCause, is_secret_key, redact_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(
            "https://x/api/auth?apiKey=s3cret", "https://x/api/auth?apiKey=***", id="apiKey"
        ),
        pytest.param(
            "https://x/e?access_token=abc&limit=10",
            "https://x/e?access_token=***&limit=10",
            id="access_token",
        ),
        pytest.param("https://x/t?secret_key=abc", "https://x/t?secret_key=***", id="secret_key"),
        pytest.param("https://u:p@x/a", "https://***@x/a", id="userinfo"),
        pytest.param("https://x/a?limit=5", "https://x/a?limit=5", id="nothing-secret"),
    ],
)
def test_redact_url_by_name(url: str, expected: str) -> None:
    """Credential query values and userinfo are replaced by ***."""
    assert redact_url(url) == expected


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        pytest.param("X-Api-Key", True, id="x-api-key"),
        pytest.param("x-access-token", True, id="x-access-token"),
        pytest.param("Authorization", True, id="authorization"),
        pytest.param("X-Request-Id", False, id="x-request-id"),
        pytest.param("xtoken", False, id="no-dash-no-prefix"),
    ],
)
def test_secret_names_include_custom_headers(name: str, secret: bool) -> None:
    """A custom ``X-`` header named like a credential is a secret name too."""
    assert is_secret_key(name) is secret


def test_redact_url_by_value() -> None:
    """A known secret is redacted under any parameter name, in the path too."""
    secret = "k&y=v/1 2"
    redactor = Redactor([secret])
    url = f"https://x/a/{quote(secret, safe='')}?q={quote(secret, safe='')}&n=1"
    shown = redact_url(url, redactor)
    assert secret not in shown
    assert quote(secret, safe="") not in shown
    assert shown.endswith("n=1")


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(lambda s: s, id="raw"),
        pytest.param(lambda s: quote(s, safe=""), id="percent"),
        pytest.param(lambda s: json.dumps(s)[1:-1], id="json"),
        pytest.param(lambda s: html.escape(json.dumps(s)[1:-1]), id="json-in-html"),
        pytest.param(lambda s: html.escape(s), id="html"),
    ],
)
def test_text_and_bytes_forms_are_scrubbed(form: object) -> None:
    """Each form a secret takes on its way into an error page is replaced by ***."""
    secret = 'sé"cr<e>t&+/ x'
    redactor = Redactor([secret])
    shown = form(secret)  # type: ignore[operator]
    assert redactor.text(f"before {shown} after") == "before *** after"
    assert redactor.data(f"before {shown} after".encode()) == b"before *** after"


def test_truncated_tail_of_a_secret_is_scrubbed() -> None:
    """A snippet cut inside a secret does not show the secret's start."""
    redactor = Redactor(["abcdefghijkl"])
    assert redactor.text("token=abcdefg…") == "token=***…"


def test_sanitize_replaces_foreign_causes() -> None:
    """A foreign cause becomes a stand-in with its type name and a scrubbed message."""
    from telcall.errors import TransportError

    redactor = Redactor(["tok-123456"])
    try:
        try:
            raise OSError("GET /x?access_token=tok-123456 failed")
        except OSError as exc:
            raise TransportError("boom", method="GET", url="http://x/") from exc
    except TransportError as error:
        redactor.sanitize(error)
        cause = error.__cause__
    assert isinstance(cause, SanitizedCause)
    assert type(cause).__name__ == "OSError"
    assert cause.original_type is OSError
    assert "tok-123456" not in str(cause)
    assert "***" in str(cause)
