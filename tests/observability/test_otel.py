"""OpenTelemetry spans and metrics, checked with the SDK's in-memory exporters."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan

from telcall import AsyncTel4vnClient, errors
from telcall._core import otel
from telcall._core.hooks import Hooks
from telcall._core.observe import Observer
from telcall.simulator import Tel4vnSimulator

from .otel_fixtures import Telemetry, install


@pytest.fixture
def telemetry(monkeypatch: pytest.MonkeyPatch) -> Iterator[Telemetry]:
    """SDK tracer and meter providers with in-memory exporters, for this test only."""
    yield from install(monkeypatch)


def children(spans: list[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    """The spans whose parent is ``parent``, by start time."""
    found = [
        s for s in spans if s.parent is not None and s.parent.span_id == parent.context.span_id
    ]
    return sorted(found, key=lambda s: s.start_time or 0)


def only(spans: list[ReadableSpan], name: str) -> ReadableSpan:
    """The one span called ``name``."""
    (span,) = [s for s in spans if s.name == name]
    return span


async def test_span_tree_of_a_call_retried_twice(
    telemetry: Telemetry, client: AsyncTel4vnClient, sim: Tel4vnSimulator
) -> None:
    """One call span; a CLIENT span per attempt (token fetch included); a retry event each."""
    sim.script(503, times=2, path="/v2/cdr")
    page = await client.cdrs.list(limit=5)
    spans = telemetry.spans()
    root = only(spans, "telcall.tel4vn.cdrs.list")
    assert root.parent is None
    assert root.kind is trace.SpanKind.INTERNAL
    assert dict(root.attributes or {}) == {
        "telcall.provider": "tel4vn",
        "telcall.resource": "cdrs",
        "telcall.operation": "cdrs.list",
    }
    attempts = children(spans, root)
    assert [(s.name, (s.attributes or {}).get("http.response.status_code")) for s in attempts] == [
        ("POST", 200),
        ("GET", 503),
        ("GET", 503),
        ("GET", 200),
    ]
    assert all(s.kind is trace.SpanKind.CLIENT for s in attempts)
    assert [(s.attributes or {}).get("http.request.resend_count") for s in attempts] == [
        None,
        None,
        1,
        2,
    ]
    first = dict(attempts[1].attributes or {})
    assert first["url.full"] == f"{sim.base_url}/v2/cdr?limit=5"
    assert (first["server.address"], first["server.port"]) == ("127.0.0.1", sim.port)
    assert (first["http.request.method"], first["error.type"]) == ("GET", "503")
    assert attempts[1].status.status_code is trace.StatusCode.ERROR
    assert "error.type" not in (attempts[3].attributes or {})
    events = [(e.name, dict(e.attributes or {})) for e in root.events]
    assert [
        (name, a["telcall.retry.attempt"], a["telcall.retry.reason"]) for name, a in events
    ] == [
        ("telcall.retry", 1, "HTTP 503"),
        ("telcall.retry", 2, "HTTP 503"),
    ]
    assert all(0 <= a["telcall.retry.wait"] <= 0.002 for _, a in events)
    assert len(spans) == 5
    assert len(page.items) == 5


async def test_span_tree_of_a_three_page_scroll(
    telemetry: Telemetry, client: AsyncTel4vnClient, sim: Tel4vnSimulator
) -> None:
    """``iterate`` is one span with a child per page, each holding its HTTP attempt."""
    records = [r async for r in client.cdrs.iterate(page_size=10, max_items=30)]
    assert len(records) == 30
    spans = telemetry.spans()
    root = only(spans, "telcall.tel4vn.cdrs.iterate")
    assert root.parent is None
    assert (root.attributes or {})["telcall.pages"] == 3
    pages = children(spans, root)
    assert [s.name for s in pages] == ["telcall.tel4vn.cdrs.iterate page"] * 3
    assert [(s.attributes or {})["telcall.page"] for s in pages] == [1, 2, 3]
    assert [[c.name for c in children(spans, p)] for p in pages] == [
        ["POST", "GET"],
        ["GET"],
        ["GET"],
    ]
    assert len(spans) == 1 + 3 + 4
    assert {s.context.trace_id for s in spans} == {root.context.trace_id}


async def test_failed_call_marks_the_span(
    telemetry: Telemetry, client: AsyncTel4vnClient, sim: Tel4vnSimulator
) -> None:
    """A call that ends in an API error has an ERROR span with the error's type."""
    sim.script(404, times=1, path="/v2/cdr")
    with pytest.raises(errors.NotFoundError):
        await client.cdrs.list()
    root = only(telemetry.spans(), "telcall.tel4vn.cdrs.list")
    assert root.status.status_code is trace.StatusCode.ERROR
    assert (root.attributes or {})["error.type"] == "NotFoundError"


