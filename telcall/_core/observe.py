"""Where a call is observed: its operation, its hooks, its spans and metrics.

Every public method of a resource is wrapped (:func:`instrument_resource`) so that the
request path knows which *operation* it serves (``cdrs.list``) and a listing is one
operation however many pages it fetches. The wrapper costs a context-variable set and reset;
spans and metrics are made only when an OpenTelemetry SDK is configured.

:class:`Observer` is made per request only when something listens (hooks, a tracer, a
meter); the transport calls it around each attempt and before each retry.
"""

from __future__ import annotations

import functools
import inspect
import re
import typing
from collections.abc import AsyncGenerator, Callable, Coroutine
from contextvars import ContextVar
from functools import cached_property
from typing import TYPE_CHECKING, Any

from . import otel
from .errors import ConnectError, TelcallError, TransportTimeout, request_id
from .hooks import (
    Hooks,
    RequestView,
    ResponseView,
    RetryView,
    redacted_headers,
    run_hooks,
)
from .options import Extras, take_extras
from .pagination import Page, iterate_items, page_source
from .redaction import Redactor

if TYPE_CHECKING:
    from opentelemetry.trace import Span

    from .transport import Response, _Failed, _Request

__all__ = ("Observer", "Operation", "current_operation", "failure_reason", "instrument_resource")


class Operation:
    """One logical call of a resource method (a whole listing for ``pages``/``iterate``)."""

    __slots__ = ("extras", "listing", "name", "pages", "provider", "resource", "span")

    def __init__(
        self,
        provider: str,
        resource: str,
        method: str,
        *,
        listing: bool,
        extras: Extras | None = None,
    ) -> None:
        self.provider = provider
        self.resource = resource
        #: ``cdrs.list``
        self.name = f"{resource}.{method}"
        self.listing = listing
        self.pages = 0
        self.span: Span | None = None
        #: The call's own ``extra_headers``/``extra_query``/``extra_body``, checked.
        self.extras = extras

    @property
    def span_name(self) -> str:
        """``telcall.tel4vn.cdrs.list``."""
        return f"telcall.{self.provider}.{self.name}"

    def attributes(self) -> dict[str, str]:
        """Attributes every span and metric of this operation carries."""
        return {
            "telcall.provider": self.provider,
            "telcall.resource": self.resource,
            "telcall.operation": self.name,
        }


_current: ContextVar[Operation | None] = ContextVar("telcall_operation", default=None)


def current_operation() -> Operation | None:
    """The operation the running code serves, if any."""
    return _current.get()


# -- wrapping resource methods --------------------------------------------------------------

_paths: dict[tuple[type, type], str] = {}


def _resource_path(client: object, resource: type) -> str:
    """``campaigns.calls``: the attribute path from the client to ``resource`` (cached)."""
    key = (type(client), resource)
    path = _paths.get(key)
    if path is None:
        _walk(type(client), type(client), "", set())
        path = _paths.setdefault(key, _snake(resource.__name__.removeprefix("Async")))
    return path


def _walk(client: type, cls: type, prefix: str, seen: set[type]) -> None:
    seen.add(cls)
    for name in dir(cls):
        attr = inspect.getattr_static(cls, name, None)
        if name.startswith("_") or not isinstance(attr, cached_property):
            continue
        try:
            target = typing.get_type_hints(attr.func).get("return")
        except Exception:  # an annotation only importable under TYPE_CHECKING
            continue
        if isinstance(target, type) and target not in seen:
            _paths.setdefault((client, target), prefix + name)
            _walk(client, target, f"{prefix}{name}.", seen)


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def instrument_resource(cls: type) -> None:
    """Wrap the public methods ``cls`` defines so each call runs as an :class:`Operation`.

    The wrapper takes the call's ``extra_*`` keywords (:class:`~.options.RequestExtras`) off
    before the method runs: they are checked here (before any I/O) and ride on the operation.
    """
    for name, fn in list(vars(cls).items()):
        if name.startswith("_") or not inspect.isfunction(fn) or hasattr(fn, "_telcall_method"):
            continue
        setattr(cls, name, _wrap(fn, name))


def _wrap(fn: Callable[..., Any], method: str) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            extras = take_extras(kwargs) if kwargs else None
            return await _call(self, method, fn(self, *args, **kwargs), extras)

        wrapper: Any = call
    else:

        @functools.wraps(fn)
        def plain(self: Any, *args: Any, **kwargs: Any) -> Any:
            extras = take_extras(kwargs) if kwargs else None
            result = fn(self, *args, **kwargs)
            if isinstance(result, Coroutine):
                return _call(self, method, result, extras)
            if isinstance(result, AsyncGenerator):
                pages = page_source(result)
                if pages is not None:
                    # Observe the pages, and keep them reachable for whoever moves whole pages
                    # (the sync facade: one thread hop per page).
                    return iterate_items(_listing(self, method, pages, extras))
                return _listing(self, method, result, extras)
            return result

        wrapper = plain
    wrapper._telcall_method = method
    return typing.cast(Callable[..., Any], wrapper)


