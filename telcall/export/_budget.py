"""A tenant's request budget: requests in flight, and optionally requests per second.

Every request an export window sends for a page (and its count) passes the
job's gate. With one gate per tenant (one export job per tenant, or one per
tenant in a worker process: :mod:`._clients`), a tenant with a huge backlog
queues on its own gate and never takes another tenant's requests.

The rate cap is :class:`aiolimiter.AsyncLimiter` with room for one request
per ``1 / per_second`` seconds: no burst, so over *any* span of ``t``
seconds at most ``1 + per_second * t`` requests start, so a server that
allows ``B`` requests per ``W`` seconds is kept to when ``per_second * W < B``
(leave some room for network jitter). A bucket the size of one second's rate
would let twice the rate through in a second that starts with it full.
"""

from __future__ import annotations

import math
from types import TracebackType

import anyio
import msgspec
from aiolimiter import AsyncLimiter

from .._core.errors import ValidationError

__all__ = ("RequestBudget",)


class RequestBudget(msgspec.Struct, frozen=True, kw_only=True):
    """At most ``max_in_flight`` requests at once and ``per_second`` per second (``None``: no cap).

    A value, not a limiter: each job (each tenant in a worker process) builds
    its own gate from it with :meth:`gate`.
    """

    max_in_flight: int = 4
    per_second: float | None = None

    def __post_init__(self) -> None:
        """Refuse a bound that admits nothing or cannot be kept."""
        if isinstance(self.max_in_flight, bool) or self.max_in_flight < 1:
            raise ValidationError(f"max_in_flight must be >= 1, got {self.max_in_flight!r}")
        rate = self.per_second
        if rate is not None and not (math.isfinite(rate) and rate > 0):
            raise ValidationError(f"per_second must be a finite number > 0, got {rate!r}")

    def gate(self) -> Gate:
        """A new gate keeping this budget (one per tenant per process)."""
        return Gate(self)


class Gate:
    """The async context manager a request holds while it is sent: a slot, then a rate token."""

    __slots__ = ("_rate", "_slots", "budget")

    def __init__(self, budget: RequestBudget) -> None:
        self.budget = budget
        self._slots = anyio.CapacityLimiter(budget.max_in_flight)
        rate = budget.per_second
        self._rate = None if rate is None else AsyncLimiter(1, 1 / rate)

    async def __aenter__(self) -> None:
        await self._slots.acquire()
        if self._rate is not None:
            try:
                await self._rate.acquire()
            except BaseException:
                self._slots.release()
                raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._slots.release()