async def test_call_span_is_a_child_of_the_callers_span(
    telemetry: Telemetry, client: AsyncTel4vnClient
) -> None:
    """A call made inside the application's span joins its trace."""
    with telemetry.tracer_provider.get_tracer("app").start_as_current_span("handler") as outer:
        await client.calls.list()
    root = only(telemetry.spans(), "telcall.tel4vn.calls.list")
    assert root.parent is not None
    assert root.parent.span_id == outer.get_span_context().span_id


async def test_traceparent_is_sent_only_when_asked(
    telemetry: Telemetry, client: AsyncTel4vnClient, sim: Tel4vnSimulator
) -> None:
    """No ``traceparent`` by default; ``propagate_trace=True`` sends the attempt span's."""
    await client.calls.list()
    assert all("traceparent" not in r.headers for r in sim.requests)
    await client.with_options(propagate_trace=True).calls.list()
    sent = sim.requests[-1].headers["traceparent"]
    attempt = [s for s in telemetry.spans() if s.name == "GET"][-1]
    assert sent.startswith(f"00-{attempt.context.trace_id:032x}-{attempt.context.span_id:016x}-")


async def test_metrics(
    telemetry: Telemetry, client: AsyncTel4vnClient, sim: Tel4vnSimulator
) -> None:
    """Requests and durations by status, retries by reason, 429s, tokens and records."""
    sim.script(429, times=1, path="/v2/cdr")
    await client.cdrs.list(limit=7)
    requests = {
        (a["telcall.operation"], a["http.request.method"], a["http.response.status_code"]): p.value
        for a, p in telemetry.points("telcall.client.requests")
    }
    assert requests == {
        ("cdrs.list", "POST", 200): 1,
        ("cdrs.list", "GET", 429): 1,
        ("cdrs.list", "GET", 200): 1,
    }
    durations = telemetry.points("http.client.request.duration")
    assert sum(p.count for _, p in durations) == 3
    assert [
        (a["telcall.retry.reason"], p.value) for a, p in telemetry.points("telcall.client.retries")
    ] == [("HTTP 429", 1)]
    assert [p.value for _, p in telemetry.points("telcall.client.rate_limited")] == [1]
    assert [(a, p.value) for a, p in telemetry.points("telcall.client.tokens_fetched")] == [
        ({"telcall.provider": "tel4vn"}, 1)
    ]
    assert [p.value for _, p in telemetry.points("telcall.client.records_decoded")] == [7]


def test_nothing_is_recorded_without_an_sdk() -> None:
    """With the API's proxy providers (no SDK configured) telcall asks for no observer."""
    assert otel.tracer() is None
    assert otel.instruments() is None
    assert not Observer.wanted(Hooks())


def test_works_without_opentelemetry_installed() -> None:
    """With ``opentelemetry`` missing, telcall imports and records nothing (run in a child)."""
    code = (
        "import sys; sys.modules['opentelemetry'] = None;"
        "import telcall._core.otel as o, telcall.tel4vn;"
        "print(o.tracer(), o.instruments())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["None", "None"], done.stderr


async def test_concurrent_pages_share_one_parent(
    telemetry: Telemetry, client: AsyncTel4vnClient
) -> None:
    """With ``concurrency=3`` the pages fetched by tasks are still children of the listing."""
    pages = [p async for p in client.cdrs.pages(pagination="offset", page_size=5, concurrency=3)]
    assert sum(len(p.items) for p in pages) == 30
    spans = telemetry.spans()
    root = only(spans, "telcall.tel4vn.cdrs.pages")
    page_spans = [s for s in spans if s.name == "telcall.tel4vn.cdrs.pages page"]
    assert len(page_spans) == 6
    assert all(
        s.parent is not None and s.parent.span_id == root.context.span_id for s in page_spans
    )
    assert sorted((s.attributes or {})["telcall.page"] for s in page_spans) == [1, 2, 3, 4, 5, 6]


def test_sync_iterate_has_the_same_span_tree(
    telemetry: Telemetry, tel4vn_simulator_sync: Tel4vnSimulator
) -> None:
    """Sync ``iterate``: one listing span, a child per page, named as the async one."""
    from telcall import Tel4vnClient

    sim = tel4vn_simulator_sync
    with Tel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as sync_client:
        got = list(sync_client.cdrs.iterate(page_size=100, max_items=250))
    assert len(got) == 250
    spans = telemetry.spans()
    root = only(spans, "telcall.tel4vn.cdrs.iterate")
    assert [s.name for s in children(spans, root)] == ["telcall.tel4vn.cdrs.iterate page"] * 3
