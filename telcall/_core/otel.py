"""OpenTelemetry spans and metrics, behind the ``telcall[otel]`` extra.

Only ``opentelemetry-api`` is imported, and only its global providers are asked: with the
package missing, or installed with no SDK configured (the API's proxy providers), every
check here is one attribute read and telcall records nothing.

Span tree of one call: ``telcall.<provider>.<resource>.<method>`` (INTERNAL), with a CLIENT
span per HTTP attempt (named by the HTTP method, semantic-convention attributes, URL
redacted) and a ``telcall.retry`` event per retry (wait and reason). A listing
(``pages``/``iterate``) is one such span with a ``... page`` child per page request. No
``traceparent`` goes to providers unless ``with_options(propagate_trace=True)``.

Metrics (meter ``telcall``): ``telcall.client.requests`` and ``http.client.request.duration``
per attempt by provider/resource/status, ``telcall.client.retries`` by reason,
``telcall.client.rate_limited`` (429s), ``telcall.client.tokens_fetched``,
``telcall.client.records_decoded``; for exports, ``telcall.export.records`` (written, counted
per page, by provider and format) and ``telcall.export.windows`` (finished, by outcome:
``done``, ``skipped``, ``busy``, ``failed``), so an engine's workers can be watched.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .._version import __version__

if TYPE_CHECKING:
    from opentelemetry.metrics import Counter, Histogram, Meter, MeterProvider
    from opentelemetry.trace import Span, Tracer, TracerProvider

__all__ = (
    "Instruments",
    "add_retry_event",
    "current_span",
    "detach",
    "end_span",
    "inject_traceparent",
    "instruments",
    "span",
    "start_span",
    "tracer",
    "use_span",
)

try:
    from opentelemetry import (
        context as _context,
        metrics as _metrics,
        propagate as _propagate,
        trace as _trace,
    )

    # The API's stand-ins and globals: private, but reading the global is ~50x cheaper
    # than get_*_provider(), which looks at os.environ on every call.
    from opentelemetry.metrics import _internal as _metrics_globals
    from opentelemetry.metrics._internal import _ProxyMeterProvider as _ProxyMeters

    # A provider named by OTEL_PYTHON_{TRACER,METER}_PROVIDER is set on first ask: ask now.
    _trace.get_tracer_provider()
    _metrics.get_meter_provider()
    from opentelemetry.trace import ProxyTracerProvider as _ProxyTracers
except ImportError:  # the extra is not installed
    _trace = None  # type: ignore[assignment]
    _metrics = None  # type: ignore[assignment]

_SCOPE = "telcall"
# Keyed by the provider itself, weakly: an id() can be reused by a new provider once the old
# one is gone, and its cached tracer would then feed a shut-down provider.
_tracers: weakref.WeakKeyDictionary[Any, Tracer] = weakref.WeakKeyDictionary()
_instruments: weakref.WeakKeyDictionary[Any, Instruments] = weakref.WeakKeyDictionary()


def tracer() -> Tracer | None:
    """telcall's tracer, or None when no SDK tracer provider is configured."""
    if _trace is None or _trace._TRACER_PROVIDER is None:
        return None
    provider: TracerProvider = _trace.get_tracer_provider()
    if isinstance(provider, _ProxyTracers | _trace.NoOpTracerProvider):
        return None
    found = _tracers.get(provider)
    if found is None:
        found = _tracers[provider] = provider.get_tracer(_SCOPE, __version__)
    return found


