"""Fault injection for the simulators: random faults from `Faults`, scripted one-shot faults.

Every random decision comes from `random.Random(seed)` generators drawn in request arrival order,
so the same seed and the same request sequence reproduce the same faults. Each option is drawn on
every request (even when zero) so enabling one option does not shift the decisions of the others.
The options added after the first release (`latency_jitter`, `stall_rate`, `slow_body_rate`) draw
from a second generator, so they leave the sequences of the older options as they were.

The scripted faults double as the test suite's hostile server: a simulator scripted with `Reply`
(fail bodies with HTTP 200), `Echo` (a proxy page quoting the request), `Redirect` (loops, other
origins), `Freeze` (a cursor that never advances), `Endless`, `SlowBody` and `Stall` behaves the way
real providers and proxies do on a bad day, on every endpoint.
"""

from __future__ import annotations

import itertools
import math
import random
import time
from collections import deque
from http import HTTPStatus
from typing import Any

import msgspec

__all__ = (
    "HTML_502_BODY",
    "Delay",
    "Drop",
    "Echo",
    "Endless",
    "FaultPlan",
    "Faults",
    "Freeze",
    "Redirect",
    "Reply",
    "ScriptedFault",
    "SlowBody",
    "Stall",
    "Truncate",
)

HTML_502_BODY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


class Faults(msgspec.Struct, frozen=True, kw_only=True):
    """Random faults a simulator injects; every rate is a probability per request in [0, 1].

    Faults hit authenticated endpoints only, unless `include_auth` is set. Options:

    - `error_rate`: answer with a status drawn from `error_statuses`, the body either a JSON
      error (`{"code", "content", "error"}`) or plain text, as gateways and the API both do.
    - `error_statuses`: the statuses `error_rate` draws from (default 500, 502, 503).
    - `rate_limit_rate`: answer 429 with `Retry-After: <retry_after>`.
    - `rate_limit_burst`: when > 0, at most this many requests per `rate_limit_window` seconds;
      the excess is answered 429 with `Retry-After` = seconds until the window frees up.
    - `rate_limit_window`: the window of `rate_limit_burst`, in seconds.
    - `retry_after`: the `Retry-After` value (seconds) of `rate_limit_rate` answers.
    - `latency`: seconds added before every answer.
    - `latency_jitter`: up to this many more seconds, drawn uniformly per request.
    - `drop_rate`: send the real status, headers and part of the body, then abort the
      connection: the client sees a payload/connection error.
    - `truncate_rate`: answer a 200 with the real JSON body cut in half and a Content-Length
      matching the cut body: the transport succeeds, decoding fails.
    - `html_502_rate`: answer 502 with nginx's HTML error page (`Content-Type: text/html`).
    - `stall_rate`: read the request and never answer (a host that hangs; the client times out).
    - `slow_body_rate`: send the real status and headers at once, then the body 64 bytes at a
      time every `slow_body_interval` seconds.
    - `slow_body_interval`: the pause between the chunks of `slow_body_rate` answers, in seconds.
    - `token_expire_after`: a token becomes invalid (401) after this many authenticated requests.
    - `insert_during_scroll`: insert this many new CDRs after every `insert_every` CDR list
      pages served (scroll or pagination), at seeded times inside the simulated period.
    - `insert_every`: the page period of `insert_during_scroll`.
    - `include_auth`: also inject random faults into the auth endpoints.
    """

    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502, 503)
    rate_limit_rate: float = 0.0
    rate_limit_burst: int = 0
    rate_limit_window: float = 1.0
    retry_after: int = 1
    latency: float = 0.0
    latency_jitter: float = 0.0
    drop_rate: float = 0.0
    truncate_rate: float = 0.0
    html_502_rate: float = 0.0
    stall_rate: float = 0.0
    slow_body_rate: float = 0.0
    slow_body_interval: float = 0.5
    token_expire_after: int | None = None
    insert_during_scroll: int = 0
    insert_every: int = 1
    include_auth: bool = False


class Reply(msgspec.Struct, frozen=True):
    """A canned answer: `body` None means the standard JSON error body for `status`."""

    status: int
    body: Any = None
    content_type: str = "application/json"
    retry_after: float | None = None
    #: Extra response headers, e.g. ``{"Content-Encoding": "gzip"}`` for a compressed body.
    headers: dict[str, str] | None = None


class Drop(msgspec.Struct, frozen=True):
    """Send the real headers and part of the real body, then abort the connection."""


class Truncate(msgspec.Struct, frozen=True):
    """Send the real 200 body cut in half, with a Content-Length matching the cut body."""


class Delay(msgspec.Struct, frozen=True):
    """Wait `seconds` before handling the request normally."""

    seconds: float


class Stall(msgspec.Struct, frozen=True):
    """Read the request and never answer, until the client gives up or the simulator stops."""


class SlowBody(msgspec.Struct, frozen=True):
    """Send the real status and headers at once, then the body `chunk` bytes every `interval` s."""

    chunk: int = 64
    interval: float = 0.5


