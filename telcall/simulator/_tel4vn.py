"""The TEL4VN Call Center API simulator.

Shapes follow the provider's documented samples. Decisions where the documents are silent:

- Auth: tokens are random opaque strings valid for `token_ttl` seconds. A missing, unknown or
  expired token gets HTTP 401 `{code: 401, content: "unauthorized", error: "Unauthorized"}`.
- Bad query parameters or bodies (not JSON, a required field missing, a non-integer `limit`)
  get HTTP 400 `{code: 400, content: <what is wrong>, error: "Bad Request"}` unless the endpoint
  documents its own error shape (autocall import, customer create).
- CDRs: `limit` above 1000 is clamped to 1000. `offset` wins over `page`. An unknown scroll id is
  answered like an expired one (HTTP 400 "scroll_id is expired"). A scroll cursor keeps its
  batch size and filters from its first request; an exhausted cursor stays valid until it expires.
- Click-to-call: the synchronous GET answers at once (no agent is going to pick up). A missing
  `ext`/`phone` (or `agent`/`mobile`) is a 400 error body. `USER_BUSY` carries the message
  "User is busy". A successful call shows in `GET /v2/call` for `live_call_ttl` seconds.
- Live calls: an unknown call id answers HTTP 200 `{status: "fail", error: "CALL_NOT_FOUND"}`.
- Autodialer: every answer is HTTP 200 with a `message`, including "campaign is invalid" and
  "queue not found", as the samples show no status. Re-importing a queue code appends customers.
- Queues (autodialer and autocall) go running → stop → stopped → start → running; stop/start are
  idempotent; delete is only accepted for a stopped queue (the documents delete "after pausing"):
  a running one answers "queue is running" (autodialer: HTTP 200 message; autocall: HTTP 400).
  A deleted queue is gone: later calls answer "queue not found".
- Autocall import: a customer is in `success` when one of its mobiles matches the phone pattern,
  else in `fail`; an unusable body (not an object, no `queue_code`/`template`, `customers` not a
  non-empty list) is HTTP 400 "import fail".
- Users: registered extensions are logged in (`ext_loggedin: "true"`); a few extra users own
  extensions that are not registered. `/v2/customer/user/<id>/status` is served too.
- Customers: `POST /v2/customer` answers HTTP 201; any `campaign_id` is accepted; missing fields
  answer `{<field>: "is required"}` entries. The list's `limit` defaults to 50.
- Webhook subscriptions are stored and listed. With `deliver_events=True` the simulator also
  calls them: every successful click-to-call becomes an answered outbound call whose events are
  POSTed in the background (its `call_id` is the one click-to-call returned), and
  `simulate_call()` / `emit_events()` deliver on demand; see `telcall.simulator._delivery`.
"""

from __future__ import annotations

import random
import re
import secrets
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping as AbcMapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec
from aiohttp import web
from aiohttp.typedefs import Middleware

from telcall.simulator._base import Abort, Handler, SimulatorBase, json_response
from telcall.simulator._data import (
    DEFAULT_END,
    DEFAULT_START,
    PHONE_PATTERN,
    VN,
    CdrFilter,
    CdrStore,
    Key,
    Mapping,
    format_vn,
)
from telcall.simulator._delivery import (
    CallDirection,
    DeliveryAttempt,
    DeliveryOptions,
    EventDelivery,
    call_events,
)
from telcall.simulator._faults import Faults
from telcall.simulator._plug import Banner, SimOption, SimulateCli, day

__all__ = ("SIMULATE", "ScrollStyle", "Tel4vnSimulator")

ScrollStyle = Literal["scroll_id", "offset"]

_PHONE = re.compile(PHONE_PATTERN)
_UNAUTHORIZED = {"code": 401, "content": "unauthorized", "error": "Unauthorized"}
_NOT_FOUND = {"code": 404, "content": "Not Found", "error": "Not Found"}
_NOT_REGISTERED = "User not registered extension with Softphone or IP Phone"
_DOMAIN = "test.tel4vn.com"
_EXTENSIONS = tuple(str(ext) for ext in range(101, 121))


def _bad(content: Any) -> Abort:
    return Abort(json_response({"code": 400, "content": content, "error": "Bad Request"}, 400))


