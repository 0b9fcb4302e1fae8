"""Campaigns: contact import (``POST /api/campaigns/<id>/import``) and call export."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, Unpack

import msgspec

from ..._core.errors import (
    APIError,
    ConnectError,
    DecodeError,
    ServerError,
    TransportError,
    ValidationError,
)
from ..._core.options import RequestExtras
from ..._core.pagination import Page, iterate_items
from ..._core.phones import normalize_vn_phone
from ..._core.resource import AsyncResource
from ..._core.transport import Timeout
from ..._core.validation import path_segment
from .._validation import is_valid_otp, phone_problem
from ..models import (
    Call,
    CampaignContact,
    ImportBatch,
    ImportedCall,
    ImportResponse,
    ImportResult,
    SkippedContact,
    SkipReason,
)
from ._calls import DEFAULT_LIMIT, CallListing, CallPaging, CallWindow

if TYPE_CHECKING:
    from ..client import AsyncAICallCenterClient

__all__ = ("DEFAULT_BATCH_SIZE", "AsyncCampaignCalls", "AsyncCampaigns")

#: Contacts per import request. The provider documents no limit; this keeps
#: one request's body well under a megabyte and one failure's blast radius small.
DEFAULT_BATCH_SIZE = 500

_import = msgspec.json.Decoder(ImportResponse)

Failed = Literal["refused", "unconfirmed", "not_sent"]


def _path(campaign_id: str, action: str) -> str:
    return f"/api/campaigns/{path_segment(campaign_id, 'campaign_id')}/{action}"


def _contact(value: object, index: int) -> CampaignContact:
    if isinstance(value, CampaignContact):
        return value
    if not isinstance(value, Mapping):
        raise ValidationError(f"contacts[{index}] must be a CampaignContact or a mapping")
    if "phone_number" not in value:
        raise ValidationError(f"contacts[{index}] has no phone_number")
    return CampaignContact.from_wire(dict(value))


class AsyncCampaignCalls(CallListing):
    """The calls of one campaign (``GET /api/campaigns/<id>/export``).

    ``start_time``/``end_time`` take ``datetime`` or ``date`` (naive values
    are read in the client's ``tz``) and are sent as epoch milliseconds;
    unset, the provider uses the campaign's creation time and now.
    """

    __slots__ = ()

    async def list(
        self,
        campaign_id: str,
        *,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
        timeout: Timeout | None = None,
        **window: Unpack[CallWindow],
    ) -> Page[Call]:
        """``GET /api/campaigns/<campaign_id>/export``: one page (``.items``, ``.total``)."""
        path = _path(campaign_id, "export")
        return await self._list(path, window, limit, offset, timeout)

    def pages(
        self, campaign_id: str, **options: Unpack[CallPaging]
    ) -> AsyncGenerator[Page[Call], None]:
        """Every page in order; ``concurrency`` pages in flight once ``total`` is known."""
        return self._pages(_path(campaign_id, "export"), options)

    def iterate(
        self, campaign_id: str, **options: Unpack[CallPaging]
    ) -> AsyncGenerator[Call, None]:
        """Every call of the campaign, page by page (see :meth:`pages`)."""
        return iterate_items(self.pages(campaign_id, **options))


class AsyncCampaigns(AsyncResource["AsyncAICallCenterClient"]):
    """Campaigns created on the website: load contacts into them, export their calls."""

    @cached_property
    def calls(self) -> AsyncCampaignCalls:
        """The calls of one campaign: ``list``/``pages``/``iterate`` over its export."""
        return AsyncCampaignCalls(self._client)

    async def import_contacts(
        self,
        campaign_id: str,
        contacts: Sequence[CampaignContact | Mapping[str, Any]],
        *,
        otp: bool = False,
        batch_size: int = DEFAULT_BATCH_SIZE,
        strict: bool = False,
        timeout: Timeout | None = None,
        **extras: Unpack[RequestExtras],
    ) -> ImportResult:
        """``POST /api/campaigns/<campaign_id>/import``: add contacts, in batches.

        Each contact needs ``phone_number`` (domestic form, ``0…``); other keys
        are the campaign's personalisation fields. For a voice-OTP campaign
        (``otp=True``, or any contact carries ``otp_code``) every contact needs
        an ``otp_code`` from "000001" to "999999". Invalid contacts are skipped
        (``strict=True`` raises :class:`~telcall.errors.ValidationError` for
        them instead, before anything is sent) and repeated phones are sent
        once. A running campaign calls the contacts as soon as they land.

        Importing is not idempotent, so a batch is never re-sent once it may
        have reached the provider; the first failed batch stops the import.
        The provider refusing the *first* batch (unknown campaign, stopped
        campaign, bad token, ...) raises, because nothing was imported.
        Any later failure, or one whose outcome is unknown (time-out,
        dropped connection, server error), is reported instead on the
        returned :class:`~telcall.aicallcenter.models.ImportResult`
        (``error``, per-batch ``batches``, ``skipped`` with reason
        ``unconfirmed``/``refused``/``not_sent``): call
        :meth:`~ImportResult.raise_for_error` to turn it into an exception.
        """
        path = _path(campaign_id, "import")
        if isinstance(contacts, Mapping | str) or not contacts:
            raise ValidationError("contacts must be a non-empty sequence of contacts")
        if batch_size < 1:
            raise ValidationError(f"batch_size must be >= 1, got {batch_size}")
        parsed = [_contact(value, i) for i, value in enumerate(contacts)]
        voice_otp = otp or any(c.otp_code is not None for c in parsed)

        result = ImportResult()
        to_send: list[tuple[int, CampaignContact]] = []
        first_index: dict[str, int] = {}
        problems: list[str] = []
        for index, contact in enumerate(parsed):
            phone = contact.phone_number
            problem = phone_problem(phone)
            if problem is not None:
                problems.append(f"contacts[{index}].phone_number: {problem}")
                result.skipped.append(_skip(index, phone, "invalid_phone", problem))
                continue
            if voice_otp and not is_valid_otp(contact.otp_code):
                problem = f"otp_code must be '000001'..'999999'; got {contact.otp_code!r}"
                problems.append(f"contacts[{index}].otp_code: {problem}")
                result.skipped.append(_skip(index, phone, "invalid_otp", problem))
                continue
            if phone in first_index:
                detail = f"same phone as contacts[{first_index[phone]}]"
                result.skipped.append(_skip(index, phone, "duplicate", detail))
                continue
            first_index[phone] = index
            to_send.append((index, contact))
        if strict and problems:
            shown = "; ".join(problems[:5])
            more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
            raise ValidationError(f"{len(problems)} invalid contact(s): {shown}{more}")

        batches = [to_send[i : i + batch_size] for i in range(0, len(to_send), batch_size)]
        for number, batch in enumerate(batches):
            if result.error is not None:
                self._record(result, number, batch, "not_sent", "an earlier batch failed")
                continue
            try:
                answer = await self._client._request(
                    "POST",
                    path,
                    _import,
                    json={"contacts": [contact.to_wire() for _, contact in batch]},
                    timeout=timeout,
                    idempotent=False,
                )
            except (APIError, TransportError, DecodeError) as exc:
                outcome = _outcome(exc)
                nothing_done = not any(b.outcome == "confirmed" for b in result.batches)
                if nothing_done and outcome != "unconfirmed":
                    raise
                result.error = exc
                self._record(result, number, batch, outcome, exc.message)
                continue
            self._confirm(result, number, batch, answer)
        return result

    @staticmethod
    def _record(
        result: ImportResult,
        number: int,
        batch: list[tuple[int, CampaignContact]],
        outcome: Failed,
        message: str,
    ) -> None:
        phones = [contact.phone_number for _, contact in batch]
        result.batches.append(
            ImportBatch(number=number, phones=phones, outcome=outcome, message=message)
        )
        result.skipped.extend(
            _skip(index, contact.phone_number, outcome, message) for index, contact in batch
        )

    @staticmethod
    def _confirm(
        result: ImportResult,
        number: int,
        batch: list[tuple[int, CampaignContact]],
        answer: ImportResponse,
    ) -> None:
        phones = [contact.phone_number for _, contact in batch]
        result.batches.append(
            ImportBatch(
                number=number, phones=phones, outcome="confirmed", message=answer.message or ""
            )
        )
        # The provider may echo a number in another spelling (84…); compare canonically.
        accepted: dict[str, ImportedCall] = {}
        for call in answer.results:
            accepted.setdefault(normalize_vn_phone(str(call.phone_number)), call)
        result.accepted.extend(answer.results)
        result.skipped.extend(
            _skip(index, contact.phone_number, "not_accepted", answer.message or "")
            for index, contact in batch
            if normalize_vn_phone(contact.phone_number) not in accepted
        )


def _skip(index: int, phone: object, reason: SkipReason, detail: str) -> SkippedContact:
    return SkippedContact(index=index, phone_number=str(phone), reason=reason, detail=detail)


def _outcome(exc: APIError | TransportError | DecodeError) -> Failed:
    """What a failed import request means for its batch."""
    if isinstance(exc, ConnectError):
        return "not_sent"
    if isinstance(exc, ServerError | DecodeError | TransportError):
        # The provider may have imported the batch before failing to answer.
        return "unconfirmed"
    return "refused"