def _operation(resource: Any, method: str, *, listing: bool, extras: Extras | None) -> Operation:
    client = resource._client
    return Operation(
        client.provider,
        _resource_path(client, type(resource)),
        method,
        listing=listing,
        extras=extras,
    )


def _records(value: Any) -> int:
    if isinstance(value, Page):
        return len(value.items)
    if isinstance(value, list):
        return len(value)
    return 1


def _error_type(exc: BaseException) -> tuple[str, str | None]:
    # A telcall error's text was scrubbed on its way out of the request path; others may not be.
    return type(exc).__qualname__, str(exc) if isinstance(exc, TelcallError) else None


async def _call(
    resource: Any, method: str, coro: Coroutine[Any, Any, Any], extras: Extras | None
) -> Any:
    if _current.get() is not None:
        # A method calling another (``ensure`` → ``list``) stays one operation.
        return await coro
    op = _operation(resource, method, listing=False, extras=extras)
    reset = _current.set(op)
    tracer = otel.tracer()
    token = None
    if tracer is not None:
        op.span = otel.start_span(tracer, op.span_name, None, op.attributes())
        token = otel.use_span(op.span)
    try:
        result = await coro
    except BaseException as exc:
        if op.span is not None:
            otel.end_span(op.span, *_error_type(exc))
        raise
    finally:
        if token is not None:
            otel.detach(token)
        _current.reset(reset)
    if op.span is not None:
        otel.end_span(op.span)
    meters = otel.instruments()
    if meters is not None:
        meters.records.add(_records(result), op.attributes())
    return result


async def _listing(
    resource: Any, method: str, inner: AsyncGenerator[Any, None], extras: Extras | None
) -> Any:
    try:
        if _current.get() is not None:
            # ``iterate`` over ``pages``: the outer listing is the operation.
            async for value in inner:
                yield value
            return
        op = _operation(resource, method, listing=True, extras=extras)
        tracer = otel.tracer()
        if tracer is not None:
            op.span = otel.start_span(tracer, op.span_name, None, op.attributes())
        failure: BaseException | None = None
        try:
            while True:
                reset = _current.set(op)
                token = None if op.span is None else otel.use_span(op.span)
                try:
                    value = await inner.__anext__()
                except StopAsyncIteration:
                    break
                finally:
                    if token is not None:
                        otel.detach(token)
                    _current.reset(reset)
                meters = otel.instruments()
                if meters is not None:
                    meters.records.add(_records(value), op.attributes())
                yield value
        except Exception as exc:
            failure = exc
            raise
        finally:
            if op.span is not None:
                if op.pages:
                    op.span.set_attribute("telcall.pages", op.pages)
                otel.end_span(op.span, *(_error_type(failure) if failure else (None, None)))
    finally:
        # ``async for`` does not close the inner generator when we are closed early.
        await inner.aclose()


# -- one request's observer ------------------------------------------------------------------


def failure_reason(outcome: Response | _Failed) -> tuple[str, int | None, str]:
    """``(reason, status, detail)`` of an attempt that did not succeed; detail not yet redacted."""
    status = getattr(outcome, "status", None)
    if status is not None:
        return f"HTTP {status}", status, f"HTTP {status}"
    error = outcome.error  # type: ignore[union-attr]
    detail = getattr(error, "message", None) or str(error)
    if isinstance(error, TransportTimeout):
        return "timeout", None, detail
    if isinstance(error, ConnectError):
        return "connect", None, detail
    return "connection", None, detail


