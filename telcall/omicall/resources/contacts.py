"""Contacts v1 (``/api/contacts/*``, ``/api/source_contact_layout/get``)."""

from __future__ import annotations

import builtins
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar, Unpack

import msgspec

from ..._core.errors import ValidationError
from ..._core.options import RequestExtras
from ..._core.pagination import (
    Page,
    PageNumberPagination,
    check_paging,
    iterate_items,
    iterate_pages,
)
from ..._core.paging import SerialPaging, read_paging
from ..._core.raw import last_request_id
from ..._core.resource import AsyncResource
from ..._core.transport import Timeout
from ..._core.validation import path_segment, require
from .._validation import check_birthday, check_gender, check_phone, convert
from ..models import (
    Contact,
    ContactEmail,
    ContactFilter,
    ContactNote,
    ContactPage,
    ContactPhone,
    ContactUpdate,
    DynamicAttribute,
    Envelope,
    Gender,
    LayoutAttribute,
    MoreInformation,
    NewContact,
)

if TYPE_CHECKING:
    from ..client import AsyncOmicallClient

__all__ = (
    "MAX_PAGE_SIZE",
    "AsyncContacts",
    "ContactPaging",
    "ContactSearch",
)

#: The documented default page size; nothing larger is documented.
MAX_PAGE_SIZE = 50

_page = msgspec.json.Decoder(Envelope[ContactPage])
_contact = msgspec.json.Decoder(Envelope[Contact])
_ack = msgspec.json.Decoder(Envelope[Any])
_layout = msgspec.json.Decoder(Envelope[list[LayoutAttribute]])

C = TypeVar("C", bound=NewContact)

PhoneLike = ContactPhone | str | Mapping[str, Any]
EmailLike = ContactEmail | str | Mapping[str, Any]


E = TypeVar("E", ContactPhone, ContactEmail)


def _entries(
    values: Sequence[E | str | Mapping[str, Any]] | None,
    kind: type[E],
    field: str,
    check: Callable[[str, str], object],
) -> list[E] | None:
    """``{"data": ...}`` entries of ``values`` (a plain string is its ``data``), each checked."""
    if values is None:
        return None
    out = []
    for i, value in enumerate(values):
        where = f"{field}[{i}]"
        entry = kind(data=value) if isinstance(value, str) else convert(value, kind, where)
        check(entry.data, f"{where}.data")
        out.append(entry)
    return out


def _check_email(value: str, field: str) -> None:
    if "@" not in value:
        raise ValidationError(f"{field} {value!r} is not an e-mail address")


def _phones(values: Sequence[PhoneLike] | None, where: str) -> list[ContactPhone] | None:
    return _entries(values, ContactPhone, f"{where}phones", check_phone)


def _emails(values: Sequence[EmailLike] | None, where: str) -> list[ContactEmail] | None:
    return _entries(values, ContactEmail, f"{where}emails", _check_email)


def _shorthand(contact: object) -> object:
    """A contact mapping whose plain-string phones and e-mails get the wire's ``{"data": ...}``."""
    if not isinstance(contact, Mapping):
        return contact
    expanded = dict(contact)
    for key in ("phones", "emails"):
        values = expanded.get(key)
        if isinstance(values, list | tuple):
            expanded[key] = [{"data": v} if isinstance(v, str) else v for v in values]
    return expanded


def _checked(contact: C, where: str = "") -> C:
    """Run the field checks on a ready-made contact body."""
    check_birthday(contact.birthday, f"{where}birthday")
    check_gender(contact.gender, f"{where}gender")
    _phones(contact.phones, where)
    _emails(contact.emails, where)
    return contact


def _filters(values: Sequence[ContactFilter | Mapping[str, Any]] | None) -> list[ContactFilter]:
    if values is None:
        return []
    return [convert(value, ContactFilter, f"filters[{i}]") for i, value in enumerate(values)]


class ContactSearch(RequestExtras, total=False):
    """What every contact listing (``list``, ``pages``, ``iterate``) searches by.

    ``keyword`` matches a phone number, an e-mail or a name; ``filters`` are
    ``{field_code, value: [...]}``. The per-call extras (:class:`RequestExtras`) ride along.
    """

    keyword: str | None
    filters: Sequence[ContactFilter | Mapping[str, Any]] | None


class ContactPaging(SerialPaging, ContactSearch, total=False):
    """What ``pages`` and ``iterate`` take: :class:`SerialPaging` (``page_size`` 50 by
    default, the most OMICall serves) and the :class:`ContactSearch`."""


