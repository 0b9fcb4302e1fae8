"""OMICall contacts: every endpoint against the simulator, and input rejected before I/O."""

from __future__ import annotations

from datetime import date

import msgspec
import pytest

from telcall.errors import NotFoundError, ProviderError, ValidationError
from telcall.omicall import (
    Contact,
    ContactFilter,
    ContactNote,
    ContactPhone,
    Envelope,
    NewContact,
)


def _body(request):
    return msgspec.json.decode(request.body)


async def test_list_one_page(sim, client):
    """list() sends page/size in the query and an empty search body."""
    page = await client.contacts.list(size=10)
    assert (len(page.items), page.total, page.has_more, page.page) == (10, 25, True, 1)
    request = sim.requests[-1]
    assert (
        request.method,
        request.query,
        _body(request),
    ) == ("POST", {"page": "1", "size": "10"}, {})


async def test_iterate_follows_has_next(sim, client):
    """iterate() walks every page until has_next is false."""
    contacts = [c async for c in client.contacts.iterate(page_size=7)]
    assert len({c.id for c in contacts}) == 25
    assert [r.query["page"] for r in sim.requests if r.path == "/api/contacts/list"] == [
        "1",
        "2",
        "3",
        "4",
    ]


async def test_pages_max_items_stops_early(sim, client):
    """Breaking off after max_items sends no further request."""
    pages = [p async for p in client.contacts.pages(page_size=10, max_items=5)]
    assert [len(p) for p in pages] == [5]
    assert sim.count("POST", "/api/contacts/list") == 1


async def test_keyword_and_filters(sim, client):
    """keyword and filters travel in the body, in the documented shape."""
    owner = "agent01@demo.vn"
    flt = [ContactFilter(field_code="contact_owner", value=["unassigned", owner])]
    found = [c async for c in client.contacts.iterate(keyword="nguyễn", filters=flt)]
    assert found
    assert all(c.user_owner_email in (None, owner) for c in found)
    assert {
        "keyword": "nguyễn",
        "filters": [{"field_code": "contact_owner", "value": ["unassigned", owner]}],
    } == _body(sim.requests[-1])


async def test_add_and_find(sim, client):
    """A contact added is found by phone, ref id, ref code, id, and in the list."""
    contact = await client.contacts.add(
        fullName="Nguyễn Văn Test",
        phones=["0393123456", {"data": "02525485123", "type": "home", "valueType": "Nhà"}],
        emails=["test@example.vn"],
        tags=["Khách lẻ"],
        more_infomation=[{"value_type": "Cao", "display_value": "1.75m"}],
        refId="P-1",
        refCode="C-1",
        birthday=date(1990, 2, 28),
        gender="female",
    )
    sent = _body(sim.requests[-1])
    assert sent["birthday"] == "28/02/1990"
    assert sent["more_infomation"] == [{"value_type": "Cao", "display_value": "1.75m"}]
    assert sent["phones"][0] == {"data": "0393123456"}
    assert contact.id
    assert contact.fullName == "Nguyễn Văn Test"
    assert contact.id == (await client.contacts.get(phone="0393123456")).id
    assert contact.id == (await client.contacts.get(ref_id="P-1")).id
    assert contact.id == (await client.contacts.get(ref_code="C-1")).id
    assert (await client.contacts.details(contact.id)).refCode == "C-1"
    assert [contact.id] == [c.id async for c in client.contacts.iterate(keyword="0393123456")]


async def test_add_many_is_queued(sim, client):
    """add_many() posts an array; the simulator applies it and the contacts are listed."""
    answer = await client.contacts.add_many(
        [
            NewContact(fullName="Bulk A", phones=[ContactPhone(data="0912000001")]),
            {"fullName": "Bulk B", "phones": [{"data": "0912000002"}], "gender": "male"},
        ]
    )
    assert answer.status_code == 9999
    assert len(_body(sim.requests[-1])) == 2
    assert (await client.contacts.list()).total == 27


async def test_update_by_ref_id(sim, client):
    """update() sends refId, only the given fields, and dynamic attributes."""
    updated = await client.contacts.update(
        "REF0001",
        note="VIP",
        dynamic_attributes=[
            {
                "field_code": "vWabCEBkqM",
                "field_type": "single_text",
                "dynamic_attribute_value": [{"display_value": "demo"}],
            }
        ],
    )
    assert {"refId", "note", "dynamic_attributes"} == set(_body(sim.requests[-1]))
    assert updated.note == "VIP"
    assert updated.dynamic_attributes[0].dynamic_attribute_value[0].display_value == "demo"


async def test_update_unknown_ref_id(client):
    """An unknown refId is the provider's contact_not_found: NotFoundError."""
    with pytest.raises(NotFoundError) as info:
        await client.contacts.update("nope", note="x")
    assert info.value.code == "contact_not_found"


