"""What the hostile server answers with, and the error each answer must raise, per provider."""

from __future__ import annotations

from typing import Any

from telcall import errors
from telcall.simulator import Reply

__all__ = ("DEEP_ARRAY", "DEEP_OBJECT", "FAIL_BODIES", "HTML_PAGE", "SYNC_FAIL_BODIES")

_DEPTH = 200_000
DEEP_ARRAY = b"[" * _DEPTH + b"]" * _DEPTH
DEEP_OBJECT = b'{"a":' * _DEPTH + b"1" + b"}" * _DEPTH
HTML_PAGE = b"<html><body><h1>Service temporarily unavailable</h1></body></html>"

Case = tuple[str, Reply, type[errors.TelcallError]]


def _json(status: int, body: Any) -> Reply:
    return Reply(status, body if body is not None else b"null")


_GENERIC: list[Case] = [
    ("empty-object", _json(200, {}), errors.DecodeError),
    ("empty-array", _json(200, []), errors.DecodeError),
    ("null", _json(200, None), errors.DecodeError),
    ("html", Reply(200, HTML_PAGE, content_type="text/html"), errors.DecodeError),
]


def _omicall_failure(error: str) -> dict[str, Any]:
    return {
        "instance_id": "omi-1",
        "payload": {"status": "fail", "error": error, "message": "refused"},
        "instance_version": "1.0",
        "key_enabled": True,
        "status_code": -9999,
    }


#: Every documented failure shape of each provider (HTTP 200) and the generic ones, with the
#: class it must raise on every endpoint. docs/api.md lists the same shapes.
FAIL_BODIES: dict[str, list[Case]] = {
    "tel4vn": [
        *_GENERIC,
        (
            "status-fail",
            _json(200, {"status": "fail", "error": "INTERNAL_ERROR"}),
            errors.ProviderError,
        ),
        ("status-fail-bare", _json(200, {"status": "fail"}), errors.ProviderError),
        ("code-500-bare", _json(200, {"code": 500}), errors.ServerError),
        (
            "code-500",
            _json(200, {"code": 500, "content": "Internal Server Error", "error": "Internal"}),
            errors.ServerError,
        ),
        ("code-404", _json(200, {"code": 404, "content": "queue not found"}), errors.NotFoundError),
        (
            "code-401",
            _json(200, {"code": 401, "content": "unauthorized", "error": "Unauthorized"}),
            errors.AuthenticationError,
        ),
        ("message", _json(200, {"message": "campaign is invalid"}), errors.ProviderError),
    ],
    "omicall": [
        *_GENERIC,
        ("code-500-bare", _json(200, {"code": 500}), errors.DecodeError),
        ("status-fail-bare", _json(200, {"status": "fail"}), errors.DecodeError),
        ("failure", _json(200, _omicall_failure("internal_error")), errors.ProviderError),
        ("not-found", _json(200, _omicall_failure("contact_not_found")), errors.NotFoundError),
        ("token", _json(200, _omicall_failure("token_expired")), errors.AuthenticationError),
        ("failure-bare", _json(200, {"status_code": -9999}), errors.ProviderError),
    ],
    "aicallcenter": [
        *_GENERIC,
        ("code-500-bare", _json(200, {"code": 500}), errors.DecodeError),
        ("status-fail-bare", _json(200, {"status": "fail"}), errors.ProviderError),
        (
            "campaign",
            _json(200, {"status": 0, "code": "01", "message": "campaign_id không hợp lệ"}),
            errors.NotFoundError,
        ),
        (
            "stopped",
            _json(200, {"status": 0, "code": "03", "message": "The campaign stopped"}),
            errors.ProviderError,
        ),
        (
            "contacts",
            _json(200, {"status": 0, "code": 400, "message": "contacts không đúng định dạng"}),
            errors.BadRequestError,
        ),
        (
            "token",
            _json(200, {"status": 0, "code": "401", "message": "access_token không hợp lệ"}),
            errors.AuthenticationError,
        ),
        ("status-0-bare", _json(200, {"status": 0}), errors.ProviderError),
    ],
}

_SYNC_CASES = frozenset({"empty-object", "html", "status-fail", "failure", "campaign"})

#: The sync facade runs a documented failure, an empty object and an HTML page per provider.
SYNC_FAIL_BODIES: dict[str, list[Case]] = {
    name: [case for case in cases if case[0] in _SYNC_CASES] for name, cases in FAIL_BODIES.items()
}
