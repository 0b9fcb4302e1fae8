"""Request, response and retry hooks, and the read-only redacted views they receive.

A hook observes; it cannot change a request. It gets a frozen view whose URL, headers and
reason were scrubbed with the client's redactor (every secret the client knows, plus
secret-named headers and query values), so a hook can never see a credential.

Hooks may be plain functions or coroutine functions. On an async client they run in the
task that makes the call; on a sync client they run on telcall's bridge thread (keep them
quick, and do not call the sync client from inside one). An exception from a hook is logged
on the ``telcall`` logger and does not fail the call.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import MappingProxyType
from typing import TypeVar

import msgspec

from .errors import ValidationError
from .redaction import REDACTED, Redactor, is_secret_key

__all__ = (
    "Hook",
    "Hooks",
    "RequestView",
    "ResponseView",
    "RetryView",
    "check_hooks",
    "redacted_headers",
    "run_hooks",
)

logger = logging.getLogger("telcall")

V = TypeVar("V")


def redacted_headers(headers: Mapping[str, str], redactor: Redactor) -> Mapping[str, str]:
    """A read-only copy: secret-named headers as ``***``, known secrets scrubbed from the rest."""
    return MappingProxyType(
        {
            name: REDACTED if is_secret_key(name) else redactor.text(value)
            for name, value in headers.items()
        }
    )


class RequestView(msgspec.Struct, frozen=True, kw_only=True):
    """An attempt about to be sent."""

    provider: str
    #: ``"cdrs.list"``: the resource method the request belongs to (None outside one).
    operation: str | None
    method: str
    #: The full URL, credentials redacted.
    url: str
    headers: Mapping[str, str]
    #: 1 for the first attempt, 2 for the first retry, ...
    attempt: int


class ResponseView(msgspec.Struct, frozen=True, kw_only=True):
    """An attempt that got an HTTP response (any status)."""

    provider: str
    operation: str | None
    method: str
    url: str
    status: int
    headers: Mapping[str, str]
    attempt: int
    #: Seconds from sending the request to having read the whole body.
    elapsed: float
    request_id: str | None


class RetryView(msgspec.Struct, frozen=True, kw_only=True):
    """A failed attempt that will be retried after ``wait`` seconds."""

    provider: str
    operation: str | None
    method: str
    url: str
    #: The attempt that failed; the next one is ``attempt + 1``.
    attempt: int
    wait: float
    #: ``"HTTP 503"``, ``"timeout"``, ``"connect"``, ``"connection"``.
    reason: str
    #: The failure, redacted: the status line or the transport error's message.
    detail: str
    status: int | None


Hook = Callable[[V], Awaitable[None] | None]


class Hooks:
    """Callbacks for ``hooks=`` on a client constructor or :meth:`with_options`.

    ``Hooks(on_request=[log_request], on_retry=[count_retry])``; each list runs in order.
    """

    __slots__ = ("on_request", "on_response", "on_retry")

    def __init__(
        self,
        *,
        on_request: Sequence[Hook[RequestView]] = (),
        on_response: Sequence[Hook[ResponseView]] = (),
        on_retry: Sequence[Hook[RetryView]] = (),
    ) -> None:
        self.on_request = tuple(on_request)
        self.on_response = tuple(on_response)
        self.on_retry = tuple(on_retry)

    def __bool__(self) -> bool:
        return bool(self.on_request or self.on_response or self.on_retry)

    def __repr__(self) -> str:
        return (
            f"Hooks(on_request=<{len(self.on_request)}>, on_response=<{len(self.on_response)}>, "
            f"on_retry=<{len(self.on_retry)}>)"
        )

    def merged(self, other: Hooks) -> Hooks:
        """These hooks followed by ``other``'s."""
        return Hooks(
            on_request=self.on_request + other.on_request,
            on_response=self.on_response + other.on_response,
            on_retry=self.on_retry + other.on_retry,
        )


def check_hooks(value: object) -> Hooks | None:
    """``value`` if it is a :class:`Hooks` (or None); anything else is a ValidationError."""
    if value is not None and not isinstance(value, Hooks):
        raise ValidationError(f"hooks must be a telcall Hooks, got {type(value).__name__}")
    return value


async def run_hooks(hooks: Sequence[Hook[V]], view: V) -> None:
    """Call each hook with ``view``, awaiting coroutine results; log and swallow failures."""
    for hook in hooks:
        try:
            result = hook(view)
            if inspect.isawaitable(result):
                await result
        except Exception:
            logger.warning("a telcall hook raised; the call goes on", exc_info=True)
