"""Every public async method against a server having a bad day: a typed error, in bounded time.

Parametrized over the methods discovered from the three clients (see ``methods.py``), so a new
endpoint is covered without a new test. Each case scripts one hostile answer for every request
after the client's token is cached, calls the method with arguments that pass validation, and
expects the error the answer means, never a success value and never a hang.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import anyio
import pytest

from telcall import errors
from telcall.simulator import Echo, Endless, Freeze, Redirect, Reply, ScriptedFault

from .bodies import DEEP_ARRAY, DEEP_OBJECT, FAIL_BODIES
from .conftest import WATCHDOG, Hostile, async_endpoints
from .methods import LISTING_ARGUMENTS, Endpoint, arguments

ENDPOINTS = async_endpoints()
LISTINGS = [e for e in ENDPOINTS if e.listing]

#: Listings that can also run offset pages or several pages in flight: a frozen cursor must be
#: caught on those paths too.
LISTING_VARIANTS: dict[str, list[dict[str, Any]]] = {
    "tel4vn:cdrs.pages": [{"pagination": "offset"}, {"pagination": "offset", "concurrency": 4}],
    "tel4vn:cdrs.iterate": [{"pagination": "offset", "prefetch": 1}],
    "tel4vn:customers.pages": [{"concurrency": 4}],
    "aicallcenter:campaigns.calls.pages": [{"concurrency": 4}],
    "aicallcenter:users.calls.iterate": [{"prefetch": 1}],
}


async def call(endpoint: Endpoint, client: Any, kwargs: dict[str, Any]) -> Any:
    """Run one method to the end: await it, or drain the iterator; report results' own errors."""
    result = endpoint.bind(client)(**kwargs)
    if endpoint.listing:
        try:
            return [item async for item in result]
        finally:
            await result.aclose()
    value = await result
    # A batched import reports a failed batch on its result instead of raising.
    raise_for_error = getattr(value, "raise_for_error", None)
    if raise_for_error is not None:
        raise_for_error()
    return value


async def must_fail(endpoint: Endpoint, client: Any, kwargs: dict[str, Any]) -> None:
    """Run the method; a value coming back fails the test."""
    value = await call(endpoint, client, kwargs)
    pytest.fail(f"{endpoint.key} returned {value!r:.200}")


async def expect_error(
    hostile: Hostile, endpoint: Endpoint, kwargs: dict[str, Any]
) -> errors.TelcallError:
    """The typed error the method raises, within the watchdog; the request must have been sent."""
    with anyio.fail_after(WATCHDOG), pytest.raises(errors.TelcallError) as caught:
        await must_fail(endpoint, hostile.client, kwargs)
    assert not isinstance(caught.value, errors.ValidationError), "the request was never sent"
    assert hostile.served(), "no request reached the hostile server"
    return caught.value


def cases(
    modes: Callable[[Endpoint], Iterator[tuple[str, ScriptedFault, type[errors.TelcallError]]]],
    endpoints: list[Endpoint],
) -> list[Any]:
    """``pytest.param(endpoint, fault, expected)`` for each endpoint and each of its modes."""
    return [
        pytest.param(endpoint, fault, expected, id=f"{endpoint.key}-{name}")
        for endpoint in endpoints
        for name, fault, expected in modes(endpoint)
    ]


def fail_bodies(endpoint: Endpoint) -> Iterator[tuple[str, ScriptedFault, type[Any]]]:
    """The provider's documented failure shapes and the generic ones (HTTP 200)."""
    yield from FAIL_BODIES[endpoint.provider]


def broken_bodies(endpoint: Endpoint) -> Iterator[tuple[str, ScriptedFault, type[Any]]]:
    """A proxy's page quoting the request, and bodies nested too deeply to decode."""
    yield "echo", Echo(), errors.DecodeError
    yield "deep-array", Reply(200, DEEP_ARRAY), errors.DecodeError
    yield "deep-object", Reply(200, DEEP_OBJECT), errors.DecodeError


