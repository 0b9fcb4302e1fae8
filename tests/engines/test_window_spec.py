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
    tenant=st.sampled_from(("", "acme", "pbx-042", "Tenant_7.vn")),
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


@pytest.mark.parametrize(
    "label",
    [
        pytest.param("../etc", id="parent"),
        pytest.param("a/b", id="separator"),
        pytest.param(".hidden", id="dot-first"),
        pytest.param("a=b", id="equals"),
        pytest.param("a b", id="space"),
        pytest.param("x" * 65, id="too-long"),
        pytest.param("tên", id="non-ascii"),
    ],
)
def test_connection_refuses_a_tenant_that_is_no_path_segment(label: str) -> None:
    """A tenant label must be a safe directory name and key, from code or from JSON."""
    with pytest.raises(ValidationError, match="not a label"):
        Connection(provider="tel4vn", base_url="https://x", tz="UTC", tenant=label)
    payload = (
        '{"connection":{"provider":"tel4vn","base_url":"https://x","tz":"UTC","tenant":'
        + msgspec.json.encode(label).decode()
        + '},"out_dir":"/o","format":"ndjson","raw":false,"start":"2026-11-01T00:00:00Z",'
        '"end":"2026-11-02T00:00:00Z","path":"p"}'
    )
    with pytest.raises(ValidationError, match="not a WindowSpec"):
        WindowSpec.from_json(payload)


def test_plan_files_a_tenant_under_its_own_directory_without_credentials(
    tmp_path: Path,
) -> None:
    """plan() from a Connection with a tenant needs no secret; specs name the tenant."""
    connection = Connection(
        provider="tel4vn", base_url="https://pbx.example.vn", tz="Asia/Ho_Chi_Minh", tenant="acme"
    )
    specs = plan(connection, "2026-11-01", "2026-11-03", tmp_path)
    assert [spec.tenant for spec in specs] == ["acme", "acme"]
    assert {spec.out_dir for spec in specs} == {str((tmp_path / "tenant=acme").resolve())}
    assert [spec.path for spec in specs] == [
        "date=2026-11-01/part-20261101T000000-20261102T000000.ndjson",
        "date=2026-11-02/part-20261102T000000-20261103T000000.ndjson",
    ]
    assert (tmp_path / "tenant=acme" / "_state.db").exists()
    assert not (tmp_path / "_state.db").exists()
    assert WindowSpec.from_json(specs[0].to_json()).tenant == "acme"


async def test_plan_labels_a_client_job_and_refuses_two_labels(tmp_path: Path) -> None:
    """tenant= labels a client's job; a Connection with another label is refused untouched."""
    async with AsyncTel4vnClient(base_url="https://pbx.example.vn", api_key=SECRET) as client:
        [spec] = plan(client, "2026-11-01", "2026-11-02", tmp_path, tenant="pbx-1")
    assert spec.tenant == "pbx-1"
    assert spec.out_dir.endswith("tenant=pbx-1")
    other = tmp_path / "other"
    connection = Connection(provider="tel4vn", base_url="https://x", tz="UTC", tenant="a")
    with pytest.raises(ValidationError, match="contradicts"):
        plan(connection, "2026-11-01", "2026-11-02", other, tenant="b")
    with pytest.raises(ValidationError, match="not a label"):
        plan(
            msgspec.structs.replace(connection, tenant=""),
            "2026-11-01",
            "2026-11-02",
            other,
            tenant="../b",
        )
    assert not other.exists()


def test_tenants_in_one_directory_keep_apart_and_the_plain_layout_is_unchanged(
    tmp_path: Path,
) -> None:
    """Two tenants and a single-tenant job plan the same windows in one directory apart."""
    base = {"provider": "tel4vn", "base_url": "https://x", "tz": "Asia/Ho_Chi_Minh"}
    plain = plan(Connection(**base), "2026-11-01", "2026-11-02", tmp_path)
    for label in ("a", "b"):
        plan(Connection(**base, tenant=label), "2026-11-01", "2026-11-02", tmp_path)
    for spec_dir in ("tenant=a", "tenant=b"):
        stray = (
            tmp_path / spec_dir / "date=2026-11-01" / "part-20261101T000000-20261102T000000.ndjson"
        )
        stray.parent.mkdir(parents=True, exist_ok=True)
        stray.write_text("kept\n")
    # Re-planning the single-tenant job tidies its own date= directories only.
    assert plan(Connection(**base), "2026-11-01", "2026-11-02", tmp_path) == plain
    assert plain[0].out_dir == str(tmp_path.resolve())
    assert plain[0].path.startswith("date=2026-11-01/")
    assert plain[0].tenant == ""
    for spec_dir in ("tenant=a", "tenant=b"):
        assert list((tmp_path / spec_dir).glob("date=*/part-*"))
