"""The AI Call Center (aicallcenter.vn) API simulator.

Shapes follow the provider's documented samples. Decisions where the documents are silent:

- Failures are `{status: 0, code, message}` with HTTP `error_status` (200 by default, as the
  seed suggests): "401" wrong token or secret key, "400" `contacts` not a list of objects,
  "01" unknown campaign, "03" campaign stopped (any campaign, not only voice-OTP ones).
- Tokens are random opaque strings that never expire; `rotate_secret()` invalidates every token
  made from the old secret, as changing it on the website does.
- Import: an item is skipped when it is not an object, its `phone_number` is not a domestic
  Vietnamese number, or (voice-OTP campaigns) its `otp_code` is not "000001".."999999";
  duplicate phones keep the first. Each accepted contact gets an integer `call_id` and, because
  the campaign is running, a call in the campaign's export (answered, state 40, or failed, 50).
- Export and call log: `start_time`/`end_time` are inclusive epoch ms; `limit` (default 10) is
  capped at 1000; generated calls come first, ascending by `called_at`, then imported ones.
  The call log lists every campaign's calls, campaign after campaign, without `limit`.
"""

from __future__ import annotations

import random
import re
import secrets
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import msgspec
from aiohttp import web
from aiohttp.typedefs import Middleware

from telcall.simulator._base import Abort, Handler, SimulatorBase, json_response
from telcall.simulator._data import DEFAULT_END, DEFAULT_START, VN, format_vn
from telcall.simulator._faults import Faults
from telcall.simulator._plug import Banner, SimOption, SimulateCli, day, derived_key

__all__ = ("SIMULATE", "AICallCenterSimulator", "Campaign")

MAX_LIMIT = 1000

_PHONE = re.compile(r"^0[1-9][0-9]{8,9}$")
_OTP = re.compile(r"^[0-9]{6}$")
_PREFIXES = ("090", "091", "093", "096", "097", "098", "086", "088", "032", "035", "070", "081")
_BAD_TOKEN = "access token không chính xác. bạn không có quyền truy cập"
_NOTES = ("NORMAL CLEARING", "NO ANSWER", "USER BUSY", "CALL REJECTED")


class Campaign(msgspec.Struct, kw_only=True):
    """One simulated campaign: `generated` synthetic calls plus the imported ones."""

    id: str
    number: int
    otp: bool = False
    running: bool = True
    generated: int = 0
    imported: list[dict[str, Any]] = msgspec.field(default_factory=list)


