"""Event-hook delivery for the TEL4VN simulator: simulated calls POSTed to the subscriptions.

`call_events` turns one simulated call into its hook payloads (ringing → answered → hangup →
cdr; an unanswered call has no answered event). Fields follow the seed's table: `duration` and
`billsec` on hangup, `duration`, `recording_url` and `status` on cdr (its talk time follows from
`time_answered`/`time_ended`), and every event carries the newer `application`, `ref_id` and
`time_*` fields. `EventDelivery` POSTs payloads to every stored subscription whose
`event_name` matches the payload's `state`, the way the provider does:

- The subscription's `callback_apikey` goes out as `Authorization: Bearer <key>` (the decision
  in the API digest; `DeliveryOptions.header`/`scheme` change it); no key, no header.
- A timeout (`timeout` seconds per attempt: the provider gives up and retries while the
  receiver may still be working), a connection error or a non-2xx answer is retried `retries`
  times, waiting `backoff`, then twice as long each time. Every POST carries
  `X-Telcall-Attempt: <n>`, the number its `DeliveryAttempt` records. A delivered event is
  sent again `extra_copies` more times with probability `duplicate_rate`, as a provider retry
  after a lost answer would be.
- A call's events go out one state at a time (to all matching subscriptions at once), in
  order, or in a shuffled order with `reorder`.
- Only loopback callback URLs (127.0.0.0/8, ::1, localhost) are called: anything else is logged,
  recorded as refused and skipped, so a test can never POST call data to the internet.
  Redirects are not followed for the same reason.

Every attempt is recorded as a `DeliveryAttempt` in `EventDelivery.log`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal
from urllib.parse import urlsplit

import aiohttp
import msgspec

from telcall._core.redaction import redact_url
from telcall.simulator._data import format_vn

__all__ = ("CallDirection", "DeliveryAttempt", "DeliveryOptions", "EventDelivery", "call_events")

logger = logging.getLogger("telcall.simulator")

CallDirection = Literal["inbound", "outbound"]

_REFUSED = "refused: not a loopback URL"
# Not a TEL4VN header: telcall's receiver reads it into DeliveryContext.attempt.
_ATTEMPT_HEADER = "X-Telcall-Attempt"


class DeliveryOptions(msgspec.Struct, frozen=True, kw_only=True):
    """How a simulator delivers event hooks.

    - `retries`: extra attempts after a failed one (timeout, connection error, non-2xx).
    - `timeout`: seconds one attempt may take.
    - `backoff`: seconds before the first retry; each later retry waits twice as long.
    - `duplicate_rate`: probability in [0, 1] that a delivered event is sent again.
    - `extra_copies`: how many more times a duplicated event is sent (each one attempt).
    - `reorder`: deliver each batch of events in a seeded shuffled order, never the given one.
    - `header`, `scheme`: the api key goes out as `<header>: <scheme> <callback_apikey>`;
      `scheme=None` sends the bare key.
    - `seed`: seed of the duplicate and reorder decisions (default: the simulator's seed).
    """

    retries: int = 3
    timeout: float = 2.0
    backoff: float = 0.05
    duplicate_rate: float = 0.0
    extra_copies: int = 1
    reorder: bool = False
    header: str = "Authorization"
    scheme: str | None = "Bearer"
    seed: int | None = None

    def __post_init__(self) -> None:
        """Refuse options that cannot mean anything."""
        if self.retries < 0:
            raise ValueError("retries must be >= 0")
        if self.timeout <= 0:
            raise ValueError("timeout must be positive")
        if self.backoff < 0:
            raise ValueError("backoff must be >= 0")
        if not 0.0 <= self.duplicate_rate <= 1.0:
            raise ValueError("duplicate_rate is a probability: between 0 and 1")
        if self.extra_copies < 1:
            raise ValueError("extra_copies must be >= 1")


class DeliveryAttempt(msgspec.Struct, frozen=True, kw_only=True):
    """One POST of one event to one callback URL, as the simulator's delivery log keeps it.

    `attempt` counts from 1 for each (URL, event); a refused non-loopback URL is logged once
    with attempt 0. `status` is the HTTP status, None when no answer came (`error` says why).
    `duplicate` marks a deliberate extra copy of an already delivered event.
    """

    url: str
    state: str
    call_id: str
    attempt: int
    status: int | None
    error: str = ""
    duplicate: bool = False

    @property
    def ok(self) -> bool:
        """Whether the receiver answered 2xx."""
        return self.status is not None and 200 <= self.status < 300


def call_events(
    *,
    new_id: Callable[[], str],
    call_id: str,
    direction: CallDirection,
    extensions: Sequence[str],
    phone: str,
    answered: bool,
    status: str | None,
    hotline: str,
    domain: str,
    started: int,
    ring_seconds: int,
    talk_seconds: int,
    application: str,
    ref_id: str,
) -> list[dict[str, Any]]:
    """The hook payloads of one call, in the order the PBX sends them.

    Inbound calls ring `extensions` in turn and the last one answers (when `answered`); each
    extension's ringing/answered/hangup carry that leg's own `call_id`, and the cdr carries
    `call_id`, the id of the whole flow. With one extension, every event carries `call_id`.
    `started` is a Unix time; times go out as naive Asia/Ho_Chi_Minh text like the CDRs.
    """
    if direction not in ("inbound", "outbound"):
        raise ValueError(f"direction must be 'inbound' or 'outbound', not {direction!r}")
    if not extensions:
        raise ValueError("at least one extension is required")
    if direction == "outbound" and len(extensions) > 1:
        raise ValueError("an outbound call comes from one extension")
    if ring_seconds < 0 or talk_seconds < 0:
        raise ValueError("ring_seconds and talk_seconds must be >= 0")
    events: list[dict[str, Any]] = []
    at = started
    answered_at: int | None = None
    one_leg = len(extensions) == 1
    sip_call_id = ""
    for n, ext in enumerate(extensions):
        sip_call_id = new_id()
        numbers = (ext, phone) if direction == "outbound" else (phone, ext)
        common = {
            "call_id": call_id if one_leg else new_id(),
            "sip_call_id": sip_call_id,
            "domain": domain,
            "direction": direction,
            "from_number": numbers[0],
            "to_number": numbers[1],
            "hotline": hotline,
        }
        # The newer fields go after the documented ones, as on the provider's pages.
        newer = {"application": application, "ref_id": ref_id, "time_started": format_vn(at)}
        events.append(
            {**common, "state": "ringing", **newer, "time_answered": "", "time_ended": ""}
        )
        leg_start, at = at, at + ring_seconds
        billsec = 0
        if answered and n == len(extensions) - 1:
            answered_at, billsec = at, talk_seconds
            newer["time_answered"] = format_vn(at)
            events.append({**common, "state": "answered", **newer, "time_ended": ""})
            at += talk_seconds
        else:
            newer["time_answered"] = ""
        newer["time_ended"] = format_vn(at)
        events.append(
            {**common, "state": "hangup", "duration": at - leg_start, "billsec": billsec, **newer}
        )
    last = events[-1]
    events.append(
        {
            "call_id": call_id,
            # A multi-extension flow has its own SIP dialog with the caller.
            "sip_call_id": sip_call_id if one_leg else new_id(),
            "domain": domain,
            "direction": direction,
            "from_number": last["from_number"],
            "to_number": last["to_number"],
            "hotline": hotline,
            "state": "cdr",
            "duration": at - started,
            "recording_url": f"http://recording.demo/{call_id}" if answered else "",
            "status": status or ("ANSWERED" if answered else "NO-ANSWERED"),
            "application": application,
            "ref_id": ref_id,
            "time_started": format_vn(started),
            "time_answered": "" if answered_at is None else format_vn(answered_at),
            "time_ended": format_vn(at),
        }
    )
    return events


def _is_loopback(url: str) -> bool:
    """Whether `url` is http(s) to 127.0.0.0/8, ::1 or localhost."""
    try:
        parts = urlsplit(url)
        # Reading .port rejects an out-of-range port here rather than deep inside aiohttp.
        host, _ = parts.hostname, parts.port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class EventDelivery:
    """POSTs hook payloads to matching subscriptions; owns its HTTP session and background tasks.

    `subscriptions` returns the stored subscriptions (dicts with `event_name`, `callback_url`
    and `callback_apikey`); it is read for every state, so a subscription made mid-call gets
    the call's later events. `start()` opens the session, `aclose()` cancels and awaits what
    is still being delivered, then closes it.
    """

    def __init__(
        self,
        options: DeliveryOptions,
        *,
        seed: int,
        subscriptions: Callable[[], Iterable[Mapping[str, Any]]],
    ) -> None:
        """Configure delivery; nothing is sent before `start()`."""
        self.options = options
        self.log: list[DeliveryAttempt] = []
        self.rng = random.Random(seed if options.seed is None else options.seed)
        self._subscriptions = subscriptions
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def new_id(self) -> str:
        """A seeded UUID for a call or leg, drawn apart from the simulator's own id stream."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    async def start(self) -> None:
        """Open the HTTP session deliveries go through."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.options.timeout)
            )

    async def aclose(self) -> None:
        """Cancel the background deliveries, wait for them to end, close the session."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    def spawn(self, payloads: Sequence[Mapping[str, Any]]) -> None:
        """Deliver `payloads` in a background task that `wait()` and `aclose()` account for."""
        task = asyncio.get_running_loop().create_task(self.emit(payloads))
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    async def wait(self) -> None:
        """Return once no background delivery is left, including ones started meanwhile."""
        while self._tasks:
            await asyncio.wait(list(self._tasks))

    async def emit(self, payloads: Sequence[Mapping[str, Any]]) -> None:
        """Deliver `payloads`, one state after the other, retries included."""
        session = self._session
        if session is None:
            raise RuntimeError("the simulator is not running")
        order = list(payloads)
        if self.options.reorder and len(order) > 1:
            shuffled = order.copy()
            self.rng.shuffle(shuffled)
            order = shuffled if shuffled != order else order[::-1]
        for payload in order:
            state = str(payload.get("state", ""))
            targets = [s for s in self._subscriptions() if s.get("event_name") == state]
            body = msgspec.json.encode(payload)
            call_id = str(payload.get("call_id", ""))
            async with asyncio.TaskGroup() as group:
                for target in targets:
                    # Drawn here, in subscription order, so the seed decides regardless of timing.
                    copies = (
                        self.options.extra_copies
                        if self.rng.random() < self.options.duplicate_rate
                        else 0
                    )
                    group.create_task(self._deliver(session, target, body, state, call_id, copies))

    async def _deliver(
        self,
        session: aiohttp.ClientSession,
        target: Mapping[str, Any],
        body: bytes,
        state: str,
        call_id: str,
        copies: int,
    ) -> None:
        url = str(target.get("callback_url", ""))
        if not _is_loopback(url):
            logger.warning(
                "not delivering the %s event to %s: the simulator only calls loopback URLs",
                state,
                redact_url(url),
            )
            self.log.append(
                DeliveryAttempt(
                    url=url, state=state, call_id=call_id, attempt=0, status=None, error=_REFUSED
                )
            )
            return
        headers = {"Content-Type": "application/json"}
        apikey = str(target.get("callback_apikey") or "")
        if apikey:
            scheme = self.options.scheme
            headers[self.options.header] = f"{scheme} {apikey}" if scheme else apikey
        template = DeliveryAttempt(url=url, state=state, call_id=call_id, attempt=1, status=None)
        for attempt in range(1, self.options.retries + 2):
            if attempt > 1:
                await asyncio.sleep(self.options.backoff * 2 ** (attempt - 2))
            if await self._post(session, template, body, headers, attempt=attempt):
                break
        else:
            logger.warning(
                "gave up delivering the %s event of call %s to %s after %d attempts",
                state,
                call_id,
                redact_url(url),
                self.options.retries + 1,
            )
            return
        for _ in range(copies):
            await self._post(session, template, body, headers, duplicate=True)

    async def _post(
        self,
        session: aiohttp.ClientSession,
        template: DeliveryAttempt,
        body: bytes,
        headers: dict[str, str],
        *,
        attempt: int = 1,
        duplicate: bool = False,
    ) -> bool:
        """POST once, log the attempt; return whether the receiver answered 2xx."""
        status: int | None = None
        error = ""
        try:
            async with session.post(
                template.url,
                data=body,
                headers={**headers, _ATTEMPT_HEADER: str(attempt)},
                allow_redirects=False,
            ) as response:
                await response.read()
                status = response.status
        except TimeoutError:
            error = "timeout"
        except aiohttp.ClientError as exc:
            error = f"{type(exc).__name__}: {exc}"
        record = msgspec.structs.replace(
            template, attempt=attempt, status=status, error=error, duplicate=duplicate
        )
        self.log.append(record)
        return record.ok

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            logger.error("event delivery failed", exc_info=exc)
