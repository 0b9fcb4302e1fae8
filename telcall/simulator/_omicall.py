"""The OMICall API simulator (contacts v1 and call history).

Shapes follow the provider's documented samples. Decisions where the documents are silent:

- Every answer is the envelope `{instance_id, payload, instance_version, key_enabled,
  status_code}`: 9999 with the result, or -9999 with `payload: {status: "fail", error, message}`.
  Business errors come with HTTP 200; a missing, unknown or expired token gets HTTP 401 with the
  error `unauthorized`. A wrong `apiKey` on `GET /api/auth` is HTTP 200 `invalid_api_key`.
- Tokens are random opaque strings valid for `token_ttl` seconds (24 h by default).
- Contacts: `add` answers the stored contact (with an `id` like a Mongo ObjectId and
  `created_date`/`last_updated_date` in epoch ms); a bad `gender` or `birthday` is
  `gender_is_invalid` / `birthday_is_invalid`. `add-more` applies the valid contacts at once and
  answers `payload: true` (the real API works asynchronously). `update` finds the contact by
  `refId`; `update`, `delete`, `get` and `details` answer `contact_not_found` for unknown ones.
  `add-note` needs `content` and `phone` on every note (`content_is_required`,
  `phone_is_required`). The list's `keyword` matches name, phone or e-mail (case-insensitive
  substring); a filter matches when the contact's field is one of `value` (`contact_owner` reads
  `user_owner_email`, and `unassigned` matches contacts without one).
- Call history: `from_date`/`to_date` are inclusive epoch ms; a range over 30 days is
  `date_is_too_long`, `size` over 50 `size_is_too_large`, a missing bound `date_is_required`.
  Records are generated on demand from `(seed, index)`, ascending by `created_date`, spread
  evenly over `[start, end)`.
"""

from __future__ import annotations

import random
import re
import secrets
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import msgspec
from aiohttp import web
from aiohttp.typedefs import Middleware

from telcall.simulator._base import Abort, Handler, SimulatorBase, json_response
from telcall.simulator._data import VN
from telcall.simulator._faults import Faults
from telcall.simulator._plug import Banner, SimOption, SimulateCli, day, derived_key

__all__ = ("SIMULATE", "OmicallSimulator")

DEFAULT_START = datetime(2026, 9, 1, tzinfo=VN)
DEFAULT_END = datetime(2026, 12, 1, tzinfo=VN)

MAX_SIZE = 50
MAX_RANGE_MS = 30 * 86_400_000

_BIRTHDAY = re.compile(r"^\d{2}/\d{2}/\d{4}$")
_GENDERS = frozenset({"other", "male", "female"})
_NAMES = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Minh Đức")
_AGENTS = ("agent01@demo.vn", "agent02@demo.vn", None)
_DISPOSITIONS = (("answered", 60), ("no-answer", 78), ("busy", 90), ("cancel", 100))
_PREFIXES = ("090", "091", "093", "096", "097", "098", "086", "088", "032", "035", "070", "081")
_LAYOUT = (
    {"field_code": "vWabCEBkqM", "field_type": "single_text", "field_name": "Mã hợp đồng"},
    {"field_code": "kQ3nR8sTzA", "field_type": "number", "field_name": "Điểm"},
    {"field_code": "pL0xY7uVbC", "field_type": "date", "field_name": "Ngày hẹn"},
)


