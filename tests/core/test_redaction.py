"""Secrets stay out of URLs and text."""

from __future__ import annotations

import pytest

from telcall._core.redaction import redact_url, scrub


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
def test_redact_url(url: str, expected: str) -> None:
    """Credential query values and userinfo are replaced by ***."""
    assert redact_url(url) == expected


def test_scrub_replaces_known_values() -> None:
    """Known secret values vanish from arbitrary text."""
    assert scrub("token abc in abc", {"abc"}) == "token *** in ***"
