"""Phone numbers, OTP codes and birthdays must match their pattern in full."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import pytest

from telcall import aicallcenter, errors, omicall, tel4vn

TRAILING = [
    pytest.param("0899888998\n", id="newline"),
    pytest.param("0899888998\r\n", id="crlf"),
    pytest.param("0899888998 ", id="space"),
    pytest.param("0899888998x", id="letter"),
]


@pytest.mark.parametrize("number", TRAILING)
@pytest.mark.parametrize(
    "is_valid",
    [
        pytest.param(tel4vn.is_valid_phone, id="tel4vn"),
        pytest.param(omicall.is_valid_phone, id="omicall"),
        pytest.param(aicallcenter.is_valid_phone, id="aicallcenter"),
    ],
)
def test_trailing_characters_are_not_a_phone(is_valid: Callable[[str], bool], number: str) -> None:
    """A valid number followed by anything (a newline included) is not valid."""
    assert is_valid("0899888998")
    assert not is_valid(number)


PHONE_CALLS: list[Any] = [
    pytest.param(
        "tel4vn", lambda c, n: c.click2call.call(ext="101", phone=n), id="tel4vn-click2call"
    ),
    pytest.param(
        "tel4vn",
        lambda c, n: c.customers.create(
            campaign_id="C", customer_code="K", phone_number=n, contract_number="A"
        ),
        id="tel4vn-customers-create",
    ),
    pytest.param("omicall", lambda c, n: c.contacts.add(phones=[n]), id="omicall-contacts-add"),
    pytest.param("omicall", lambda c, n: c.contacts.get(phone=n), id="omicall-contacts-get"),
    pytest.param(
        "aicallcenter",
        lambda c, n: c.campaigns.import_contacts("CMP", [{"phone_number": n}], strict=True),
        id="aicallcenter-import",
    ),
]


@pytest.mark.parametrize(("provider", "call"), PHONE_CALLS)
async def test_phone_with_newline_is_not_sent(
    hostile_factory: Any, provider: str, call: Any
) -> None:
    """``"0899888998\\n"`` raises ValidationError and places no call."""
    with anyio.fail_after(20):
        async with hostile_factory(provider) as h:
            with pytest.raises(errors.ValidationError):
                await call(h.client, "0899888998\n")
            assert h.served() == []


def test_otp_with_newline_is_not_valid() -> None:
    """A voice-OTP code must be exactly six digits."""
    from telcall.aicallcenter._validation import is_valid_otp

    assert is_valid_otp("123456")
    assert not is_valid_otp("123456\n")


def test_birthday_with_newline_is_refused() -> None:
    """An OMICall birthday string must be exactly ``dd/MM/yyyy``."""
    from telcall.omicall._validation import check_birthday

    assert check_birthday("01/02/1990", "birthday") == "01/02/1990"
    with pytest.raises(errors.ValidationError):
        check_birthday("01/02/1990\n", "birthday")