class OmicallSimulator(SimulatorBase):
    """A stateful fake OMICall server with synthetic contacts and call history, on 127.0.0.1."""

    auth_paths = frozenset({"/api/auth"})

    def __init__(
        self,
        *,
        calls: int = 2000,
        contacts: int = 25,
        seed: int = 1,
        faults: Faults | None = None,
        start: datetime = DEFAULT_START,
        end: datetime = DEFAULT_END,
        token_ttl: float = 86400,
        port: int = 0,
        api_key: str | None = None,
        record_requests: bool = True,
    ) -> None:
        """Configure the simulator; it listens once started (`async with` or `start()`)."""
        super().__init__(seed=seed, faults=faults, port=port, record_requests=record_requests)
        if calls < 0 or contacts < 0:
            raise ValueError("calls and contacts must be >= 0")
        self.call_count = calls
        self.t0_ms = int(start.timestamp() * 1000)
        self.span_ms = int(end.timestamp() * 1000) - self.t0_ms
        if self.span_ms <= 0:
            raise ValueError("end must be after start")
        self.token_ttl = token_ttl
        self._rng = random.Random(seed ^ 0x0A1C)
        self.api_key = api_key or secrets.token_hex(16)
        self.tenant_id = self._object_id()
        self.contacts: dict[str, dict[str, Any]] = {}
        self.notes: list[dict[str, Any]] = []
        self._tokens: dict[str, list[float]] = {}
        for n in range(contacts):
            self._seed_contact(n)

    # -- public helpers for tests --------------------------------------------------------------

    def transaction(self, index: int) -> dict[str, Any]:
        """The `index`-th call-history record (ascending `created_date`) as its wire dict."""
        if not 0 <= index < self.call_count:
            raise IndexError(index)
        return self._transaction(index)

    def transaction_ids(self, start_ms: int, end_ms: int) -> list[str]:
        """The ids of the records whose `created_date` is in `[start_ms, end_ms)`, in order."""
        return [
            self._transaction(i)["transaction_id"]
            for i in range(self._first_at(start_ms), self._first_at(end_ms))
        ]

    def expire_tokens(self) -> None:
        """Invalidate every issued token: the next authenticated call gets 401."""
        self._tokens.clear()

    # -- synthetic data -----------------------------------------------------------------------

    def _object_id(self) -> str:
        return f"{self._rng.getrandbits(96):024x}"

    def _seed_contact(self, n: int) -> None:
        rng = random.Random(self.seed * 7919 + n)
        phone = rng.choice(_PREFIXES) + f"{rng.randrange(10_000_000):07d}"
        name = f"{_NAMES[n % len(_NAMES)]} {n + 1}"
        now = self.t0_ms + n * 60_000
        self._store(
            {
                "fullName": name,
                "phones": [{"data": phone, "type": "personal", "valueType": "Cá nhân"}],
                "emails": [{"data": f"kh{n + 1}@example.vn", "type": "personal"}],
                "tags": ["Khách lẻ"] if n % 2 else ["Khách có nhu cầu"],
                "user_owner_email": _AGENTS[n % len(_AGENTS)],
                "refId": f"REF{n + 1:04d}",
                "refCode": f"KH{n + 1:04d}",
                "gender": ("male", "female", "other")[n % 3],
                "birthday": f"{1 + n % 28:02d}/{1 + n % 12:02d}/{1970 + n % 30}",
            },
            now,
        )

    def _store(self, body: dict[str, Any], now: int | None = None) -> dict[str, Any]:
        stamp = now if now is not None else int(time.time() * 1000)
        contact = {"id": self._object_id(), **body}
        contact.setdefault("phones", [])
        contact.setdefault("emails", [])
        contact.setdefault("tags", [])
        contact["created_date"] = stamp
        contact["last_updated_date"] = stamp
        self.contacts[contact["id"]] = contact
        return contact

    def _created(self, index: int) -> int:
        return self.t0_ms + index * self.span_ms // self.call_count

    def _first_at(self, ms: int) -> int:
        """The first index whose `created_date` is >= `ms`."""
        k = ms - self.t0_ms
        if k <= 0:
            return 0
        return min(self.call_count, -(-k * self.call_count // self.span_ms))

    def _transaction(self, index: int) -> dict[str, Any]:
        rng = random.Random((self.seed << 40) ^ index)
        created = self._created(index)
        roll = rng.randrange(100)
        disposition = next(d for d, w in _DISPOSITIONS if roll < w)
        answered = disposition == "answered"
        outbound = rng.random() < 0.6
        hotline = "842873001234"
        phone = rng.choice(_PREFIXES) + f"{rng.randrange(10_000_000):07d}"
        ext = str(100 + rng.randrange(20))
        ring = 2 + rng.randrange(20)
        talk = 3 + rng.randrange(300) if answered else 0
        start_s = created // 1000 - ring - talk
        answer_s = start_s + ring if answered else None
        tx_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        agent_id = f"{rng.getrandbits(96):024x}"
        return {
            "transaction_id": tx_id,
            "tenant_id": self.tenant_id,
            "direction": "outbound" if outbound else "inbound",
            "source_number": hotline if outbound else phone,
            "destination_number": phone if outbound else hotline,
            "disposition": disposition,
            "bill_sec": talk,
            "record_seconds": max(talk - 2, 0),
            "time_start_to_answer": answer_s,
            "recording_file": f"/records/{tx_id}.mp3" if answered else None,
            "recording_file_url": f"https://records.demo/{tx_id}.mp3" if answered else None,
            "recording_data": None,
            "sip_user": ext,
            "created_date": created,
            "last_updated_date": created + 10_000,
            "is_auto_call": False,
            "ivr": "none",
            "provider": "viettel",
            "duration": ring + talk,
            "user": [
                {
                    "full_name": _NAMES[index % len(_NAMES)],
                    "full_name_unsigned": "khach hang",
                    "note": None,
                    "tag": [{"name": "Đã gọi"}] if answered else [],
                }
            ],
            "customer": None,
            "state": None,
            "call_uuid": None,
            "from_number": None,
            "to_number": None,
            "hotline": None,
            "is_have_forward_out": False,
            "bill_sec_forward_out": 0,
            "call_out_price": round(talk * 13.333, 3) if outbound else 0,
            "note": None,
            "tag": ["Đã gọi"] if answered else [],
            "invite_failure_status": None,
            "answer_sec": max(talk - 2, 0),
            "autocall_uuid": None,
            "autocall_id": None,
            "sip_number": hotline,
            "phone_number": phone,
            "create_by": {
                "id": agent_id,
                "name": f"Agent {ext}",
                "contact_id": f"{rng.getrandbits(96):024x}",
                "avatar": None,
                "gender": None,
                "uuid": None,
                "type": "agent",
            },
            "transfer_histories": [],
            "user_data_str": None,
            "user_ref_code": None,
            "endby_name": "end_call_by_customer" if rng.random() < 0.5 else "end_call_by_agent",
            "hangup_cause": "NORMAL_CLEARING" if answered else "NO_ANSWER",
            "sip_hangup_disposition": "send_bye",
            "hangup_cause_q850": None,
            "is_voicemail": False,
            "recording_file_voicemail": None,
            "domain_fusion": "demo20",
            "send_num_retry": 0,
            "time_start_call": start_s,
            "time_end_call": start_s + ring + talk,
            "out_of_working_time": False,
            "sip_number_tags": [],
            "evaluations": None,
            "total_evaluate": None,
            "internal_destination": None,
            "classifies": None,
            "collect_info_variables": None,
            "sip_number_forward_out": None,
            "is_same_network": False,
            "is_same_network_forward_out": False,
            "provider_of_number": "viettel",
            "provider_of_number_forward_out": None,
            "callbot_script_id": None,
            "criteria": None,
        }

    # -- wiring -------------------------------------------------------------------------------

    def _routes(self) -> Iterable[web.RouteDef]:
        return (
            web.get("/api/auth", self._auth),
            web.post("/api/contacts/list", self._list_contacts),
            web.post("/api/contacts/add", self._add_contact),
            web.post("/api/contacts/add-more", self._add_more),
            web.post("/api/contacts/update", self._update_contact),
            web.delete("/api/contacts/delete/{id}", self._delete_contact),
            web.post("/api/contacts/add-note", self._add_notes),
            web.get("/api/contacts/get", self._get_contact),
            web.get("/api/contacts/details/{id}", self._contact_details),
            web.get("/api/source_contact_layout/get", self._layout),
            web.post("/api/call_transaction/list", self._list_calls),
        )

    def _middlewares(self) -> Iterable[Middleware]:
        return (self._auth_mw,)

    @web.middleware
    async def _auth_mw(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in self.auth_paths:
            return await handler(request)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip()
        entry = self._tokens.get(token) if scheme.lower() == "bearer" else None
        limit = self.faults.token_expire_after
        if entry is not None:
            entry[1] += 1
            if entry[0] <= time.monotonic() or (limit is not None and entry[1] > limit):
                del self._tokens[token]
                entry = None
        if entry is None:
            return _fail("unauthorized", "Access token is invalid or expired", 401)
        return await handler(request)

    # -- auth ---------------------------------------------------------------------------------

    async def _auth(self, request: web.Request) -> web.Response:
        if request.query.get("apiKey") != self.api_key:
            return _fail("invalid_api_key", "apiKey is invalid")
        token = secrets.token_urlsafe(32)
        self._tokens[token] = [time.monotonic() + self.token_ttl, 0]
        return _ok({"access_token": token, "token_type": "Bearer", "access_type": "api_key"})

    # -- contacts -----------------------------------------------------------------------------

    async def _list_contacts(self, request: web.Request) -> web.Response:
        page, size = _paging(request, limit=None)
        body = await _json(request, dict)
        keyword = str(body.get("keyword") or "").strip().lower()
        filters = body.get("filters") or []
        rows = [
            c
            for c in self.contacts.values()
            if _matches_keyword(c, keyword) and all(_matches_filter(c, f) for f in filters)
        ]
        return _ok(_paged(rows, page, size))

    def _check_contact(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise Abort(_fail("invalid_data", "contact must be an object"))
        gender = body.get("gender")
        if gender is not None and gender not in _GENDERS:
            raise Abort(_fail("gender_is_invalid", "gender must be other, male or female"))
        birthday = body.get("birthday")
        if birthday is not None:
            try:
                if not _BIRTHDAY.fullmatch(birthday):
                    raise ValueError(birthday)
                datetime.strptime(birthday, "%d/%m/%Y")
            except (TypeError, ValueError):
                raise Abort(_fail("birthday_is_invalid", "birthday must be dd/MM/yyyy")) from None
        return body

    async def _add_contact(self, request: web.Request) -> web.Response:
        body = self._check_contact(await _json(request, dict))
        return _ok(self._store(body))

    async def _add_more(self, request: web.Request) -> web.Response:
        for item in await _json(request, list):
            try:
                self._store(self._check_contact(item))
            except Abort:
                continue  # the real API drops invalid items while processing in the background
        return _ok(True)

    async def _update_contact(self, request: web.Request) -> web.Response:
        body = self._check_contact(await _json(request, dict))
        ref_id = body.get("refId")
        contact = next((c for c in self.contacts.values() if c.get("refId") == ref_id), None)
        if not ref_id or contact is None:
            return _not_found()
        contact.update(body)
        contact["last_updated_date"] = int(time.time() * 1000)
        return _ok(contact)

    async def _delete_contact(self, request: web.Request) -> web.Response:
        if self.contacts.pop(request.match_info["id"], None) is None:
            return _not_found()
        return _ok(True)

    async def _add_notes(self, request: web.Request) -> web.Response:
        notes = await _json(request, list)
        for note in notes:
            if not isinstance(note, dict) or not note.get("content"):
                return _fail("content_is_required", "content is required")
            if not note.get("phone"):
                return _fail("phone_is_required", "phone is required")
        self.notes.extend(notes)
        return _ok(True)

    async def _get_contact(self, request: web.Request) -> web.Response:
        q = request.query
        for contact in self.contacts.values():
            if (
                ("phone" in q and any(p.get("data") == q["phone"] for p in contact["phones"]))
                or ("ref_id" in q and contact.get("refId") == q["ref_id"])
                or ("ref_code" in q and contact.get("refCode") == q["ref_code"])
            ):
                return _ok(contact)
        return _not_found()

    async def _contact_details(self, request: web.Request) -> web.Response:
        contact = self.contacts.get(request.match_info["id"])
        return _not_found() if contact is None else _ok(contact)

    async def _layout(self, request: web.Request) -> web.Response:
        return _ok([dict(field, is_required=False) for field in _LAYOUT])

    # -- call history -------------------------------------------------------------------------

    async def _list_calls(self, request: web.Request) -> web.Response:
        page, size = _paging(request, limit=MAX_SIZE)
        body = await _json(request, dict)
        lo, hi = body.get("from_date"), body.get("to_date")
        if not isinstance(lo, int) or not isinstance(hi, int):
            return _fail("date_is_required", "from_date and to_date are required (epoch ms)")
        if hi - lo > MAX_RANGE_MS:
            return _fail("date_is_too_long", "The time range must not exceed 30 days")
        first, stop = self._first_at(lo), self._first_at(hi + 1)
        total = max(0, stop - first)
        begin = first + (page - 1) * size
        items = [self._transaction(i) for i in range(begin, min(begin + size, stop))]
        return _ok(_page_payload(items, page, size, total))


def _envelope(payload: Any, status_code: int) -> dict[str, Any]:
    return {
        "instance_id": "sim",
        "payload": payload,
        "instance_version": "1.2.164",
        "key_enabled": False,
        "status_code": status_code,
    }


def _ok(payload: Any) -> web.Response:
    return json_response(_envelope(payload, 9999))


def _fail(error: str, message: str, status: int = 200) -> web.Response:
    payload = {"status": "fail", "error": error, "message": message}
    return json_response(_envelope(payload, -9999), status)


def _not_found() -> web.Response:
    return _fail("contact_not_found", "Contact not found")


def _paging(request: web.Request, *, limit: int | None) -> tuple[int, int]:
    try:
        page = int(request.query.get("page", "1"))
        size = int(request.query.get("size", "50"))
    except ValueError:
        raise Abort(_fail("invalid_paging", "page and size must be integers")) from None
    if page < 1 or size < 1:
        raise Abort(_fail("invalid_paging", "page and size must be >= 1"))
    if limit is not None and size > limit:
        raise Abort(_fail("size_is_too_large", f"size must not exceed {limit}"))
    return page, size


async def _json(request: web.Request, kind: type) -> Any:
    raw = await request.read()
    try:
        body = msgspec.json.decode(raw) if raw else kind()
    except msgspec.DecodeError:
        raise Abort(_fail("invalid_data", "body is not valid JSON")) from None
    if not isinstance(body, kind):
        raise Abort(_fail("invalid_data", f"body must be a JSON {kind.__name__}"))
    return body


def _page_payload(items: list[Any], page: int, size: int, total: int) -> dict[str, Any]:
    pages = -(-total // size)
    return {
        "items": items,
        "page_number": page,
        "page_size": size,
        "total_items": total,
        "total_pages": pages,
        "has_next": page < pages,
        "next_page": page + 1 if page < pages else page,
        "has_previous": page > 1,
        "previous_page": page - 1 if page > 1 else 1,
    }


def _paged(rows: list[dict[str, Any]], page: int, size: int) -> dict[str, Any]:
    start = (page - 1) * size
    return _page_payload(rows[start : start + size], page, size, len(rows))


def _matches_keyword(contact: dict[str, Any], keyword: str) -> bool:
    if not keyword:
        return True
    values = [contact.get("fullName") or ""]
    values += [p.get("data", "") for p in contact.get("phones", [])]
    values += [e.get("data", "") for e in contact.get("emails", [])]
    return any(keyword in str(v).lower() for v in values)


def _matches_filter(contact: dict[str, Any], flt: Any) -> bool:
    if not isinstance(flt, dict):
        return True
    values = flt.get("value") or []
    if flt.get("field_code") == "contact_owner":
        owner = contact.get("user_owner_email")
        return (owner is None and "unassigned" in values) or owner in values
    return contact.get(str(flt.get("field_code"))) in values


def _build(*, seed: int, api_key: str | None = None, **options: Any) -> OmicallSimulator:
    return OmicallSimulator(seed=seed, api_key=api_key or derived_key(seed), **options)


def _banner(sim: OmicallSimulator, settings: Mapping[str, Any]) -> Banner:
    start, end = day(sim.t0_ms // 1000), day((sim.t0_ms + sim.span_ms) // 1000)
    return Banner(
        title=f"OMICall simulator: {sim.call_count:,} calls from {start} to {end}, "
        f"{len(sim.contacts):,} contacts (seed {sim.seed})",
        fields=[("base URL", sim.base_url), ("api key", sim.api_key)],
        exports={"TELCALL_OMICALL_BASE_URL": sim.base_url, "TELCALL_OMICALL_API_KEY": sim.api_key},
    )


SIMULATE = SimulateCli(
    options={
        "calls": SimOption(default=2000, help="number of call-history records", metavar="N"),
        "contacts": SimOption(default=25, help="number of contacts", metavar="N"),
        "api_key": SimOption(
            default=None,
            help="accept this API key (default: one derived from the seed)",
            kind="text",
            metavar="KEY",
        ),
    },
    build=_build,
    banner=_banner,
    credentials=lambda sim: f"api_key={sim.api_key}",
    ignored_faults=frozenset({"insert_during_scroll", "insert_every"}),
)
