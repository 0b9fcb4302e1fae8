"""Every public method of the three clients, discovered, with arguments that pass validation.

Discovery follows ``scripts/generate_sync.py``: a client's ``cached_property`` attributes are its
resources, a resource's ``cached_property`` attributes its sub-resources, and every other public
function on them is an endpoint method. A new endpoint is therefore covered by the hostile suite
without a new test. Arguments are derived from the annotations of the required parameters where a
plain value passes validation (``str``, ``int``, ``bool``, a ``Literal``, a sequence of those);
:data:`ARGUMENTS` holds the rest, and ``test_guard.py`` fails when a method has neither.
"""

from __future__ import annotations

import copy
import inspect
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, Literal, Union, get_args, get_origin

from telcall.simulator import VN

__all__ = (
    "ARGUMENTS",
    "LISTING_ARGUMENTS",
    "CannotDerive",
    "Endpoint",
    "arguments",
    "endpoints",
)

#: The OMICall simulator's default period starts here; one day of it holds a few dozen calls.
_DAY = datetime(2026, 9, 1, tzinfo=VN)

_PHONE = "0899888998"

Context = Any
Arguments = Callable[[Context], dict[str, Any]]


def _fixed(**kwargs: Any) -> Arguments:
    # A fresh copy per call: tests set arguments on what they get (a hypothesis example
    # replacing from_date with year 1290 must not leak into the next example or test).
    return lambda _sim: copy.deepcopy(kwargs)


#: Arguments that cannot be derived from annotations (valid phones, customers, ranges, ...),
#: keyed by ``provider:resource.method``; the callable gets the running simulator.
ARGUMENTS: dict[str, Arguments] = {
    "tel4vn:events.create": _fixed(callback_url="https://hooks.example.vn/t", event="hangup"),
    "tel4vn:events.ensure": _fixed(callback_url="https://hooks.example.vn/t", events=["hangup"]),
    "tel4vn:click2call.call": _fixed(ext="101", phone=_PHONE),
    "tel4vn:click2call.call_nowait": _fixed(ext="101", phone=_PHONE),
    "tel4vn:click2call.call_customer": _fixed(customer_id="C1", mobile=_PHONE, agent="101"),
    "tel4vn:autodialer.import_queue": _fixed(
        campaign_id="CMP1",
        queue_code="Q1",
        precall_ratio="1",
        max_recall_count="1",
        queue_agents="101",
        customers=[{"id": "K1", "mobiles": [_PHONE]}],
    ),
    "tel4vn:autocall.import_queue": _fixed(
        queue_code="AQ1", template="T1", customers=[{"id": "K1", "mobiles": [_PHONE]}]
    ),
    "tel4vn:customers.create": _fixed(
        campaign_id="CMP1", customer_code="KH01", phone_number=_PHONE, contract_number="ABC123"
    ),
    "omicall:contacts.add_many": _fixed(contacts=[{"fullName": "Nguyen Van A"}]),
    "omicall:contacts.add_notes": _fixed(notes=[{"content": "called back", "phone": _PHONE}]),
    "omicall:contacts.get": _fixed(phone=_PHONE),
    "omicall:call_history.list": _fixed(from_date=_DAY, to_date=_DAY + timedelta(days=1)),
    "omicall:call_history.pages": _fixed(from_date=_DAY, to_date=_DAY + timedelta(days=1)),
    "omicall:call_history.iterate": _fixed(from_date=_DAY, to_date=_DAY + timedelta(days=1)),
    "aicallcenter:campaigns.import_contacts": lambda sim: {
        "campaign_id": sim.campaign_id,
        "contacts": [{"phone_number": _PHONE}],
    },
    "aicallcenter:campaigns.calls.list": lambda sim: {"campaign_id": sim.campaign_id},
    "aicallcenter:campaigns.calls.pages": lambda sim: {"campaign_id": sim.campaign_id},
    "aicallcenter:campaigns.calls.iterate": lambda sim: {"campaign_id": sim.campaign_id},
}