class Observer:
    """Reports one request's attempts and retries to hooks, spans and metrics."""

    __slots__ = (
        "_attached",
        "_attempt_span",
        "_meters",
        "_op",
        "_parent",
        "_tracer",
        "hooks",
        "page_span",
        "propagate",
        "provider",
        "redactor",
    )

    def __init__(
        self,
        provider: str,
        op: Operation | None,
        hooks: Hooks,
        redactor: Redactor,
        *,
        propagate: bool,
        page: bool,
    ) -> None:
        self.provider = provider
        self.hooks = hooks
        self.redactor = redactor
        self.propagate = propagate
        self._op = op
        self._tracer = otel.tracer()
        self._meters = otel.instruments()
        self._attempt_span: Span | None = None
        self.page_span: Span | None = None
        self._attached: object = None
        # Attempts and retry events go under the current span: the operation's, a page's.
        self._parent = None if self._tracer is None else otel.current_span()
        if self._tracer is not None and op is not None and op.listing and page:
            op.pages += 1
            self.page_span = otel.start_span(
                self._tracer,
                f"{op.span_name} page",
                op.span,
                {**op.attributes(), "telcall.page": op.pages},
            )
            self._parent = self.page_span
            # Current for the request, so a token fetch inside it lands under the page too.
            self._attached = otel.use_span(self.page_span)

    @staticmethod
    def wanted(hooks: Hooks) -> bool:
        """Whether a request needs an observer at all."""
        return bool(hooks) or otel.tracer() is not None or otel.instruments() is not None

    def _base(self) -> dict[str, Any]:
        attributes: dict[str, Any] = {"telcall.provider": self.provider}
        if self._op is not None:
            attributes.update(self._op.attributes())
        return attributes

    @property
    def _operation(self) -> str | None:
        return None if self._op is None else self._op.name

    async def before(self, request: _Request, attempt: int) -> None:
        """An attempt is about to be sent."""
        if self._tracer is not None:
            from urllib.parse import urlsplit

            url = str(request.shown)
            parts = urlsplit(url)
            attributes = {
                **self._base(),
                "http.request.method": request.method,
                "url.full": url,
                "server.address": parts.hostname or "",
                "server.port": parts.port or (443 if parts.scheme == "https" else 80),
            }
            if attempt > 1:
                attributes["http.request.resend_count"] = attempt - 1
            span = otel.start_span(
                self._tracer, request.method, self._parent, attributes, client=True
            )
            self._attempt_span = span
            if self.propagate:
                otel.inject_traceparent(span, request.headers)
        if self.hooks.on_request:
            await run_hooks(
                self.hooks.on_request,
                RequestView(
                    provider=self.provider,
                    operation=self._operation,
                    method=request.method,
                    url=str(request.shown),
                    headers=redacted_headers(request.headers, self.redactor),
                    attempt=attempt,
                ),
            )

    async def after(
        self, request: _Request, attempt: int, outcome: Response | _Failed, elapsed: float
    ) -> None:
        """An attempt ended with a response (any status) or a failure."""
        status: int | None = getattr(outcome, "status", None)
        error_type = None
        if status is None:
            error_type = type(outcome.error).__qualname__  # type: ignore[union-attr]
        elif status >= 400:
            error_type = str(status)
        span, self._attempt_span = self._attempt_span, None
        if span is not None:
            if status is not None:
                span.set_attribute("http.response.status_code", status)
            otel.end_span(span, error_type)
        if self._meters is not None:
            attributes = {**self._base(), "http.request.method": request.method}
            if status is not None:
                attributes["http.response.status_code"] = status
            if error_type is not None:
                attributes["error.type"] = error_type
            self._meters.requests.add(1, attributes)
            self._meters.duration.record(elapsed, attributes)
            if status == 429:
                self._meters.rate_limited.add(1, attributes)
        if status is not None and self.hooks.on_response:
            response: Response = outcome  # type: ignore[assignment]
            await run_hooks(
                self.hooks.on_response,
                ResponseView(
                    provider=self.provider,
                    operation=self._operation,
                    method=request.method,
                    url=str(request.shown),
                    status=status,
                    headers=redacted_headers(response.headers, self.redactor),
                    attempt=attempt,
                    elapsed=elapsed,
                    request_id=request_id(response.headers),
                ),
            )

    async def retry(
        self, request: _Request, attempt: int, wait: float, outcome: Response | _Failed
    ) -> None:
        """The attempt failed and another follows in ``wait`` seconds."""
        reason, status, detail = failure_reason(outcome)
        if self._parent is not None:
            otel.add_retry_event(self._parent, attempt, wait, reason)
        if self._meters is not None:
            self._meters.retries.add(1, {**self._base(), "telcall.retry.reason": reason})
        if self.hooks.on_retry:
            await run_hooks(
                self.hooks.on_retry,
                RetryView(
                    provider=self.provider,
                    operation=self._operation,
                    method=request.method,
                    url=str(request.shown),
                    attempt=attempt,
                    wait=wait,
                    reason=reason,
                    detail=self.redactor.text(detail),
                    status=status,
                ),
            )

    def finish(self, error: BaseException | None) -> None:
        """The request is over (all attempts, renewal and decoding)."""
        if self._attached is not None:
            otel.detach(self._attached)
        if self.page_span is not None:
            otel.end_span(self.page_span, *(_error_type(error) if error else (None, None)))