async def test_delete(sim, client):
    """delete() removes the contact; a second delete is NotFoundError."""
    contact = await client.contacts.get(ref_id="REF0002")
    answer = await client.contacts.delete(contact.id)
    assert (answer.status_code, answer.payload) == (9999, True)
    assert f"/api/contacts/delete/{contact.id}" == sim.requests[-1].path
    with pytest.raises(NotFoundError):
        await client.contacts.details(contact.id)
    with pytest.raises(NotFoundError):
        await client.contacts.delete(contact.id)


async def test_add_notes(sim, client):
    """add_notes() posts the array of notes as documented."""
    await client.contacts.add_notes(
        [
            ContactNote(content="Gọi lại sau", phone="0393123456", note_by="a@demo.vn"),
            {"content": "Đã chốt", "phone": "0393123457"},
        ]
    )
    assert _body(sim.requests[-1]) == [
        {"content": "Gọi lại sau", "phone": "0393123456", "note_by": "a@demo.vn"},
        {"content": "Đã chốt", "phone": "0393123457"},
    ]
    assert len(sim.notes) == 2


async def test_layout(client):
    """layout() returns the dynamic attribute definitions."""
    layout = await client.contacts.layout()
    assert layout[0].field_code == "vWabCEBkqM"
    assert layout[0].field_type == "single_text"


async def test_provider_rejection_is_provider_error(client):
    """A -9999 answer with HTTP 200 raises ProviderError carrying code and message."""
    # The client never sends a bad gender, so go through its one request path directly.
    decoder = msgspec.json.Decoder(Envelope[Contact])
    with pytest.raises(ProviderError) as info:
        await client._request("POST", "/api/contacts/add", decoder, json={"gender": "robot"})
    assert (info.value.code, info.value.status) == ("gender_is_invalid", 200)
    assert info.value.message == "gender must be other, male or female"


@pytest.mark.parametrize(
    ("call", "kwargs"),
    [
        pytest.param("add", {"birthday": "1990-02-28"}, id="birthday-format"),
        pytest.param("add", {"birthday": "31/02/1990"}, id="birthday-not-a-date"),
        pytest.param("add", {"gender": "robot"}, id="gender"),
        pytest.param("add", {"phones": ["12345"]}, id="phone-pattern"),
        pytest.param("add", {"phones": ["+84393123456"]}, id="phone-international"),
        pytest.param("add", {"phones": [{"type": "home"}]}, id="phone-no-data"),
        pytest.param("add", {"emails": ["not-an-email"]}, id="email"),
        pytest.param("add", {"more_infomation": [{"value_type": "x"}]}, id="more-info"),
        pytest.param("update", {"refId": ""}, id="update-no-ref"),
        pytest.param("update", {"refId": "R", "dynamic_attributes": [{"x": 1}]}, id="update-dyn"),
        pytest.param("add_many", {"contacts": []}, id="add-many-empty"),
        pytest.param("add_many", {"contacts": [{"gender": "x"}]}, id="add-many-gender"),
        pytest.param("add_many", {"contacts": [{"birthday": "1/1/1990"}]}, id="add-many-bday"),
        pytest.param("add_notes", {"notes": []}, id="notes-empty"),
        pytest.param("add_notes", {"notes": [{"phone": "0393123456"}]}, id="notes-no-content"),
        pytest.param("add_notes", {"notes": [{"content": "x"}]}, id="notes-no-phone"),
        pytest.param(
            "add_notes",
            {"notes": [{"content": " ", "phone": "0393123456"}]},
            id="notes-blank-content",
        ),
        pytest.param(
            "add_notes", {"notes": [{"content": "x", "phone": "abc"}]}, id="notes-bad-phone"
        ),
        pytest.param("get", {}, id="get-none"),
        pytest.param("get", {"phone": "0393123456", "ref_id": "R"}, id="get-two"),
        pytest.param("get", {"phone": "12"}, id="get-bad-phone"),
        pytest.param("details", {"contact_id": ""}, id="details-empty"),
        pytest.param("delete", {"contact_id": ""}, id="delete-empty"),
        pytest.param("list", {"size": 51}, id="list-size"),
        pytest.param("list", {"page": 0}, id="list-page"),
        pytest.param("list", {"filters": [{"field_code": "x"}]}, id="list-filter"),
    ],
)
async def test_bad_input_sends_nothing(sim, client, call, kwargs):
    """Bad input raises ValidationError and no request reaches the simulator."""
    with pytest.raises(ValidationError):
        await getattr(client.contacts, call)(**kwargs)
    assert sim.requests == []


async def test_bad_paging_in_generators_sends_nothing(sim, client):
    """pages()/iterate() validate their arguments before the first request."""
    with pytest.raises(ValidationError):
        [c async for c in client.contacts.iterate(page_size=0)]
    with pytest.raises(ValidationError):
        [p async for p in client.contacts.pages(prefetch=2)]
    assert sim.requests == []


def test_phone_hint():
    """An international number's error suggests the domestic form."""
    from telcall.omicall._validation import check_phone

    with pytest.raises(ValidationError, match="did you mean '0393123456'"):
        check_phone("+84 393 123 456", "phone")
