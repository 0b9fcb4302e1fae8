"""WindowSpec travels through every engine's serializer and carries no secret."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest
from hypothesis import given, strategies as st
from kombu.serialization import dumps, loads

from telcall import AsyncAICallCenterClient, AsyncOmicallClient, AsyncTel4vnClient
from telcall.errors import ValidationError
from telcall.export import AICallCenterSource, Connection, WindowSpec, plan

SECRET = "s3cr3t-value-that-must-not-travel"
ZONES = ("Asia/Ho_Chi_Minh", "UTC", "Europe/Berlin", "America/New_York")

connections = st.builds(
    Connection,
    provider=st.sampled_from(("tel4vn", "omicall", "aicallcenter")),
    base_url=st.sampled_from(("https://pbx.example.vn", "http://127.0.0.1:8080/api")),
    tz=st.sampled_from(ZONES),
    options=st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
    scope=st.text(max_size=12),
)


@st.composite
def specs(draw: st.DrawFn) -> WindowSpec:
    """Any valid spec: bounds in the connection's zone, as plan() makes them."""
    connection = draw(connections)
    instant = draw(
        st.datetimes(
            min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
        )
    )
    start = instant.astimezone(ZoneInfo(connection.tz))
    return WindowSpec(
        connection=connection,
        out_dir=draw(st.text(min_size=1, max_size=30)),
        format=draw(st.sampled_from(("ndjson", "csv", "parquet"))),
        raw=draw(st.booleans()),
        start=start,
        end=start
        + draw(st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=31))),
        path=draw(st.text(min_size=1, max_size=40)),
        page_size=draw(st.integers(min_value=1, max_value=10_000)),
    )


def _same(a: WindowSpec, b: WindowSpec) -> None:
    """Equal fields, and the bounds carry the named zone, not a bare offset."""
    assert a == b
    assert b.start.tzinfo == ZoneInfo(b.connection.tz)
    assert b.end.tzinfo == ZoneInfo(b.connection.tz)
    assert b.start.utcoffset() == a.start.utcoffset()


@given(spec=specs())
def test_json_round_trip(spec: WindowSpec) -> None:
    """to_json/from_json gives the same spec back, zone included."""
    _same(spec, WindowSpec.from_json(spec.to_json()))


@given(spec=specs())
def test_pickle_and_msgspec_round_trips(spec: WindowSpec) -> None:
    """Pickle (Dask) and msgspec's JSON and msgpack give the same spec back."""
    _same(spec, pickle.loads(pickle.dumps(spec)))
    _same(spec, msgspec.json.decode(msgspec.json.encode(spec), type=WindowSpec))
    _same(spec, msgspec.msgpack.decode(msgspec.msgpack.encode(spec), type=WindowSpec))


@pytest.mark.parametrize(
    "serializer",
    [
        pytest.param("json", id="json-celery-default"),
        pytest.param("msgpack", id="msgpack"),
        pytest.param("pickle", id="pickle"),
    ],
)
@given(spec=specs())
def test_kombu_serializers_carry_to_json(serializer: str, spec: WindowSpec) -> None:
    """The str from to_json goes through Celery's (kombu's) serializers unchanged."""
    content_type, encoding, body = dumps(((spec.to_json(),), {}), serializer=serializer)
    (args, _kwargs) = loads(body, content_type, encoding, accept=[content_type])
    _same(spec, WindowSpec.from_json(args[0]))


def _clients() -> list[Any]:
    return [
        AsyncTel4vnClient(base_url="https://pbx.example.vn", api_key=SECRET),
        AsyncOmicallClient(base_url="https://tenant.omicall.vn", api_key=SECRET),
        AICallCenterSource(AsyncAICallCenterClient(secret_key=SECRET), "campaign-7"),
    ]


@pytest.mark.parametrize(
    "index", [pytest.param(i, id=n) for i, n in enumerate(("tel4vn", "omicall", "aicallcenter"))]
)
async def test_specs_hold_no_secret(index: int, tmp_path: Path) -> None:
    """No serialised form of a planned spec contains the client's credential."""
    client = _clients()[index]
    specs = plan(client, "2026-11-01", "2026-11-04", tmp_path)
    assert len(specs) == 3
    for spec in specs:
        for form in (spec.to_json().encode(), pickle.dumps(spec), msgspec.msgpack.encode(spec)):
            assert SECRET.encode() not in form
        assert SECRET not in repr(spec)
    await getattr(client, "client", client).aclose()


def test_plan_refuses_a_password_in_the_base_url(tmp_path: Path) -> None:
    """A connection whose base URL has a password is refused before plan() touches the directory."""
    out = tmp_path / "out"
    conn = Connection(
        provider="tel4vn", base_url=f"https://user:{SECRET}@pbx.example.vn", tz="Asia/Ho_Chi_Minh"
    )
    with pytest.raises(ValidationError, match="password") as caught:
        plan(conn, "2026-11-01", "2026-11-02", out)
    assert SECRET not in str(caught.value)
    assert not out.exists()


def test_client_refuses_a_password_in_the_base_url() -> None:
    """A client never holds a base URL with a password, so nothing can copy it."""
    with pytest.raises(ValidationError, match="password") as caught:
        AsyncTel4vnClient(base_url=f"https://user:{SECRET}@pbx.example.vn", api_key="k")
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param("{}", id="missing-fields"),
        pytest.param("not json", id="not-json"),
        pytest.param(
            '{"connection":{"provider":"tel4vn","base_url":"https://x","tz":"Asia/Ho_Chi_Minh"},'
            '"out_dir":"/o","format":"ndjson","raw":false,"start":"2026-11-01T00:00:00",'
            '"end":"2026-11-02T00:00:00+07:00","path":"p"}',
            id="naive-start",
        ),
        pytest.param(
            '{"connection":{"provider":"tel4vn","base_url":"https://x","tz":"Mars/Olympus"},'
            '"out_dir":"/o","format":"ndjson","raw":false,"start":"2026-11-01T00:00:00Z",'
            '"end":"2026-11-02T00:00:00Z","path":"p"}',
            id="unknown-zone",
        ),
    ],
)
def test_from_json_refuses_what_is_not_a_spec(payload: str) -> None:
    """Bad input to from_json raises telcall's ValidationError."""
    with pytest.raises(ValidationError, match="not a WindowSpec"):
        WindowSpec.from_json(payload)
