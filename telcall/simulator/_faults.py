"""Fault injection for the simulators: random faults from `Faults`, scripted one-shot faults.

Every random decision comes from one `random.Random(seed)` drawn in request arrival order, so the
same seed and the same request sequence reproduce the same faults. Each option is drawn on every
request (even when zero) so enabling one option does not shift the decisions of the others.
"""

from __future__ import annotations

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
    "FaultPlan",
    "Faults",
    "Reply",
    "ScriptedFault",
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
    - `drop_rate`: send the real status, headers and part of the body, then abort the
      connection: the client sees a payload/connection error.
    - `truncate_rate`: answer a 200 with the real JSON body cut in half and a Content-Length
      matching the cut body: the transport succeeds, decoding fails.
    - `html_502_rate`: answer 502 with nginx's HTML error page (`Content-Type: text/html`).
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
    drop_rate: float = 0.0
    truncate_rate: float = 0.0
    html_502_rate: float = 0.0
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


class Drop(msgspec.Struct, frozen=True):
    """Send the real headers and part of the real body, then abort the connection."""


class Truncate(msgspec.Struct, frozen=True):
    """Send the real 200 body cut in half, with a Content-Length matching the cut body."""


class Delay(msgspec.Struct, frozen=True):
    """Wait `seconds` before handling the request normally."""

    seconds: float


ScriptedFault = Reply | Drop | Truncate | Delay


class _Script(msgspec.Struct):
    fault: ScriptedFault
    remaining: int
    path: str | None


class FaultPlan:
    """Decides, per request, which fault (if any) to inject."""

    def __init__(self, faults: Faults, seed: int) -> None:
        """Seed the decisions."""
        self.faults = faults
        self._rng = random.Random(seed)
        self._scripts: list[_Script] = []
        self._window: deque[float] = deque()

    def script(
        self, fault: ScriptedFault | int, *, times: int = 1, path: str | None = None
    ) -> None:
        """Queue `fault` for the next `times` requests whose path starts with `path`.

        An int is shorthand for `Reply(status)`. Without `path` the fault hits the next
        non-auth requests; with one it hits whatever matches, auth endpoints included.
        """
        if isinstance(fault, int):
            fault = Reply(fault)
        self._scripts.append(_Script(fault, times, path))

    def decide(self, path: str, *, is_auth: bool) -> tuple[float, ScriptedFault | None]:
        """Return (seconds to wait, fault or None); scripted faults come before random ones."""
        for s in self._scripts:
            if (s.path is None and not is_auth) or (s.path is not None and path.startswith(s.path)):
                s.remaining -= 1
                if s.remaining <= 0:
                    self._scripts.remove(s)
                if isinstance(s.fault, Delay):
                    return s.fault.seconds, None
                return 0.0, s.fault
        if is_auth and not self.faults.include_auth:
            return 0.0, None
        return self.faults.latency, self._draw()

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
        return Reply(429, retry_after=max(1, math.ceil(self._window[0] + window - now)))
