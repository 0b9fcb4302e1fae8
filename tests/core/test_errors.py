"""The exception tree and its status table."""

from __future__ import annotations

import pytest

from telcall import errors
from telcall._core.errors import error_for_status, snippet


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        pytest.param(400, errors.BadRequestError, id="400"),
        pytest.param(401, errors.AuthenticationError, id="401"),
        pytest.param(403, errors.PermissionDeniedError, id="403"),
        pytest.param(404, errors.NotFoundError, id="404"),
        pytest.param(429, errors.RateLimitError, id="429"),
        pytest.param(500, errors.ServerError, id="500"),
        pytest.param(503, errors.ServerError, id="503"),
        pytest.param(418, errors.BadRequestError, id="other-4xx"),
    ],
)
def test_status_table(status: int, cls: type[errors.APIError]) -> None:
    """Each HTTP status maps onto its documented class."""
    assert error_for_status(status) is cls


def test_every_public_error_is_a_telcall_error() -> None:
    """Catching TelcallError catches everything telcall raises."""
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.TelcallError), name


def test_validation_error_is_a_value_error() -> None:
    """Bad input is also a ValueError, so generic handlers keep working."""
    assert issubclass(errors.ValidationError, ValueError)


def test_names_do_not_shadow_builtins() -> None:
    """No public error shadows a builtin exception name."""
    import builtins

    assert not set(errors.__all__) & set(dir(builtins))


def test_api_error_carries_context() -> None:
    """An API error exposes provider, status, code, message, method, URL and body."""
    error = errors.ProviderError(
        "busy",
        provider="tel4vn",
        status=200,
        code="USER_BUSY",
        method="GET",
        url="http://x/a",
        body=b'{"status":"fail"}',
    )
    assert (error.provider, error.status, error.code, error.message) == (
        "tel4vn",
        200,
        "USER_BUSY",
        "busy",
    )
    assert "USER_BUSY" in str(error)
    assert "GET http://x/a" in str(error)
    assert error.body == b'{"status":"fail"}'


def test_snippet_folds_and_truncates() -> None:
    """Snippets fold whitespace and stop at 200 characters."""
    text = snippet(b"<html>\n  <body>" + b"x" * 500)
    assert text.startswith("<html> <body>")
    assert len(text) == 200


def test_decode_error_shows_the_start_of_the_body() -> None:
    """A decode error names the status, content type and the first characters."""
    error = errors.DecodeError(
        "truncated", provider="tel4vn", status=200, content_type="text/html", body=b"<html>oops"
    )
    assert error.snippet == "<html>oops"
    assert "text/html" in str(error)
    assert "<html>oops" in str(error)