class AICallCenterSimulator(SimulatorBase):
    """A stateful fake AI Call Center server, served on 127.0.0.1.

    Three campaigns exist from the start: `campaign_id` (running), `otp_campaign_id` (running,
    voice OTP) and `stopped_campaign_id` (stopped); `add_campaign()` makes more.
    """

    auth_paths = frozenset({"/api/users/generate-access-token"})

    def __init__(
        self,
        *,
        calls_per_campaign: int = 120,
        seed: int = 1,
        faults: Faults | None = None,
        start: datetime = DEFAULT_START,
        end: datetime = DEFAULT_END,
        error_status: int = 200,
        port: int = 0,
        secret_key: str | None = None,
        record_requests: bool = True,
    ) -> None:
        """Configure the simulator; it listens once started (`async with` or `start()`)."""
        super().__init__(seed=seed, faults=faults, port=port, record_requests=record_requests)
        if calls_per_campaign < 0:
            raise ValueError("calls_per_campaign must be >= 0")
        self.t0 = int(start.timestamp())
        self.span = int(end.timestamp()) - self.t0
        if self.span <= 0:
            raise ValueError("end must be after start")
        self.error_status = error_status
        self._rng = random.Random(seed ^ 0xACC)
        self.secret_key = secret_key or secrets.token_hex(16)
        self.campaigns: dict[str, Campaign] = {}
        self._tokens: set[str] = set()
        self._next_call_id = 100_000
        self.campaign_id = self.add_campaign(calls=calls_per_campaign)
        self.otp_campaign_id = self.add_campaign(calls=calls_per_campaign, otp=True)
        self.stopped_campaign_id = self.add_campaign(calls=calls_per_campaign, running=False)

    # -- public helpers for tests --------------------------------------------------------------

    def add_campaign(self, *, calls: int = 0, otp: bool = False, running: bool = True) -> str:
        """Create a campaign with `calls` generated calls; return its id."""
        campaign_id = f"{self._rng.getrandbits(96):024x}"
        self.campaigns[campaign_id] = Campaign(
            id=campaign_id, number=len(self.campaigns), otp=otp, running=running, generated=calls
        )
        return campaign_id

    def set_running(self, campaign_id: str, running: bool) -> None:
        """Start or stop a campaign."""
        self.campaigns[campaign_id].running = running

    def rotate_secret(self, secret_key: str | None = None) -> str:
        """Change the secret key, invalidating every token made from the old one."""
        self.secret_key = secret_key or secrets.token_hex(16)
        self._tokens.clear()
        return self.secret_key

    def expire_tokens(self) -> None:
        """Invalidate every issued token (the secret stays): the next call gets code 401."""
        self._tokens.clear()

    def calls(self, campaign_id: str) -> list[dict[str, Any]]:
        """Every call of a campaign, in serving order."""
        campaign = self.campaigns[campaign_id]
        generated = [self._call(campaign, i) for i in range(campaign.generated)]
        return generated + campaign.imported

    # -- synthetic data -----------------------------------------------------------------------

    def _call(self, campaign: Campaign, index: int) -> dict[str, Any]:
        rng = random.Random((self.seed << 40) ^ (campaign.number << 24) ^ index)
        answered = rng.random() < 0.7
        called = self.t0 + index * self.span // max(campaign.generated, 1)
        return {
            "call_id": f"{campaign.number}-{index:06d}",
            "caller_id": "02873001234",
            "callee_id": rng.choice(_PREFIXES) + f"{rng.randrange(10_000_000):07d}",
            "called_at": format_vn(called),
            "duration": 3 + rng.randrange(60) if answered else 0,
            "key_press": f"{rng.randrange(10)} ({rng.randrange(5, 40)})" if answered else "",
            "note": _NOTES[0] if answered else rng.choice(_NOTES[1:]),
            "state": 40 if answered else 50,
        }

    def _call_time(self, call: dict[str, Any]) -> int:
        naive = datetime.strptime(call["called_at"], "%Y-%m-%d %H:%M:%S")
        return int(naive.replace(tzinfo=VN).timestamp())

    # -- wiring -------------------------------------------------------------------------------

    def _routes(self) -> Iterable[web.RouteDef]:
        return (
            web.get("/api/users/generate-access-token", self._token),
            web.post("/api/campaigns/{campaign_id}/import", self._import),
            web.get("/api/campaigns/{campaign_id}/export", self._export),
            web.get("/api/users/call-log", self._call_log),
        )

    def _middlewares(self) -> Iterable[Middleware]:
        return (self._auth_mw,)

    @web.middleware
    async def _auth_mw(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in self.auth_paths:
            return await handler(request)
        if request.method == "GET":
            token = request.query.get("access_token")
        else:
            token = (await self._body(request)).get("access_token")
        if token not in self._tokens:
            return self._fail("401", _BAD_TOKEN)
        return await handler(request)

    def _fail(self, code: str, message: str) -> web.Response:
        return json_response({"status": 0, "code": code, "message": message}, self.error_status)

    async def _body(self, request: web.Request) -> dict[str, Any]:
        try:
            body = msgspec.json.decode(await request.read())
        except msgspec.DecodeError:
            body = None
        if not isinstance(body, dict):
            raise Abort(self._fail("400", "contacts không đúng định dạng"))
        return body

    def _campaign(self, request: web.Request) -> Campaign:
        campaign = self.campaigns.get(request.match_info["campaign_id"])
        if campaign is None:
            raise Abort(self._fail("01", "campaign_id không hợp lệ"))
        return campaign

    # -- handlers -----------------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        if request.query.get("secret_key") != self.secret_key:
            return self._fail("401", "secret_key không chính xác")
        token = secrets.token_urlsafe(48)
        self._tokens.add(token)
        return json_response({"status": 1, "results": {"access_token": token}})

    async def _import(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        campaign = self._campaign(request)
        contacts = body.get("contacts")
        if not isinstance(contacts, list) or not contacts:
            return self._fail("400", "contacts không đúng định dạng")
        if not campaign.running:
            return self._fail("03", "The campaign stopped. Can not import data")
        seen: set[str] = set()
        results = []
        for item in contacts:
            if not isinstance(item, dict):
                continue
            phone = item.get("phone_number")
            if not isinstance(phone, str) or not _PHONE.fullmatch(phone) or phone in seen:
                continue
            otp = item.get("otp_code")
            if campaign.otp and not (
                isinstance(otp, str) and _OTP.fullmatch(otp) and otp != "000000"
            ):
                continue
            seen.add(phone)
            self._next_call_id += 1
            call_id = self._next_call_id
            answered = call_id % 4 != 0
            campaign.imported.append(
                {
                    "call_id": call_id,
                    "caller_id": "02873001234",
                    "callee_id": phone,
                    "called_at": format_vn(int(time.time())),
                    "duration": 5 + call_id % 30 if answered else 0,
                    "key_press": "1 (12)" if answered else "",
                    "note": _NOTES[0] if answered else _NOTES[1],
                    "state": 40 if answered else 50,
                }
            )
            results.append({"phone_number": phone, "call_id": call_id})
        return json_response(
            {
                "status": 1,
                "message": f"Ghi nhận thành công {len(results)} trên {len(contacts)} bản ghi",
                "results": results,
            }
        )

    def _window(self, request: web.Request) -> tuple[int | None, int | None, int, int]:
        q = request.query
        try:
            start = int(q["start_time"]) if q.get("start_time") else None
            end = int(q["end_time"]) if q.get("end_time") else None
            limit = int(q.get("limit") or 10)
            offset = int(q.get("offset") or 0)
        except ValueError:
            raise Abort(self._fail("400", "tham số không hợp lệ")) from None
        if limit < 1 or offset < 0:
            raise Abort(self._fail("400", "tham số không hợp lệ"))
        return start, end, min(limit, MAX_LIMIT), offset

    def _select(self, calls: list[dict[str, Any]], start: int | None, end: int | None) -> list[Any]:
        return [
            call
            for call in calls
            if (start is None or self._call_time(call) * 1000 >= start)
            and (end is None or self._call_time(call) * 1000 <= end)
        ]

    async def _export(self, request: web.Request) -> web.Response:
        campaign = self._campaign(request)
        start, end, limit, offset = self._window(request)
        calls = self._select(self.calls(campaign.id), start, end)
        results = {"limit": limit, "total": len(calls), "calls": calls[offset : offset + limit]}
        return json_response({"status": 1, "results": results})

    async def _call_log(self, request: web.Request) -> web.Response:
        start, end, limit, offset = self._window(request)
        calls = self._select([c for cid in self.campaigns for c in self.calls(cid)], start, end)
        results = {"total": len(calls), "calls": calls[offset : offset + limit]}
        return json_response({"status": 1, "results": results})


def _build(*, seed: int, secret_key: str | None = None, **options: Any) -> AICallCenterSimulator:
    return AICallCenterSimulator(seed=seed, secret_key=secret_key or derived_key(seed), **options)


def _banner(sim: AICallCenterSimulator, settings: Mapping[str, Any]) -> Banner:
    start, end = day(sim.t0), day(sim.t0 + sim.span)
    return Banner(
        title=f"AI Call Center simulator: 3 campaigns of {settings['calls_per_campaign']:,} "
        f"calls from {start} to {end} (seed {sim.seed})",
        fields=[
            ("base URL", sim.base_url),
            ("secret key", sim.secret_key),
            ("campaign", f"{sim.campaign_id} (running)"),
            ("campaign", f"{sim.otp_campaign_id} (running, voice OTP)"),
            ("campaign", f"{sim.stopped_campaign_id} (stopped)"),
        ],
        exports={
            "TELCALL_AICALLCENTER_BASE_URL": sim.base_url,
            "TELCALL_AICALLCENTER_SECRET_KEY": sim.secret_key,
        },
    )


SIMULATE = SimulateCli(
    options={
        "calls_per_campaign": SimOption(
            default=120, help="generated calls in each of the three campaigns", metavar="N"
        ),
        "error_status": SimOption(
            default=200,
            help="HTTP status of failure answers ({status: 0, ...})",
            kind="status",
            metavar="STATUS",
        ),
        "secret_key": SimOption(
            default=None,
            help="accept this secret key (default: one derived from the seed)",
            kind="text",
            metavar="KEY",
        ),
    },
    build=_build,
    banner=_banner,
    credentials=lambda sim: (
        f"secret_key={sim.secret_key} campaign_id={sim.campaign_id} "
        f"otp_campaign_id={sim.otp_campaign_id} stopped_campaign_id={sim.stopped_campaign_id}"
    ),
    # AI Call Center tokens never expire (the provider documents no lifetime).
    ignored_faults=frozenset({"insert_during_scroll", "insert_every", "token_expire_after"}),
)