class Instruments:
    """telcall's metric instruments on one meter provider."""

    __slots__ = (
        "duration",
        "export_records",
        "export_windows",
        "rate_limited",
        "records",
        "requests",
        "retries",
        "tokens",
    )

    def __init__(self, meter: Meter) -> None:
        self.requests: Counter = meter.create_counter(
            "telcall.client.requests", unit="{request}", description="HTTP attempts sent"
        )
        self.duration: Histogram = meter.create_histogram(
            "http.client.request.duration", unit="s", description="Duration of HTTP attempts"
        )
        self.retries: Counter = meter.create_counter(
            "telcall.client.retries", unit="{retry}", description="Retries, by reason"
        )
        self.rate_limited: Counter = meter.create_counter(
            "telcall.client.rate_limited", unit="{response}", description="HTTP 429 answers"
        )
        self.tokens: Counter = meter.create_counter(
            "telcall.client.tokens_fetched", unit="{token}", description="Access tokens fetched"
        )
        self.records: Counter = meter.create_counter(
            "telcall.client.records_decoded", unit="{record}", description="Records decoded"
        )
        self.export_records: Counter = meter.create_counter(
            "telcall.export.records", unit="{record}", description="CDRs written by exports"
        )
        self.export_windows: Counter = meter.create_counter(
            "telcall.export.windows", unit="{window}", description="Export windows, by outcome"
        )


def instruments() -> Instruments | None:
    """The instruments, or None when no SDK meter provider is configured."""
    if _metrics is None or _metrics_globals._METER_PROVIDER is None:
        return None
    provider: MeterProvider = _metrics.get_meter_provider()
    if isinstance(provider, _ProxyMeters | _metrics.NoOpMeterProvider):
        return None
    found = _instruments.get(provider)
    if found is None:
        found = _instruments[provider] = Instruments(provider.get_meter(_SCOPE, __version__))
    return found


def start_span(
    tracer_: Tracer,
    name: str,
    parent: Span | None,
    attributes: Mapping[str, Any],
    *,
    client: bool = False,
) -> Span:
    """Start ``name`` under ``parent`` (or the current context); it is not made current."""
    assert _trace is not None
    context = _trace.set_span_in_context(parent) if parent is not None else None
    kind = _trace.SpanKind.CLIENT if client else _trace.SpanKind.INTERNAL
    return tracer_.start_span(name, context=context, kind=kind, attributes=attributes)


def end_span(span: Span, error_type: str | None = None, description: str | None = None) -> None:
    """End ``span``, marked as failed with ``error.type`` when ``error_type`` is given."""
    assert _trace is not None
    if error_type is not None:
        span.set_attribute("error.type", error_type)
        span.set_status(_trace.Status(_trace.StatusCode.ERROR, description))
    span.end()


def add_retry_event(span: Span, attempt: int, wait: float, reason: str) -> None:
    """A ``telcall.retry`` event: which attempt failed, why, and how long until the next."""
    span.add_event(
        "telcall.retry",
        {
            "telcall.retry.attempt": attempt,
            "telcall.retry.wait": wait,
            "telcall.retry.reason": reason,
        },
    )


def inject_traceparent(span: Span, headers: dict[str, str]) -> None:
    """Add ``traceparent`` (and the configured propagators' headers) for ``span``."""
    assert _trace is not None
    _propagate.inject(headers, context=_trace.set_span_in_context(span))


def current_span() -> Span | None:
    """The context's current span, if it records (the application's or telcall's)."""
    assert _trace is not None
    span = _trace.get_current_span()
    return span if span.is_recording() else None


def use_span(span: Span) -> object:
    """Attach ``span`` as current; returns the token for :func:`detach`."""
    assert _trace is not None
    return _context.attach(_trace.set_span_in_context(span))


def detach(token: object) -> None:
    """Undo :func:`use_span`."""
    _context.detach(token)  # type: ignore[arg-type]


@contextlib.contextmanager
def span(name: str, attributes: Mapping[str, Any]) -> Iterator[Span | None]:
    """An INTERNAL span, current for the block (None and nothing recorded without an SDK).

    An exception marks it failed with its type; only telcall errors (scrubbed) give their text.
    """
    tracer_ = tracer()
    if tracer_ is None:
        yield None
        return
    from .errors import TelcallError

    current = start_span(tracer_, name, None, attributes)
    token = use_span(current)
    try:
        yield current
    except BaseException as exc:
        end_span(
            current, type(exc).__qualname__, str(exc) if isinstance(exc, TelcallError) else None
        )
        raise
    else:
        end_span(current)
    finally:
        detach(token)