@pytest.mark.parametrize(("endpoint", "fault", "expected"), cases(fail_bodies, ENDPOINTS))
async def test_fail_body_raises_its_error(
    hostile_factory: Any, endpoint: Endpoint, fault: ScriptedFault, expected: type[Any]
) -> None:
    """A failure answer with HTTP 200 raises the error it means on every method."""
    async with hostile_factory(endpoint.provider) as hostile:
        kwargs = arguments(endpoint, hostile.sim)
        hostile.script(fault)
        error = await expect_error(hostile, endpoint, kwargs)
    assert type(error) is expected, repr(error)


@pytest.mark.parametrize(("endpoint", "fault", "expected"), cases(broken_bodies, ENDPOINTS))
async def test_broken_body_is_a_decode_error(
    hostile_factory: Any, endpoint: Endpoint, fault: ScriptedFault, expected: type[Any]
) -> None:
    """An echoing proxy page or a 200k-deep body is a DecodeError, never a RecursionError."""
    async with hostile_factory(endpoint.provider) as hostile:
        kwargs = arguments(endpoint, hostile.sim)
        hostile.script(fault)
        error = await expect_error(hostile, endpoint, kwargs)
    assert type(error) is expected, repr(error)


def frozen_listings() -> list[Any]:
    """Each listing with small pages, plus its offset / concurrent / prefetch variants."""
    params = []
    for endpoint in LISTINGS:
        variants = [{}, *LISTING_VARIANTS.get(endpoint.key, [])]
        for variant in variants:
            suffix = "-".join(f"{k}={v}" for k, v in variant.items())
            params.append(
                pytest.param(endpoint, variant, id="-".join(filter(None, [endpoint.key, suffix])))
            )
    return params


@pytest.mark.parametrize(("endpoint", "variant"), frozen_listings())
async def test_frozen_cursor_is_a_pagination_error(
    hostile_factory: Any, endpoint: Endpoint, variant: dict[str, Any]
) -> None:
    """A listing whose server replays its first page raises PaginationError within a few pages."""
    async with hostile_factory(endpoint.provider) as hostile:
        kwargs = {**arguments(endpoint, hostile.sim), **LISTING_ARGUMENTS, **variant}
        hostile.script(Freeze())
        error = await expect_error(hostile, endpoint, kwargs)
        assert type(error) is errors.PaginationError, repr(error)
        assert len(hostile.served()) <= 8


def test_every_listing_variant_names_a_listing() -> None:
    """The variant table only names listings that exist (a renamed method cannot drop out)."""
    assert set(LISTING_VARIANTS) <= {e.key for e in LISTINGS}


#: Small enough that the oversized body is cheap to send, large enough for every real answer.
_LIMIT = 1 << 20


@pytest.mark.parametrize("endpoint", [pytest.param(e, id=e.key) for e in ENDPOINTS])
async def test_redirect_loop_is_not_followed(hostile_factory: Any, endpoint: Endpoint) -> None:
    """A redirect (here a loop) is a RedirectError after exactly one request: never followed."""
    async with hostile_factory(endpoint.provider) as hostile:
        kwargs = arguments(endpoint, hostile.sim)
        hostile.script(Redirect())
        error = await expect_error(hostile, endpoint, kwargs)
        assert type(error) is errors.RedirectError, repr(error)
        assert len(hostile.served()) == 1


@pytest.mark.parametrize(
    ("endpoint", "fault"),
    [
        pytest.param(e, fault, id=f"{e.key}-{name}")
        for e in ENDPOINTS
        for name, fault in (
            ("endless", Endless()),
            ("oversized", Reply(200, b'{"data": ["' + b"x" * (2 * _LIMIT) + b'"]}')),
        )
    ],
)
async def test_oversized_body_is_refused(
    hostile_factory: Any, endpoint: Endpoint, fault: ScriptedFault
) -> None:
    """An endless or oversized body raises ResponseTooLarge without buffering it."""
    async with hostile_factory(endpoint.provider, max_response_bytes=_LIMIT) as hostile:
        kwargs = arguments(endpoint, hostile.sim)
        hostile.script(fault)
        error = await expect_error(hostile, endpoint, kwargs)
    assert type(error) is errors.ResponseTooLarge, repr(error)
