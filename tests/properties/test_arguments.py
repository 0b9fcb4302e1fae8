"""Every public method, given arbitrary argument values: a well-formed request, or none at all.

For each method of the three sync clients (discovered as the hostile suite discovers them, so a
new endpoint is covered without a new test), hypothesis replaces one argument of a valid call
with an arbitrary value. The call must then either raise ``ValidationError`` having sent nothing,
or send only requests whose method and path docs/api.md lists and that the simulator accepts
(no ``BadRequestError``, no ``DecodeError``), ending in a value or a ``telcall.errors`` type:
never ``TypeError``, ``AttributeError`` and the like.
"""

from __future__ import annotations

import concurrent.futures
import inspect
import re
import typing
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, strategies as st

from telcall import errors
from telcall._core.options import EXTRA_NAMES
from telcall._core.validation import unpacked_keywords

from ..hostile.conftest import WATCHDOG, sync_endpoints
from ..hostile.methods import Endpoint, arguments

_DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def documented_routes() -> list[tuple[str, re.Pattern[str]]]:
    """``(method, path pattern)`` for every endpoint docs/api.md lists (``<id>`` is a segment)."""
    routes = set(re.findall(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`\s?]*)", _DOCS.read_text()))
    return [
        (method, re.compile(re.sub(r"<[^>]+>", ".+", re.escape(path)) + "$"))
        for method, path in sorted(routes)
    ]


ROUTES = documented_routes()

#: Parameters whose values only the server can judge (it issued them).
OPAQUE_TO_THE_CLIENT = frozenset({"scroll_id"})

#: Values real callers pass by mistake, and what hypothesis makes of every basic type.
HOSTILE_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(["", " ", ".", "..", "a\nb", "0899888998\n", "x/y", "%2e%2e", "\x00"]),
    st.binary(max_size=6),
    st.lists(st.one_of(st.text(max_size=4), st.integers(), st.none()), max_size=3),
    st.dictionaries(st.text(max_size=4), st.one_of(st.text(max_size=4), st.integers()), max_size=2),
    st.datetimes(timezones=st.just(UTC)),
    st.dates(min_value=date(1, 1, 1)),
    st.just(datetime(2026, 11, 1)),
)


def call(endpoint: Endpoint, client: Any, kwargs: dict[str, Any]) -> Any:
    """Call the method; of a listing, take the first item only."""
    result = endpoint.bind(client)(**kwargs)
    if endpoint.listing:
        with result:
            return next(iter(result), None)
    return result


def parameters(endpoint: Endpoint) -> list[str]:
    """The names a caller can pass to ``endpoint``: ``**filters: Unpack[TypedDict]`` keys too.

    The per-call ``extra_*`` escape hatch is left out: it sends what it is given, by design.
    """
    required, unpacked, optional = [], [], []
    hints = typing.get_type_hints(endpoint.function)
    for p in inspect.signature(endpoint.function).parameters.values():
        if p.kind is p.VAR_KEYWORD:
            unpacked = [k for k in unpacked_keywords(hints[p.name]) or () if k not in EXTRA_NAMES]
        elif p.name != "self" and p.kind is not p.VAR_POSITIONAL:
            (required if p.default is p.empty else optional).append(p.name)
    # In the order they had as named parameters: required ones, the filters, the rest.
    return [*required, *unpacked, *optional]


def sent(sim: Any, tag: str) -> list[Any]:
    """The requests the simulator received with this example's tag."""
    return [r for r in sim.requests if r.headers.get("X-Example") == tag]


def undocumented(requests: list[Any]) -> list[str]:
    """The requests whose method and path docs/api.md does not list."""
    return [
        f"{r.method} {r.path}"
        for r in requests
        if not any(r.method == m and pattern.match(r.path) for m, pattern in ROUTES)
    ]


@pytest.mark.parametrize(
    "endpoint",
    [pytest.param(e, id=e.key) for e in sync_endpoints() if parameters(e)],
)
@given(data=st.data())
def test_arbitrary_argument_is_refused_or_sent_well_formed(
    sync_servers: dict[str, tuple[Any, Any]], endpoint: Endpoint, data: st.DataObject
) -> None:
    """One argument made arbitrary: ValidationError with nothing sent, or documented requests."""
    sim, parent = sync_servers[endpoint.provider]
    kwargs = arguments(endpoint, sim)
    name = data.draw(st.sampled_from(parameters(endpoint)), label="parameter")
    kwargs[name] = data.draw(HOSTILE_VALUES, label="value")
    # A tag on this example's requests: one given up on (a tiny timeout) may still arrive later.
    tag = uuid.uuid4().hex
    client = parent.with_options(extra_headers={"X-Example": tag})
    worker = concurrent.futures.ThreadPoolExecutor(1)
    try:
        future = worker.submit(call, endpoint, client, kwargs)
        try:
            future.result(timeout=WATCHDOG)
        except errors.ValidationError:
            assert sent(sim, tag) == [], "a refused argument was sent anyway"
            return
        except (errors.BadRequestError, errors.DecodeError):
            # The simulator refused what was sent, or answered it with what a success
            # decoder cannot read: the request was not well-formed (a cursor is the server's
            # to judge: an unknown one is a well-formed request for an expired scroll).
            if name not in OPAQUE_TO_THE_CLIENT:
                raise
        except errors.TelcallError:
            pass  # the server's answer to a well-formed request (not found, refused, ...)
    finally:
        worker.shutdown(wait=False, cancel_futures=True)
    wrong = undocumented(sent(sim, tag))
    assert not wrong, f"{name}={kwargs[name]!r} sent {wrong}"


def test_documented_routes_are_found() -> None:
    """The route table is read from docs/api.md (a broken pattern would accept nothing)."""
    assert len(ROUTES) >= 20
    assert any(m == "DELETE" and p.match("/v1/event/abc") for m, p in ROUTES)
    assert not any(p.match("/v1/") for _, p in ROUTES)