class Endless(msgspec.Struct, frozen=True):
    """Answer `status` with a chunked body that repeats `chunk` until the client hangs up.

    The default starts like a CDR page, so a client cannot tell it from a big one until it ends.
    """

    chunk: bytes = b'{"id": "x", "status": "ANSWERED"}, '
    prefix: bytes = b'{"data": ['
    status: int = 200
    content_type: str = "application/json"


class Redirect(msgspec.Struct, frozen=True):
    """Answer `status` with `Location: location`; a relative location (the default) loops."""

    location: str = ""
    status: int = 307


class Echo(msgspec.Struct, frozen=True):
    """Answer like a misconfigured proxy: an HTML page quoting the request line, query, headers
    and body (credentials included, as such pages do)."""

    status: int = 200


class Freeze(msgspec.Struct, frozen=True):
    """Answer with the first matching request's real answer, again and again.

    A listing scripted with it never advances: the same `scroll_id` with the same records, the
    same OMICall page with `has_next: true`, offsets the server ignores.
    """


ScriptedFault = (
    Reply | Drop | Truncate | Delay | Stall | SlowBody | Endless | Redirect | Echo | Freeze
)


class _Script(msgspec.Struct):
    fault: ScriptedFault
    remaining: int
    path: str | None
    key: int


#: Seeds the generator of the options added later, apart from the original one.
_LATER_OPTIONS_SALT = 0x5EED


class FaultPlan:
    """Decides, per request, which fault (if any) to inject."""

    def __init__(self, faults: Faults, seed: int) -> None:
        """Seed the decisions."""
        self.faults = faults
        self._rng = random.Random(seed)
        self._later_rng = random.Random(seed ^ _LATER_OPTIONS_SALT)
        self._scripts: list[_Script] = []
        self._keys = itertools.count(1)
        self._window: deque[float] = deque()
        #: How many requests `rate_limit_burst` refused so far (answered 429).
        self.rate_limited = 0
        # Freeze: the first real answer per script, replayed for the script's other requests.
        self.frozen: dict[int, tuple[int, bytes, str]] = {}

    def script(
        self, fault: ScriptedFault | int, *, times: int = 1, path: str | None = None
    ) -> None:
        """Queue `fault` for the next `times` requests whose path starts with `path`.

        An int is shorthand for `Reply(status)`. Without `path` the fault hits the next
        non-auth requests; with one it hits whatever matches, auth endpoints included.
        """
        if isinstance(fault, int):
            fault = Reply(fault)
        self._scripts.append(_Script(fault, times, path, next(self._keys)))

    def decide(self, path: str, *, is_auth: bool) -> tuple[float, ScriptedFault | None, int]:
        """Return (seconds to wait, fault or None, the script's key for `frozen`).

        Scripted faults come before random ones.
        """
        for s in self._scripts:
            if (s.path is None and not is_auth) or (s.path is not None and path.startswith(s.path)):
                s.remaining -= 1
                if s.remaining <= 0:
                    self._scripts.remove(s)
                if isinstance(s.fault, Delay):
                    return s.fault.seconds, None, 0
                return 0.0, s.fault, s.key
        if is_auth and not self.faults.include_auth:
            return 0.0, None, 0
        f = self.faults
        r_jitter, r_stall, r_slow = (self._later_rng.random() for _ in range(3))
        delay = f.latency + r_jitter * f.latency_jitter
        fault = self._draw()
        if fault is None:
            if r_stall < f.stall_rate:
                fault = Stall()
            elif r_slow < f.slow_body_rate:
                fault = SlowBody(interval=f.slow_body_interval)
        return delay, fault, 0

    def _draw(self) -> ScriptedFault | None:
        f, rng = self.faults, self._rng
        # Draw every option unconditionally so decisions stay aligned across configurations.
        r_limit, r_error, r_html, r_drop, r_trunc, r_plain = (rng.random() for _ in range(6))
        status = rng.choice(f.error_statuses) if f.error_statuses else 500
        limited = self._bucket() if f.rate_limit_burst > 0 else None
        if limited is not None:
            return limited
        if r_limit < f.rate_limit_rate:
            return Reply(429, retry_after=f.retry_after)
        if r_error < f.error_rate:
            if r_plain < 0.5:
                return Reply(status, HTTPStatus(status).phrase, "text/plain")
            return Reply(status)
        if r_html < f.html_502_rate:
            return Reply(502, HTML_502_BODY, "text/html")
        if r_drop < f.drop_rate:
            return Drop()
        if r_trunc < f.truncate_rate:
            return Truncate()
        return None

    def _bucket(self) -> Reply | None:
        now = time.monotonic()
        window = self.faults.rate_limit_window
        while self._window and self._window[0] <= now - window:
            self._window.popleft()
        if len(self._window) < self.faults.rate_limit_burst:
            self._window.append(now)
            return None
        self.rate_limited += 1
        return Reply(429, retry_after=max(1, math.ceil(self._window[0] + window - now)))
