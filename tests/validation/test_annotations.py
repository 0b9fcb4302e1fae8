"""Arguments that do not match a public method's annotations are refused before any request."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Literal, Required, TypedDict, Unpack

import anyio
import pytest

from telcall import errors
from telcall._core.validation import check_public_methods


async def run(result: Any) -> None:
    """Await a coroutine, or take the first item of an async iterator."""
    if hasattr(result, "__anext__"):
        try:
            await result.__anext__()
        finally:
            await result.aclose()
    else:
        await result


BAD_CALLS: list[Any] = [
    pytest.param("tel4vn", lambda c: c.cdrs.get(None), "cdr_id", id="cdrs-get-none"),
    pytest.param("tel4vn", lambda c: c.cdrs.get(42), "cdr_id", id="cdrs-get-int"),
    pytest.param("tel4vn", lambda c: c.cdrs.list(limit="10"), "limit", id="cdrs-list-str-limit"),
    pytest.param("tel4vn", lambda c: c.cdrs.list(limit=True), "limit", id="cdrs-list-bool-limit"),
    pytest.param("tel4vn", lambda c: c.cdrs.list(limit=None), "limit", id="cdrs-list-none-limit"),
    pytest.param("tel4vn", lambda c: c.cdrs.list(limit=10.0), "limit", id="cdrs-list-float"),
    pytest.param("tel4vn", lambda c: c.cdrs.list(duration="x"), "duration", id="cdrs-duration"),
    pytest.param("tel4vn", lambda c: c.cdrs.list(start_date=5), "start_date", id="cdrs-date-int"),
    pytest.param("tel4vn", lambda c: c.cdrs.list(timeout="5"), "timeout", id="timeout-str"),
    pytest.param(
        "tel4vn", lambda c: c.cdrs.pages(page_size="10"), "page_size", id="cdrs-pages-size"
    ),
    pytest.param(
        "tel4vn", lambda c: c.cdrs.iterate(pagination="bogus"), "pagination", id="cdrs-literal"
    ),
    pytest.param(
        "tel4vn",
        lambda c: c.events.ensure("https://h.example.vn", events="hangup"),
        "events",
        id="events-ensure-str",
    ),
    pytest.param(
        "tel4vn",
        lambda c: c.events.create(callback_url=None, event="hangup"),
        "callback_url",
        id="events-create-none",
    ),
    pytest.param(
        "tel4vn",
        lambda c: c.autocall.dnc("Q1", customer_ids="K1"),
        "customer_ids",
        id="autocall-dnc-str",
    ),
    pytest.param(
        "tel4vn",
        lambda c: c.click2call.call(ext="101", phone="0899888998", auto_answer=1),
        "auto_answer",
        id="click2call-int-bool",
    ),
    pytest.param("omicall", lambda c: c.contacts.add(tags="vip"), "tags", id="contacts-tags-str"),
    pytest.param("omicall", lambda c: c.contacts.add(tags=[1, 2]), "tags", id="contacts-tags-int"),
    pytest.param("omicall", lambda c: c.contacts.add(fullName=5), "fullName", id="contacts-name"),
    pytest.param(
        "omicall", lambda c: c.contacts.add(gender="m"), "gender", id="contacts-gender-literal"
    ),
    pytest.param(
        "omicall", lambda c: c.contacts.list(page="1"), "page", id="contacts-list-page-str"
    ),
    pytest.param(
        "omicall",
        lambda c: c.call_history.list(from_date=20260901, to_date=date(2026, 9, 2)),
        "from_date",
        id="call-history-int-date",
    ),
    pytest.param(
        "aicallcenter",
        lambda c: c.campaigns.import_contacts("CMP", contacts="0899888998"),
        "contacts",
        id="import-contacts-str",
    ),
    pytest.param(
        "aicallcenter",
        lambda c: c.campaigns.import_contacts("CMP", [{"phone_number": "0899888998"}], otp=1),
        "otp",
        id="import-int-otp",
    ),
    pytest.param(
        "aicallcenter", lambda c: c.users.calls.list(limit="10"), "limit", id="aicc-limit-str"
    ),
]


@pytest.mark.parametrize(("provider", "call", "name"), BAD_CALLS)
async def test_bad_argument_is_refused_without_a_request(
    hostile_factory: Any, provider: str, call: Any, name: str
) -> None:
    """The error names the parameter and the method, and nothing reaches the server."""
    with anyio.fail_after(20):
        async with hostile_factory(provider) as h:
            with pytest.raises(
                errors.ValidationError, match=rf"^Async\w+\.\w+\(\): {name}(\[\w+\])* must"
            ):
                await run(call(h.client))
            assert h.served() == []


class Colour(enum.StrEnum):
    """A StrEnum whose values a Literal lists."""

    RED = "red"
    BLUE = "blue"


class Size(enum.Enum):
    """A plain Enum with string values."""

    SMALL = "small"


class Toy:
    """A resource-like class whose methods get checked."""

    async def paint(
        self,
        colour: Literal["red", "blue"],
        *,
        size: Literal["small", "large"] = "small",
        count: int = 1,
        ratio: float = 1.0,
        names: Sequence[str] = (),
        seen: Iterable[str] = (),
        labels: Mapping[str, int] | None = None,
        when: date | None = None,
        extra: Any = None,
    ) -> str:
        """Echo the colour."""
        return str(colour)

    def stream(self, *, page_size: int = 10) -> int:
        """A plain function, checked when called."""
        return page_size


check_public_methods(Toy)

GOOD_TOY: list[Any] = [
    pytest.param({"colour": "red"}, id="literal-value"),
    pytest.param({"colour": Colour.BLUE}, id="strenum-member-for-literal"),
    pytest.param({"colour": "red", "size": Size.SMALL}, id="enum-member-for-literal"),
    pytest.param({"colour": "red", "ratio": 2}, id="int-for-float"),
    pytest.param({"colour": "red", "names": ("a", "b")}, id="tuple-for-sequence"),
    pytest.param({"colour": "red", "seen": iter(["a"])}, id="iterator-not-consumed"),
    pytest.param({"colour": "red", "seen": {"a"}}, id="set-for-iterable"),
    pytest.param({"colour": "red", "labels": {"a": 1}}, id="mapping"),
    pytest.param({"colour": "red", "when": datetime(2026, 1, 1)}, id="datetime-is-a-date"),
    pytest.param({"colour": "red", "extra": object()}, id="any"),
]

BAD_TOY: list[Any] = [
    pytest.param({"colour": "green"}, "colour", id="literal-other"),
    pytest.param({"colour": Size.SMALL}, "colour", id="enum-member-other-value"),
    pytest.param({"colour": "red", "count": True}, "count", id="bool-is-not-int"),
    pytest.param({"colour": "red", "count": "1"}, "count", id="str-is-not-int"),
    pytest.param({"colour": "red", "ratio": True}, "ratio", id="bool-is-not-float"),
    pytest.param({"colour": "red", "names": "ab"}, "names", id="str-is-not-sequence"),
    pytest.param({"colour": "red", "names": b"ab"}, "names", id="bytes-is-not-sequence"),
    pytest.param({"colour": "red", "names": ["a", 1]}, "names", id="sequence-item"),
    pytest.param({"colour": "red", "seen": "ab"}, "seen", id="str-is-not-iterable"),
    pytest.param({"colour": "red", "seen": [1]}, "seen", id="iterable-item"),
    pytest.param({"colour": "red", "labels": {"a": "1"}}, "labels", id="mapping-value"),
    pytest.param({"colour": "red", "labels": [("a", 1)]}, "labels", id="not-a-mapping"),
    pytest.param({"colour": "red", "when": "2026-01-01"}, "when", id="str-is-not-date"),
    pytest.param({"colour": None}, "colour", id="none-not-annotated"),
]


@pytest.mark.parametrize("kwargs", GOOD_TOY)
async def test_matching_arguments_pass(kwargs: dict[str, Any]) -> None:
    """Values that match the annotations reach the method unchanged."""
    assert str(kwargs["colour"]) == await Toy().paint(**kwargs)


@pytest.mark.parametrize(("kwargs", "name"), BAD_TOY)
async def test_mismatching_arguments_fail(kwargs: dict[str, Any], name: str) -> None:
    """Values that do not match raise ValidationError naming method and parameter."""
    with pytest.raises(errors.ValidationError, match=rf"Toy\.paint\(\).*\b{name}\b"):
        await Toy().paint(**kwargs)


async def test_positional_arguments_are_checked() -> None:
    """A positional argument is checked under its parameter's name."""
    with pytest.raises(errors.ValidationError, match="colour"):
        await Toy().paint("green")


