"""Guards of the hostile suite: every public method is discovered and gets arguments."""

from __future__ import annotations

import pytest

from telcall.providers import specs

from .conftest import PROVIDERS, async_endpoints, sync_endpoints
from .methods import ARGUMENTS, CannotDerive, Endpoint, arguments


class _AnySimulator:
    """Stands in for a running simulator: the argument table only reads attributes of it."""

    def __getattr__(self, name: str) -> str:
        return f"<{name}>"


@pytest.mark.parametrize(
    "endpoint", [pytest.param(e, id=e.key) for e in [*async_endpoints(), *sync_endpoints()]]
)
def test_every_public_method_has_arguments(endpoint: Endpoint) -> None:
    """A method is in the explicit table or its required arguments derive from annotations."""
    try:
        arguments(endpoint, _AnySimulator())
    except CannotDerive as exc:
        pytest.fail(f"{endpoint.key}: add it to tests/hostile/methods.py ARGUMENTS ({exc})")


def test_the_argument_table_names_only_real_methods() -> None:
    """A renamed or removed method cannot leave a stale entry behind."""
    assert set(ARGUMENTS) <= {e.key for e in async_endpoints()}


def test_sync_facade_has_the_async_methods() -> None:
    """The sync clients expose exactly the async methods, so both suites cover the same calls."""
    assert {e.key for e in sync_endpoints()} == {e.key for e in async_endpoints()}


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_discovery_finds_the_listings(name: str) -> None:
    """Each provider has listings (pages/iterate) found as such, and dozens of methods in all."""
    found = [e for e in async_endpoints() if e.provider == name]
    assert any(e.listing and e.path.endswith(".pages") for e in found)
    assert any(e.listing and e.path.endswith(".iterate") for e in found)
    assert not any(e.listing for e in found if e.path.endswith(".list"))
    assert len(found) >= 7


def test_every_shipped_provider_is_hostile_tested() -> None:
    """A provider added to the registry cannot be left out of the hostile suite."""
    shipped = {name for name, spec in specs().items() if spec.package.startswith("telcall.")}
    assert set(PROVIDERS) == shipped


@pytest.mark.parametrize("endpoint", [pytest.param(e, id=e.key) for e in async_endpoints()])
def test_arguments_are_a_fresh_dict_per_call(endpoint: Endpoint) -> None:
    """A test that changes the arguments it got cannot change what the next test gets."""
    sim = _AnySimulator()
    first = arguments(endpoint, sim)
    expected = repr(first)
    first["from_date"] = "1290-01-01"
    for value in first.values():
        if isinstance(value, list):
            value.append("leaked")
    assert repr(arguments(endpoint, sim)) == expected