class _Cursor(msgspec.Struct):
    lo: int | None
    hi: int | None
    flt: CdrFilter
    batch: int
    below: int
    used_at: float
    last: Key | None = None


class Tel4vnSimulator(SimulatorBase):
    """A stateful fake TEL4VN server with synthetic CDRs, served on 127.0.0.1."""

    auth_paths = frozenset({"/v1/auth", "/v2/auth/token"})

    def __init__(
        self,
        *,
        cdrs: int = 1000,
        seed: int = 1,
        faults: Faults | None = None,
        mapping: Mapping = "default",
        scroll_style: ScrollStyle = "scroll_id",
        start: datetime = DEFAULT_START,
        end: datetime = DEFAULT_END,
        token_ttl: float = 86400,
        scroll_ttl: float = 300.0,
        port: int = 0,
        api_key: str | None = None,
        username: str = "adminfortest",
        password: str = "admin123",
        extensions: Iterable[str] = _EXTENSIONS,
        busy_extensions: Iterable[str] = ("102",),
        live_call_ttl: float = 60.0,
        record_requests: bool = True,
        deliver_events: bool = False,
        delivery: DeliveryOptions | None = None,
    ) -> None:
        """Configure the simulator; it listens once started (`async with` or `start()`).

        `deliver_events` makes it POST call events to the stored subscriptions, as `delivery`
        says (retries, duplicates, reordering; see `DeliveryOptions`).
        """
        super().__init__(seed=seed, faults=faults, port=port, record_requests=record_requests)
        if delivery is not None and not deliver_events:
            raise ValueError("delivery options need deliver_events=True")
        if scroll_style not in ("scroll_id", "offset"):
            raise ValueError(f"unknown scroll_style {scroll_style!r}")
        self.store = CdrStore(cdrs, seed=seed, mapping=mapping, start=start, end=end)
        self.scroll_style: ScrollStyle = scroll_style
        self.token_ttl = token_ttl
        self.scroll_ttl = scroll_ttl
        self.live_call_ttl = live_call_ttl
        self._ids = random.Random(seed ^ 0x1D5)
        self.api_key = api_key or self._uuid()
        self.username = username
        self.password = password
        self.domain_uuid = self._uuid()
        self.user_uuid = self._uuid()
        self.extensions = frozenset(extensions)
        self.busy_extensions = frozenset(busy_extensions)
        self.campaign_ids: tuple[str, ...] = tuple(self._uuid() for _ in range(3))
        self.events: list[dict[str, Any]] = []
        self.autodialer_queues: dict[str, dict[str, Any]] = {}
        self.autocall_queues: dict[str, dict[str, Any]] = {}
        self.users = self._seed_users()
        self.customers: dict[str, dict[str, Any]] = {}
        self._seed_customers()
        self._calls: dict[str, tuple[dict[str, Any], float | None]] = {}
        self._seed_calls()
        self._tokens: dict[str, list[float]] = {}
        self._cursors: dict[str, _Cursor] = {}
        self._pages_served = 0
        self._totals: dict[tuple[int | None, int | None, CdrFilter, int], int] = {}
        self._delivery = (
            EventDelivery(
                delivery or DeliveryOptions(), seed=seed, subscriptions=lambda: self.events
            )
            if deliver_events
            else None
        )

    # -- public helpers for tests ------------------------------------------------------------

    def cdr(self, i: int) -> dict[str, Any]:
        """The `i`-th CDR (by index, inserted ones after the generated ones) as its wire dict."""
        return self.store.record(i)

    def cdr_ids(self, start: datetime | None = None, end: datetime | None = None) -> Iterator[str]:
        """Iterate the stripped ids of all CDRs in serving order, optionally in `[start, end)`."""
        lo = None if start is None else int(start.timestamp())
        hi = None if end is None else int(end.timestamp())
        return self.store.ids(lo, hi)

    def insert_cdrs(self, n: int, at: Sequence[datetime] | None = None) -> list[int]:
        """Add `n` late CDRs at seeded times in the period (or at `at`); return their indexes."""
        if at is not None and len(at) != n:
            raise ValueError("at must hold n datetimes")
        return self.store.insert(n, at)

    def expire_tokens(self) -> None:
        """Invalidate every issued token: the next authenticated call gets 401."""
        self._tokens.clear()

    @property
    def deliveries(self) -> list[DeliveryAttempt]:
        """Every event-hook delivery attempt so far, in the order they ended."""
        return [] if self._delivery is None else self._delivery.log

    async def simulate_call(
        self,
        *,
        direction: CallDirection = "outbound",
        answered: bool = True,
        extensions: str | Sequence[str] = "101",
        phone: str = "0899888999",
        hotline: str = "19001919",
        call_id: str | None = None,
        status: str | None = None,
        ring_seconds: int = 5,
        talk_seconds: int = 30,
        application: str = "",
        ref_id: str = "",
    ) -> list[dict[str, Any]]:
        """Deliver one call's events to the subscriptions; return the payloads, in call order.

        Waits until every delivery (retries and duplicates included) is over. An inbound call
        may ring several `extensions` in turn; the last one answers when `answered`. `status`
        is the cdr event's status (default `ANSWERED` or `NO-ANSWERED`).
        """
        if self._delivery is None:
            raise RuntimeError("event delivery is off: construct the simulator with deliver_events")
        legs = (extensions,) if isinstance(extensions, str) else tuple(extensions)
        payloads = call_events(
            new_id=self._delivery.new_id,
            call_id=call_id or self._delivery.new_id(),
            direction=direction,
            extensions=legs,
            phone=phone,
            answered=answered,
            status=status,
            hotline=hotline,
            domain=_DOMAIN,
            # The call has just ended: every event is delivered at once.
            started=int(time.time()) - ring_seconds * len(legs) - (talk_seconds if answered else 0),
            ring_seconds=ring_seconds,
            talk_seconds=talk_seconds,
            application=application,
            ref_id=ref_id,
        )
        await self._delivery.emit(payloads)
        return payloads

    async def emit_events(self, payloads: Iterable[AbcMapping[str, Any]]) -> None:
        """POST arbitrary event payloads to the subscriptions matching their `state`, in order."""
        if self._delivery is None:
            raise RuntimeError("event delivery is off: construct the simulator with deliver_events")
        await self._delivery.emit(list(payloads))

    async def wait_for_deliveries(self) -> None:
        """Wait until the deliveries started in the background (click-to-call) are over."""
        if self._delivery is not None:
            await self._delivery.wait()

    async def start(self) -> None:
        """Start listening (and open the event-delivery session)."""
        await super().start()
        # After the server: a failed start must not leave an open session behind.
        if self._delivery is not None:
            await self._delivery.start()

    async def aclose(self) -> None:
        """Cancel and await pending event deliveries, then stop the server."""
        if self._delivery is not None:
            await self._delivery.aclose()
        await super().aclose()

    @property
    def live_calls(self) -> list[dict[str, Any]]:
        """The calls `GET /v2/call` lists right now."""
        now = time.monotonic()
        for call_id, (_, until) in list(self._calls.items()):
            if until is not None and until <= now:
                del self._calls[call_id]
        return [call for call, _ in self._calls.values()]

    # -- set-up ----------------------------------------------------------------------------

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def _seed_users(self) -> list[dict[str, Any]]:
        users = [
            {
                "agent_name": "Test User 01",
                "ext_loggedin": "true" if "101" in self.extensions else "false",
                "extension": "101",
                "user_uuid": "aaaaaaaa-1111-2222-3333-eeeeeeee",
                "username": "test.user01",
            }
        ]
        for ext in range(102, 126):
            users.append(
                {
                    "agent_name": f"Agent {ext}",
                    "ext_loggedin": "true" if str(ext) in self.extensions else "false",
                    "extension": str(ext),
                    "user_uuid": self._uuid(),
                    "username": f"agent.{ext}",
                }
            )
        return users

    def _seed_customers(self) -> None:
        names = ("Nguyen Van An", "Tran Thi Binh", "Le Van Cuong", "Pham Thi Dung", "Hoang Minh")
        for n, name in enumerate(names):
            cid = self._uuid()
            self.customers[cid] = {
                "campaign_id": self.campaign_ids[n % 2],
                "contract_number": f"HD{100_000 + n}",
                "created_at": f"2026-10-{n + 10}T09:30:{n:02d}.123456Z",
                "customer_code": f"KH{n + 1:02d}",
                "customer_id": cid,
                "customer_name": name,
                "phone_number": f"08998889{90 + n}",
                "status": ("NEW", "QUEUE", "ANSWERED", "BUSY", "NO-ANSWERED")[n],
                "updated_at": "0001-01-01T00:00:00Z",
                "after_day": 7,
            }

    def _seed_calls(self) -> None:
        now = int(time.time())
        for n, (ext, phone, direction) in enumerate(
            (("103", "0899123456", "outbound"), ("105", "0912345678", "inbound"))
        ):
            self._add_call(ext, phone, direction, now - 30 * (n + 1), until=None)

    def _add_call(
        self, ext: str, phone: str, direction: str, created: int, until: float | None
    ) -> str:
        call_id = self._uuid()
        call = {
            "call_id": call_id,
            "context": _DOMAIN,
            "created_time": format_vn(created),
            "destination": phone if direction == "outbound" else ext,
            "direction": direction,
            "ip": "1.2.3.4",
            "source": ext if direction == "outbound" else phone,
            "state": "CS_EXECUTE",
        }
        self._calls[call_id] = (call, until)
        return call_id

    # -- wiring ----------------------------------------------------------------------------

    def _routes(self) -> Iterable[web.RouteDef]:
        return (
            web.post("/v1/auth", self._login),
            web.post("/v2/auth/token", self._token),
            web.get("/v1/event", self._list_events),
            web.post("/v1/event", self._create_event),
            web.delete("/v1/event/{id}", self._delete_event),
            web.get("/v2/cdr", self._list_cdrs),
            web.get("/v2/cdr/{id}", self._get_cdr),
            web.get("/v1/click2call", self._click2call_get),
            web.get("/v1/click2call/async", self._click2call_get),
            web.post("/v2/click2call", self._click2call_post),
            web.get("/v2/call", self._list_calls),
            web.post("/v2/call/{call_id}/{action:transfer|listen|whisper|barge}", self._call_act),
            web.post("/v2/autodialer/queue", self._autodialer_import),
            web.post("/v2/autodialer/queue/{op:stop|start|delete}", self._autodialer_op),
            web.post("/v2/autocall/queue", self._autocall_import),
            web.post("/v2/autocall/queue/dnc", self._autocall_dnc),
            web.post("/v2/autocall/queue/{op:stop|start|delete}", self._autocall_op),
            web.get("/v2/user/{user_id}/status", self._user_status),
            web.get("/v2/customer/user/{user_id}/status", self._user_status),
            web.get("/v2/customer", self._list_customers),
            web.post("/v2/customer", self._create_customer),
            web.get("/v2/customer/{id}", self._get_customer),
        )

    def _middlewares(self) -> Iterable[Middleware]:
        return (self._auth_mw,)

    @web.middleware
    async def _auth_mw(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in self.auth_paths:
            return await handler(request)
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        entry = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        limit = self.faults.token_expire_after
        if entry is not None:
            entry[1] += 1
            if entry[0] <= time.monotonic() or (limit is not None and entry[1] > limit):
                del self._tokens[token.strip()]
                entry = None
        if entry is None:
            return json_response(_UNAUTHORIZED, 401)
        return await handler(request)

    # -- auth --------------------------------------------------------------------------------

    async def _login(self, request: web.Request) -> web.Response:
        body = await _json_obj(request)
        if body.get("username") != self.username or body.get("password") != self.password:
            return json_response(_UNAUTHORIZED, 401)
        data = {
            "api_key": self.api_key,
            "domain_uuid": self.domain_uuid,
            "enabled": "true",
            "extension": "110",
            "level": "admin",
            "user_uuid": self.user_uuid,
            "username": self.username,
        }
        return json_response({"code": 200, "content": "successfully", "data": data})

    async def _token(self, request: web.Request) -> web.Response:
        body = await _json_obj(request)
        if body.get("api_key") != self.api_key:
            return json_response(_UNAUTHORIZED, 401)
        token = secrets.token_urlsafe(32)
        self._tokens[token] = [time.monotonic() + self.token_ttl, 0]
        data = {
            "client_id": self.user_uuid,
            "domain_uuid": self.domain_uuid,
            "expired_in": int(self.token_ttl),
            "refresh_token": "",
            "token": token,
            "token_type": "Bearer",
            "user_id": self.user_uuid,
        }
        return json_response({"code": 200, "content": "successfully", "data": data})

    # -- events ------------------------------------------------------------------------------

    async def _list_events(self, request: web.Request) -> web.Response:
        return json_response({"data": self.events})

    async def _create_event(self, request: web.Request) -> web.Response:
        body = await _json_obj(request)
        url, event = body.get("callback_url"), body.get("event")
        if not isinstance(url, str) or not url or not isinstance(event, str) or not event:
            raise _bad("callback_url and event are required")
        self.events.append(
            {
                "event_domain_uuid": self._uuid(),
                "domain_uuid": self.domain_uuid,
                "domain_name": _DOMAIN,
                "event_name": event,
                "callback_url": url,
                "callback_apikey": str(body.get("callback_apikey") or ""),
            }
        )
        return json_response({"created": True})

    async def _delete_event(self, request: web.Request) -> web.Response:
        event_id = request.match_info["id"]
        for n, event in enumerate(self.events):
            if event["event_domain_uuid"] == event_id:
                del self.events[n]
                return json_response({"deleted": True})
        return json_response(_NOT_FOUND, 404)

    # -- CDRs --------------------------------------------------------------------------------

    async def _list_cdrs(self, request: web.Request) -> web.Response:
        q = request.query
        if "scroll_id" in q:
            return self._scroll_next(q["scroll_id"])
        lo, hi, flt = _cdr_filters(q)
        if "page" in q or "offset" in q or self.scroll_style == "offset":
            paged = "page" in q or "offset" in q
            limit = _int(q, "limit", 50 if paged else 500, low=1)
            if "offset" in q:
                offset = _int(q, "offset", 0, low=0)
            else:
                offset = (_int(q, "page", 1, low=1) - 1) * limit
            return self._page(lo, hi, flt, min(limit, 1000), offset)
        limit = min(_int(q, "limit", 500, low=1), 1000)
        now = time.monotonic()
        for sid, old in list(self._cursors.items()):
            if now - old.used_at > self.scroll_ttl:
                del self._cursors[sid]
        sid = self._ids.getrandbits(128).to_bytes(16, "big").hex()
        self._cursors[sid] = _Cursor(lo, hi, flt, limit, len(self.store), now)
        return self._scroll_next(sid)

    def _page(
        self, lo: int | None, hi: int | None, flt: CdrFilter, limit: int, offset: int
    ) -> web.Response:
        store = self.store
        if flt.is_empty():
            total = store.count(lo, hi)
            data, _ = store.select(store.keys_from(offset, lo, hi), flt, limit)
        else:
            # Counting filtered CDRs is a full scan: remember it while the dataset is unchanged.
            cache_key = (lo, hi, flt, len(store))
            total = self._totals.get(cache_key, -1)
            if total < 0:
                if len(self._totals) >= 64:
                    self._totals.clear()
                total = sum(1 for _, i in store.keys(lo, hi) if flt.matches(store.core(i)))
                self._totals[cache_key] = total
            data, _ = store.select(store.keys(lo, hi), flt, limit, skip=offset)
        body = {"data": data, "limit": limit, "offset": offset, "total": total}
        self._page_served()
        return json_response(body)

    def _scroll_next(self, sid: str) -> web.Response:
        cursor = self._cursors.get(sid)
        now = time.monotonic()
        if cursor is None or now - cursor.used_at > self.scroll_ttl:
            self._cursors.pop(sid, None)
            raise _bad("scroll_id is expired")
        cursor.used_at = now
        keys = self.store.keys(cursor.lo, cursor.hi, after=cursor.last, below=cursor.below)
        data, last = self.store.select(keys, cursor.flt, cursor.batch)
        if last is not None:
            cursor.last = last
        self._page_served()
        return json_response({"data": data, "scroll_id": sid})

    def _page_served(self) -> None:
        self._pages_served += 1
        k, every = self.faults.insert_during_scroll, max(1, self.faults.insert_every)
        if k > 0 and self._pages_served % every == 0:
            self.store.insert(k)

    async def _get_cdr(self, request: web.Request) -> web.Response:
        index = self.store.lookup(request.match_info["id"])
        if index is None:
            return json_response(_NOT_FOUND, 404)
        return json_response(self.store.record(index))

    # -- click-to-call and live calls ----------------------------------------------------------

    def _dial(
        self, ext: str, phone: str, hotline: str = "", ref_id: str = ""
    ) -> tuple[str, str] | str:
        """Place a call from `ext` to `phone`: ("fail", error) or the new call id."""
        if ext not in self.extensions:
            return "fail", "USER_NOT_REGISTERED"
        if ext in self.busy_extensions:
            return "fail", "USER_BUSY"
        now = int(time.time())
        call_id = self._add_call(ext, phone, "outbound", now, time.monotonic() + self.live_call_ttl)
        if self._delivery is not None:
            delivery = self._delivery
            ring, talk = delivery.rng.randint(2, 15), delivery.rng.randint(5, 300)
            delivery.spawn(
                call_events(
                    new_id=delivery.new_id,
                    call_id=call_id,
                    direction="outbound",
                    extensions=(ext,),
                    phone=phone,
                    answered=True,
                    status=None,
                    hotline=hotline,
                    domain=_DOMAIN,
                    started=now - ring - talk,
                    ring_seconds=ring,
                    talk_seconds=talk,
                    application="click2call",
                    ref_id=ref_id,
                )
            )
        return call_id

    async def _click2call_get(self, request: web.Request) -> web.Response:
        ext, phone = request.query.get("ext"), request.query.get("phone")
        if not ext or not phone:
            raise _bad("ext and phone are required")
        result = self._dial(
            ext, phone, request.query.get("hotline", ""), request.query.get("customer_id", "")
        )
        if isinstance(result, str):
            return json_response({"status": "success", "call_id": result})
        if request.path.endswith("/async"):
            return json_response(
                {"status": "fail", "message": _message(result[1]), "error": result[1]}
            )
        return json_response({"status": "fail", "error": result[1]})

    async def _click2call_post(self, request: web.Request) -> web.Response:
        body = await _json_obj(request)
        agent, mobile = body.get("agent"), body.get("mobile")
        if not agent or not mobile:
            raise _bad("agent and mobile are required")
        result = self._dial(str(agent), str(mobile), ref_id=str(body.get("id") or ""))
        if isinstance(result, str):
            return json_response({"code": "0", "call_id": result, "status": "success"})
        error = result[1]
        return json_response(
            {"code": "1", "status": "fail", "message": _message(error), "error": error}
        )

    async def _list_calls(self, request: web.Request) -> web.Response:
        calls = self.live_calls
        return json_response({"data": calls, "total": len(calls)})

    async def _call_act(self, request: web.Request) -> web.Response:
        call_id = request.match_info["call_id"]
        body = await _json_obj(request)
        ext = body.get("ext")
        if not ext:
            raise _bad("ext is required")
        ext = str(ext)
        if not any(call["call_id"] == call_id for call in self.live_calls):
            return json_response({"status": "fail", "error": "CALL_NOT_FOUND"})
        if ext not in self.extensions:
            return json_response({"status": "fail", "error": "USER_NOT_REGISTERED"})
        if ext in self.busy_extensions:
            return json_response({"status": "fail", "error": "USER_BUSY"})
        return json_response({"status": "success", "call_id": call_id, "ext": ext})

    # -- autodialer --------------------------------------------------------------------------

    async def _autodialer_import(self, request: web.Request) -> web.Response:
        body = await _json_obj(request)
        code, customers = body.get("queue_code"), body.get("customers")
        if not isinstance(code, str) or not code or not isinstance(customers, list):
            raise _bad("queue_code and customers are required")
        if body.get("campaign_id") not in self.campaign_ids:
            return json_response({"message": "campaign is invalid"})
        queue = self.autodialer_queues.setdefault(code, {"state": "running", "customers": []})
        queue.update({k: v for k, v in body.items() if k != "customers"})
        queue["customers"].extend(customers)
        return json_response({"message": "successfully"})

    async def _autodialer_op(self, request: web.Request) -> web.Response:
        code = (await _json_obj(request)).get("queue_code")
        if not isinstance(code, str) or code not in self.autodialer_queues:
            return json_response({"message": "queue not found"})
        error = _transition(self.autodialer_queues, code, request.match_info["op"])
        return json_response({"message": error or "successfully"})

    # -- autocall ----------------------------------------------------------------------------

    async def _autocall_import(self, request: web.Request) -> web.Response:
        try:
            body = await _json_obj(request)
        except Abort:
            body = {}
        code, customers = body.get("queue_code"), body.get("customers")
        if (
            not isinstance(code, str)
            or not code
            or not body.get("template")
            or not isinstance(customers, list)
            or not customers
            or not all(isinstance(c, dict) and c.get("id") for c in customers)
        ):
            fail: dict[str, Any] = {"fail": [], "success": []}
            return json_response({"code": 400, "content": "import fail", "data": fail}, 400)
        success: list[Any] = []
        failed: list[Any] = []
        for customer in customers:
            mobiles = customer.get("mobiles")
            ok = isinstance(mobiles, list) and any(_PHONE.fullmatch(str(m)) for m in mobiles)
            (success if ok else failed).append(customer["id"])
        queue = self.autocall_queues.setdefault(
            code, {"state": "running", "customers": [], "dnc": set()}
        )
        queue.update({k: v for k, v in body.items() if k != "customers"})
        queue["customers"].extend(c for c in customers if c["id"] in success)
        data = {"fail": failed, "success": success}
        return json_response({"code": 200, "content": "successfully", "data": data})

    async def _autocall_dnc(self, request: web.Request) -> web.Response:
        body = await _json_obj(request)
        code, customers = body.get("queue_code"), body.get("customers")
        if not isinstance(code, str) or not isinstance(customers, list):
            raise _bad("queue_code and customers are required")
        queue = self.autocall_queues.get(code)
        if queue is None:
            return json_response({"code": 404, "content": "queue not found"}, 404)
        queue["dnc"].update(str(c.get("id")) for c in customers if isinstance(c, dict))
        return json_response({"code": 200, "content": "successfully"})

    async def _autocall_op(self, request: web.Request) -> web.Response:
        code = (await _json_obj(request)).get("queue_code")
        if not isinstance(code, str) or code not in self.autocall_queues:
            return json_response({"code": 404, "content": "queue not found"}, 404)
        error = _transition(self.autocall_queues, code, request.match_info["op"])
        if error:
            return json_response({"code": 400, "content": error}, 400)
        return json_response({"code": 200, "content": "successfully"})

    # -- users and customers -----------------------------------------------------------------

    async def _user_status(self, request: web.Request) -> web.Response:
        user_id = request.match_info["user_id"]
        for user in self.users:
            if user_id in (user["username"], user["user_uuid"]):
                return json_response({"code": 200, "content": "successfully", "data": user})
        body = {"code": 404, "content": "user is not existed", "error": "Not Found"}
        return json_response(body, 404)

    async def _list_customers(self, request: web.Request) -> web.Response:
        q = request.query
        limit = min(_int(q, "limit", 50, low=1), 1000)
        offset = _int(q, "offset", 0, low=0)
        campaign = q.get("campaign_id")
        rows = [c for c in self.customers.values() if campaign in (None, c["campaign_id"])]
        return json_response(
            {
                "code": 200,
                "content": "successfully",
                "data": rows[offset : offset + limit],
                "limit": limit,
                "offset": offset,
                "total": len(rows),
            }
        )

    async def _get_customer(self, request: web.Request) -> web.Response:
        customer = self.customers.get(request.match_info["id"])
        if customer is None:
            return json_response(_NOT_FOUND, 404)
        return json_response({"code": 200, "content": "successfully", "data": customer})

    async def _create_customer(self, request: web.Request) -> web.Response:
        body = await _json_obj(request)
        errors: list[dict[str, str]] = []
        for field in ("campaign_id", "customer_code", "phone_number", "contract_number"):
            value = body.get(field)
            if not isinstance(value, str) or not value:
                errors.append({field: "is required"})
        phone = body.get("phone_number")
        if isinstance(phone, str) and phone and not _PHONE.fullmatch(phone):
            errors.append({"phone_number": f"Does not match pattern '{PHONE_PATTERN}'"})
        after_day = body.get("after_day", 7)
        if not isinstance(after_day, int) or isinstance(after_day, bool) or after_day < 0:
            errors.append({"after_day": "Invalid type. Expected: integer"})
        if errors:
            raise _bad(errors)
        cid = self._uuid()
        self.customers[cid] = {
            "campaign_id": body["campaign_id"],
            "contract_number": body["contract_number"],
            "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "customer_code": body["customer_code"],
            "customer_id": cid,
            "customer_name": str(body.get("customer_name") or ""),
            "phone_number": phone,
            "status": "NEW",
            "updated_at": "0001-01-01T00:00:00Z",
            "after_day": after_day,
        }
        return json_response({"code": 201, "content": "successfully", "id": cid}, 201)


def _message(error: str) -> str:
    return _NOT_REGISTERED if error == "USER_NOT_REGISTERED" else "User is busy"


def _transition(queues: dict[str, dict[str, Any]], code: str, op: str) -> str | None:
    """Apply stop/start/delete to queue `code`; return an error message or None."""
    queue = queues[code]
    if op == "delete":
        if queue["state"] != "stopped":
            return "queue is running"
        del queues[code]
    else:
        queue["state"] = "stopped" if op == "stop" else "running"
    return None


async def _json_obj(request: web.Request) -> dict[str, Any]:
    try:
        body = msgspec.json.decode(await request.read())
    except msgspec.DecodeError:
        raise _bad("body is not valid JSON") from None
    if not isinstance(body, dict):
        raise _bad("body must be a JSON object")
    return body


def _int(q: Any, name: str, default: int, *, low: int) -> int:
    raw = q.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _bad(f"{name} must be an integer") from None
    if value < low:
        raise _bad(f"{name} must be >= {low}")
    return value


def _date(q: Any, name: str) -> int | None:
    raw = q.get(name)
    if not raw:
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            return int(datetime.strptime(raw, fmt).replace(tzinfo=VN).timestamp())
        except ValueError:
            continue
    raise _bad(f"{name} must look like 2021-02-18 or 2021-02-18 17:20:58")


def _cdr_filters(q: Any) -> tuple[int | None, int | None, CdrFilter]:
    flt = CdrFilter(
        duration=_int(q, "duration", -1, low=0) if q.get("duration") else None,
        min_duration=_int(q, "min_duration", -1, low=0) if q.get("min_duration") else None,
        extension=q.get("extension") or None,
        phone=q.get("phone") or None,
        direction=q.get("direction") or None,
        status=q.get("status") or None,
        hotline=q.get("hotline") or None,
    )
    return _date(q, "start_date"), _date(q, "end_date"), flt


def _banner(sim: Tel4vnSimulator, settings: AbcMapping[str, Any]) -> Banner:
    start, end = day(sim.store.t0), day(sim.store.t0 + sim.store.span)
    fields = [
        ("base URL", sim.base_url),
        ("api key", sim.api_key),
        ("login", f"{sim.username} / {sim.password}"),
    ]
    if settings["deliver_events"]:
        fields.append(("events", "click-to-call POSTs call events to subscribed loopback URLs"))
    return Banner(
        title=f"TEL4VN simulator: {settings['cdrs']:,} CDRs from {start} to {end} "
        f"(seed {sim.seed}, {settings['mapping']} mapping)",
        fields=fields,
        exports={"TELCALL_TEL4VN_BASE_URL": sim.base_url, "TELCALL_TEL4VN_API_KEY": sim.api_key},
        hints=[f"telcall cdrs list --start-date {start} --limit 10"],
    )


SIMULATE = SimulateCli(
    options={
        "cdrs": SimOption(default=1000, help="number of CDRs", metavar="N"),
        "mapping": SimOption(
            default="default",
            help="CDR record shape; mixed alternates default and flex",
            kind="choice",
            choices=("default", "flex", "mixed"),
        ),
        "scroll_style": SimOption(
            default="scroll_id",
            help="how an unpaginated CDR listing continues",
            kind="choice",
            choices=("scroll_id", "offset"),
        ),
        "deliver_events": SimOption(
            default=False,
            help="POST call events to the subscribed callback URLs (loopback only): every "
            "successful click-to-call becomes an answered call whose events are delivered",
            kind="flag",
        ),
        "api_key": SimOption(
            default=None,
            help="accept this API key (default: one derived from the seed)",
            kind="text",
            metavar="KEY",
        ),
    },
    build=Tel4vnSimulator,
    banner=_banner,
    credentials=lambda sim: (
        f"api_key={sim.api_key} username={sim.username} password={sim.password}"
    ),
)