def test_plain_function_checks_when_called() -> None:
    """A function returning an iterator raises at the call, not at the first step."""
    with pytest.raises(errors.ValidationError, match="page_size"):
        Toy().stream(page_size="1")
    assert Toy().stream(page_size=3) == 3


def test_unknown_keyword_is_still_a_type_error() -> None:
    """A misspelt keyword is Python's TypeError, as without the check."""
    with pytest.raises(TypeError):
        Toy().stream(pagesize=1)


def test_long_values_are_shortened_in_errors() -> None:
    """A huge argument does not become a huge message."""
    with pytest.raises(errors.ValidationError) as caught:
        Toy().stream(page_size="x" * 10_000)
    assert len(str(caught.value)) < 300


class ToyFilters(TypedDict, total=False):
    """Keyword filters a toy listing shares between its methods."""

    colour: Required[Literal["red", "blue"]]
    count: int | None


class ToyListing:
    """A resource-like class taking ``**filters: Unpack[ToyFilters]``."""

    async def list(self, *, limit: int = 5, **filters: Unpack[ToyFilters]) -> dict[str, Any]:
        """Echo the filters."""
        return {"limit": limit, **filters}


check_public_methods(ToyListing)

BAD_UNPACKED: list[Any] = [
    pytest.param({"colour": "green"}, errors.ValidationError, "colour", id="key-literal"),
    pytest.param({"colour": "red", "count": "1"}, errors.ValidationError, "count", id="key-type"),
    pytest.param({"colour": "red", "limit": "1"}, errors.ValidationError, "limit", id="named"),
    pytest.param({"colour": "red", "bogus": 1}, TypeError, "unexpected.*bogus", id="unknown-key"),
    pytest.param({"count": 1}, TypeError, "missing required.*colour", id="missing-required"),
]


