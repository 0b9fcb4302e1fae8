"""Every decoder the providers use, fed arbitrary bodies, raises only ``telcall.errors`` types.

The decoders are discovered: every module-level ``msgspec.json.Decoder`` in the provider
packages, plus the CDR decoders of each mapping. Each one runs through its client's decode path
(``_decode``: status mapping, typed decode, failure classification) with bodies drawn by
hypothesis: arbitrary bytes, JSON built around the providers' success and failure keys, and
deep nesting.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from hypothesis import given, strategies as st

from telcall import errors
from telcall._core.transport import Response
from telcall.providers import ProviderSpec, specs
from telcall.tel4vn.resources.cdrs import CdrDecoder


def _client_of(spec: ProviderSpec) -> Any:
    """A way to build the provider's client, pointed nowhere, with a secret."""
    cls = spec.client_class()
    return lambda: cls(base_url="http://127.0.0.1:9", **{cls.secret_name: "k"})


#: Every registered provider's client.
CLIENTS: dict[str, Any] = {name: _client_of(spec) for name, spec in specs().items()}


def discovered() -> Iterator[tuple[str, str, Any]]:
    """``(provider, name, decoder)`` for every module-level typed decoder of every provider."""
    for provider, spec in specs().items():
        package = importlib.import_module(spec.package)
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                if isinstance(value, msgspec.json.Decoder) and value.type is not Any:
                    yield provider, f"{info.name.removeprefix('telcall.')}.{name}", value
    for mapping in ("default", "flex", "auto"):
        yield "tel4vn", f"CdrDecoder({mapping!r})", CdrDecoder(mapping)  # type: ignore[arg-type]


DECODERS = [pytest.param(p, d, id=name) for p, name, d in discovered()]

#: Keys the providers' success and failure shapes are made of, so drawn objects get near them.
_KEYS = st.sampled_from(
    [
        "data",
        "code",
        "content",
        "status",
        "error",
        "message",
        "status_code",
        "payload",
        "results",
        "items",
        "calls",
        "total",
        "limit",
        "offset",
        "scroll_id",
        "has_next",
        "id",
        "cdrId",
        "token",
        "access_token",
        "created",
        "deleted",
        "call_id",
    ]
)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-10_000, 10_000)
    | st.sampled_from([9999, -9999, 0, 1, 200, 401, 404, 500])
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["success", "fail", "successfully", "0", "1", "01", "03", "401"])
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(_KEYS | st.text(max_size=6), inner, max_size=5)
    ),
    max_leaves=20,
)


def _deep(depth: int, opener: bytes, closer: bytes) -> bytes:
    return opener * depth + closer * depth


BODIES = st.one_of(
    st.binary(max_size=256),
    _JSON.map(msgspec.json.encode),
    st.tuples(_JSON.map(msgspec.json.encode), st.integers(0, 64)).map(lambda t: t[0][: t[1]]),
    st.integers(1_000, 200_000).map(lambda d: _deep(d, b"[", b"]")),
    st.integers(1_000, 200_000).map(lambda d: b'{"data":' + _deep(d, b"[", b"]") + b"}"),
)
STATUSES = st.sampled_from([200, 201, 204, 302, 400, 401, 403, 404, 409, 429, 500, 502, 503])


def test_discovery_finds_every_providers_decoders() -> None:
    """Each provider contributes its decoders (a renamed module cannot drop out silently)."""
    counts = {p: sum(1 for q, _, _ in discovered() if q == p) for p in CLIENTS}
    assert counts["tel4vn"] >= 15
    assert counts["omicall"] >= 5
    assert counts["aicallcenter"] >= 3


@pytest.mark.parametrize(("provider", "decoder"), DECODERS)
@given(body=BODIES, status=STATUSES)
def test_decode_path_raises_only_telcall_errors(
    provider: str, decoder: Any, body: bytes, status: int
) -> None:
    """Whatever the body and status, the client decodes it or raises a telcall error."""
    client = CLIENTS[provider]()
    response = Response(status, {"Content-Type": "application/json"}, body, "GET", "http://x/y")
    error = outcome(client, response, decoder)
    if error is None:
        assert status < 400, "an HTTP error status decoded as a success"
    else:
        assert str(error)
        assert status < 400 or isinstance(error, errors.APIError)


def outcome(client: Any, response: Response, decoder: Any) -> errors.TelcallError | None:
    """The telcall error decoding raises, or None for a success; anything else propagates."""
    try:
        client._decode(response, decoder)
    except errors.TelcallError as exc:
        return exc
    return None