class AsyncContacts(AsyncResource["AsyncOmicallClient"]):
    """Customers in OMICall: search, add (one or many), update, delete, notes, lookups."""

    async def _fetch(self, params: dict[str, Any], timeout: Timeout | None) -> Page[Contact]:
        body: dict[str, Any] = {}
        if params.get("keyword"):
            body["keyword"] = params["keyword"]
        if params.get("filters"):
            body["filters"] = params["filters"]
        answer = await self._client._request(
            "POST",
            "/api/contacts/list",
            _page,
            params={"page": params["page"], "size": params["size"]},
            json=body,
            timeout=timeout,
            # A search changes nothing: safe to repeat.
            idempotent=True,
        )
        payload = answer.payload
        return Page(
            payload.items,
            total=payload.total_items,
            limit=payload.page_size or params["size"],
            page=payload.page_number,
            has_more=payload.has_next,
            request_id=last_request_id(),
        )

    def _query(self, search: ContactSearch) -> dict[str, Any]:
        return {"keyword": search.get("keyword"), "filters": _filters(search.get("filters"))}

    async def list(
        self,
        *,
        page: int = 1,
        size: int = MAX_PAGE_SIZE,
        timeout: Timeout | None = None,
        **search: Unpack[ContactSearch],
    ) -> Page[Contact]:
        """``POST /api/contacts/list``: one page (``.items``, ``.total``, ``.has_more``).

        ``keyword`` matches a phone number, an e-mail or a name; ``filters``
        are ``{field_code, value: [...]}`` (e.g. ``contact_owner`` with
        ``"unassigned"`` or an agent's e-mail).
        """
        check_paging(
            page_size=size, max_items=None, concurrency=1, prefetch=0, max_page_size=MAX_PAGE_SIZE
        )
        if page < 1:
            raise ValidationError(f"page must be >= 1, got {page}")
        params = self._query(search)
        params.update(page=page, size=size)
        return await self._fetch(params, timeout)

    def pages(self, **options: Unpack[ContactPaging]) -> AsyncGenerator[Page[Contact], None]:
        """Every matching page in order, following ``has_next``; ``prefetch=1`` overlaps I/O."""
        walk = read_paging(options, page_size=MAX_PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
        params = self._query(options)
        params.update(page=1, size=walk.page_size)
        return iterate_pages(
            lambda p: self._fetch(p, walk.timeout),
            PageNumberPagination(page_param="page", size_param="size"),
            params,
            max_items=walk.max_items,
            prefetch=walk.prefetch,
        )

    def iterate(self, **options: Unpack[ContactPaging]) -> AsyncGenerator[Contact, None]:
        """Every matching contact, page by page (see :meth:`pages`)."""
        return iterate_items(self.pages(**options))

    async def add(
        self,
        *,
        fullName: str | None = None,
        phones: Sequence[PhoneLike] | None = None,
        emails: Sequence[EmailLike] | None = None,
        tags: Sequence[str] | None = None,
        more_infomation: Sequence[MoreInformation | Mapping[str, Any]] | None = None,
        user_owner_email: str | None = None,
        refId: str | None = None,
        refCode: str | None = None,
        job_title: str | None = None,
        note: str | None = None,
        birthday: str | date | None = None,
        gender: Gender | None = None,
        passport: str | None = None,
        address: str | None = None,
        timeout: Timeout | None = None,
        **extras: Unpack[RequestExtras],
    ) -> Contact:
        """``POST /api/contacts/add``: create one contact (arguments keep the wire names).

        ``phones``/``emails`` take structs, mappings or plain strings;
        ``birthday`` a ``date`` or ``dd/MM/yyyy``; ``gender`` other/male/female.
        Not retried once the request may have reached the server.
        """
        body = NewContact(
            tags=list(tags) if tags is not None else None,
            more_infomation=_more(more_infomation),
            user_owner_email=user_owner_email,
            refId=refId,
            refCode=refCode,
            job_title=job_title,
            note=note,
            birthday=check_birthday(birthday, "birthday"),
            gender=check_gender(gender, "gender"),
            fullName=fullName,
            passport=passport,
            address=address,
            emails=_emails(emails, ""),
            phones=_phones(phones, ""),
        )
        answer = await self._client._request(
            "POST", "/api/contacts/add", _contact, json=body, timeout=timeout, idempotent=False
        )
        return answer.payload

    async def add_many(
        self,
        contacts: Sequence[NewContact | Mapping[str, Any]],
        *,
        timeout: Timeout | None = None,
        **extras: Unpack[RequestExtras],
    ) -> Envelope[Any]:
        """``POST /api/contacts/add-more``: queue many contacts for creation.

        OMICall processes this call **asynchronously**: a success answer means
        the batch was accepted, not that every contact exists yet; a contact
        it later rejects is not reported here. Every element is checked as in
        :meth:`add` before anything is sent. Not retried once sent.
        """
        if isinstance(contacts, Mapping) or not contacts:
            raise ValidationError("contacts must be a non-empty sequence of contacts")
        body = [
            _checked(convert(_shorthand(contact), NewContact, f"contacts[{i}]"), f"contacts[{i}].")
            for i, contact in enumerate(contacts)
        ]
        return await self._client._request(
            "POST", "/api/contacts/add-more", _ack, json=body, timeout=timeout, idempotent=False
        )

    async def update(
        self,
        refId: str,
        *,
        fullName: str | None = None,
        phones: Sequence[PhoneLike] | None = None,
        emails: Sequence[EmailLike] | None = None,
        tags: Sequence[str] | None = None,
        more_infomation: Sequence[MoreInformation | Mapping[str, Any]] | None = None,
        dynamic_attributes: Sequence[DynamicAttribute | Mapping[str, Any]] | None = None,
        user_owner_email: str | None = None,
        job_title: str | None = None,
        note: str | None = None,
        birthday: str | date | None = None,
        gender: Gender | None = None,
        passport: str | None = None,
        address: str | None = None,
        timeout: Timeout | None = None,
        **extras: Unpack[RequestExtras],
    ) -> Contact:
        """``POST /api/contacts/update``: change the contact whose partner id is ``refId``.

        Only the fields you pass are sent. ``dynamic_attributes`` use the
        ``field_code``/``field_type`` of :meth:`layout`.
        """
        require(refId=refId)
        body = ContactUpdate(
            tags=list(tags) if tags is not None else None,
            refId=refId,
            birthday=check_birthday(birthday, "birthday"),
            more_infomation=_more(more_infomation),
            user_owner_email=user_owner_email,
            fullName=fullName,
            gender=check_gender(gender, "gender"),
            passport=passport,
            address=address,
            note=note,
            job_title=job_title,
            emails=_emails(emails, ""),
            phones=_phones(phones, ""),
            dynamic_attributes=(
                None
                if dynamic_attributes is None
                else [
                    convert(value, DynamicAttribute, f"dynamic_attributes[{i}]")
                    for i, value in enumerate(dynamic_attributes)
                ]
            ),
        )
        answer = await self._client._request(
            "POST", "/api/contacts/update", _contact, json=body, timeout=timeout, idempotent=True
        )
        return answer.payload

    async def delete(
        self, contact_id: str, *, timeout: Timeout | None = None, **extras: Unpack[RequestExtras]
    ) -> Envelope[Any]:
        """``DELETE /api/contacts/delete/<contact_id>``."""
        segment = path_segment(contact_id, "contact_id")
        return await self._client._request(
            "DELETE",
            f"/api/contacts/delete/{segment}",
            _ack,
            timeout=timeout,
        )

    async def add_notes(
        self,
        notes: Sequence[ContactNote | Mapping[str, Any]],
        *,
        timeout: Timeout | None = None,
        **extras: Unpack[RequestExtras],
    ) -> Envelope[Any]:
        """``POST /api/contacts/add-note``: add notes (``content``, ``phone``, ``note_by``)."""
        if isinstance(notes, Mapping) or not notes:
            raise ValidationError("notes must be a non-empty sequence of notes")
        body = []
        for i, value in enumerate(notes):
            note = convert(value, ContactNote, f"notes[{i}]")
            require(**{f"notes[{i}].content": note.content, f"notes[{i}].phone": note.phone})
            check_phone(note.phone, f"notes[{i}].phone")
            body.append(note)
        return await self._client._request(
            "POST", "/api/contacts/add-note", _ack, json=body, timeout=timeout, idempotent=False
        )

    async def get(
        self,
        *,
        phone: str | None = None,
        ref_id: str | None = None,
        ref_code: str | None = None,
        timeout: Timeout | None = None,
        **extras: Unpack[RequestExtras],
    ) -> Contact:
        """``GET /api/contacts/get``: the contact with this phone, ``ref_id`` or ``ref_code``.

        Give exactly one of the three.
        """
        given = {
            name: value
            for name, value in (("phone", phone), ("ref_id", ref_id), ("ref_code", ref_code))
            if value is not None
        }
        if len(given) != 1:
            raise ValidationError("give exactly one of phone, ref_id, ref_code")
        require(**given)
        if phone is not None:
            check_phone(phone, "phone")
        answer = await self._client._request(
            "GET", "/api/contacts/get", _contact, params=given, timeout=timeout
        )
        return answer.payload

    async def details(
        self, contact_id: str, *, timeout: Timeout | None = None, **extras: Unpack[RequestExtras]
    ) -> Contact:
        """``GET /api/contacts/details/<contact_id>``: one contact by its OMICall id."""
        path = f"/api/contacts/details/{path_segment(contact_id, 'contact_id')}"
        answer = await self._client._request("GET", path, _contact, timeout=timeout)
        return answer.payload

    async def layout(
        self, *, timeout: Timeout | None = None, **extras: Unpack[RequestExtras]
    ) -> builtins.list[LayoutAttribute]:
        """``GET /api/source_contact_layout/get``: the dynamic attribute definitions."""
        answer = await self._client._request(
            "GET", "/api/source_contact_layout/get", _layout, timeout=timeout
        )
        return answer.payload


def _more(
    values: Sequence[MoreInformation | Mapping[str, Any]] | None,
) -> list[MoreInformation] | None:
    if values is None:
        return None
    return [convert(v, MoreInformation, f"more_infomation[{i}]") for i, v in enumerate(values)]