#: What a listing gets on top, for modes that need several real pages (a frozen cursor).
LISTING_ARGUMENTS: dict[str, Any] = {"page_size": 2}


class CannotDerive(Exception):
    """A required parameter whose annotation gives no value that passes validation."""


@dataclass(frozen=True)
class Endpoint:
    """One public method: where it hangs off the client and the function behind it."""

    provider: str
    path: str
    function: Callable[..., Any]
    listing: bool

    @property
    def key(self) -> str:
        """``provider:resource.method``, the key of :data:`ARGUMENTS`."""
        return f"{self.provider}:{self.path}"

    def bind(self, client: Any) -> Callable[..., Any]:
        """The bound method on ``client`` (``client.cdrs.list``)."""
        target = client
        for part in self.path.split("."):
            target = getattr(target, part)
        return typing.cast(Callable[..., Any], target)


def endpoints(provider: str, client_cls: type) -> list[Endpoint]:
    """Every public method reachable from ``client_cls`` through its resources, in name order."""
    found = [
        *_methods(provider, client_cls, "", skip=frozenset({"aclose", "close", "with_options"})),
        *_resources(provider, client_cls, ""),
    ]
    return sorted(found, key=lambda e: e.path)


def _resources(provider: str, cls: type, prefix: str) -> Iterator[Endpoint]:
    for name, attr in _public(cls):
        # The raw-response twins call the same methods; they are not endpoints of their own.
        if isinstance(attr, cached_property) and name != "with_raw_response":
            resource = typing.get_type_hints(attr.func)["return"]
            yield from _methods(provider, resource, f"{prefix}{name}.")
            yield from _resources(provider, resource, f"{prefix}{name}.")


def _methods(
    provider: str, cls: type, prefix: str, skip: frozenset[str] = frozenset()
) -> Iterator[Endpoint]:
    for name, attr in _public(cls):
        if name in skip or not inspect.isfunction(attr):
            continue
        listing = inspect.isasyncgenfunction(attr) or _returns_iterator(attr)
        yield Endpoint(provider, f"{prefix}{name}", attr, listing)


def _public(cls: type) -> Iterator[tuple[str, Any]]:
    for name in sorted(dir(cls)):
        if not name.startswith("_"):
            yield name, inspect.getattr_static(cls, name)


def _returns_iterator(function: Callable[..., Any]) -> bool:
    returns = typing.get_type_hints(function).get("return")
    name = getattr(get_origin(returns) or returns, "__name__", "")
    return name in {"AsyncGenerator", "AsyncIterator", "SyncIterator"}


def arguments(endpoint: Endpoint, sim: Context = None) -> dict[str, Any]:
    """Arguments for ``endpoint`` that pass validation: from :data:`ARGUMENTS` or derived."""
    explicit = ARGUMENTS.get(endpoint.key)
    if explicit is not None:
        return explicit(sim)
    hints = typing.get_type_hints(endpoint.function)
    derived: dict[str, Any] = {}
    for param in inspect.signature(endpoint.function).parameters.values():
        if param.name == "self" or param.default is not inspect.Parameter.empty:
            continue
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        derived[param.name] = _value(hints.get(param.name), param.name)
    return derived


def _value(annotation: Any, name: str) -> Any:
    origin = get_origin(annotation)
    if annotation is str:
        return "x1"
    if annotation is bool:
        return False
    if annotation is int:
        return 1
    if origin is Literal:
        return get_args(annotation)[0]
    if origin in (Union, types.UnionType):
        for option in get_args(annotation):
            if option is not type(None):
                try:
                    return _value(option, name)
                except CannotDerive:
                    continue
    if origin in (list, Sequence, Iterable) and get_args(annotation):
        return [_value(get_args(annotation)[0], name)]
    raise CannotDerive(f"{name}: {annotation!r}")