@pytest.mark.parametrize(("kwargs", "error", "match"), BAD_UNPACKED)
async def test_unpacked_typed_dict_keywords_are_checked(
    kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    """``**filters: Unpack[TypedDict]`` keys are checked like named parameters."""
    with pytest.raises(error, match=match):
        await ToyListing().list(**kwargs)


async def test_unpacked_typed_dict_keywords_pass_through() -> None:
    """Matching keys reach the method unchanged; optional ones may be left out."""
    assert await ToyListing().list(colour="red") == {"limit": 5, "colour": "red"}
    assert await ToyListing().list(colour="blue", count=None, limit=2) == {
        "limit": 2,
        "colour": "blue",
        "count": None,
    }


@pytest.mark.parametrize(
    ("provider", "call", "error"),
    [
        pytest.param("tel4vn", lambda c: c.cdrs.list(bogus=1), TypeError, id="cdrs-unknown"),
        pytest.param("tel4vn", lambda c: c.cdrs.iterate(phones="1"), TypeError, id="iterate-typo"),
        pytest.param(
            "omicall",
            lambda c: c.call_history.list(from_date=date(2026, 9, 1)),
            TypeError,
            id="call-history-missing-to",
        ),
        pytest.param(
            "tel4vn",
            lambda c: c.click2call.call(ext="101", phone="0899888998", hotline=5),
            errors.ValidationError,
            id="click2call-option-type",
        ),
    ],
)
async def test_resource_filters_refuse_unknown_and_missing_keys(
    hostile_factory: Any, provider: str, call: Any, error: type[Exception]
) -> None:
    """A listing's shared filters keep a plain signature's TypeErrors; nothing is sent."""
    with anyio.fail_after(20):
        async with hostile_factory(provider) as h:
            with pytest.raises(error):
                await run(call(h.client))
            assert h.served() == []
