"""Window arithmetic and planning: grid boundaries, the VN zone, partial windows."""

from __future__ import annotations

import itertools
import pickle
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec
import pytest

from telcall import AsyncTel4vnClient
from telcall.errors import ValidationError
from telcall.export import STATE_FILE, plan
from telcall.export._state import SqliteStore
from telcall.export._windows import align_down, check_window, cut, relative_path, to_instant

VN = ZoneInfo("Asia/Ho_Chi_Minh")
H = 3600


def vn(*args: int) -> datetime:
    """A datetime in Asia/Ho_Chi_Minh."""
    return datetime(*args, tzinfo=VN)  # type: ignore[misc]


@pytest.fixture
def offline_client() -> AsyncTel4vnClient:
    """A client that is never used for I/O (planning sends no request)."""
    return AsyncTel4vnClient(base_url="http://127.0.0.1:9", api_key="secret-key-xyz")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("2026-11-01", vn(2026, 11, 1), id="date-string-is-local-midnight"),
        pytest.param(date(2026, 11, 1), vn(2026, 11, 1), id="date"),
        pytest.param("2026-11-01 17:20:58", vn(2026, 11, 1, 17, 20, 58), id="naive-is-local"),
        pytest.param(datetime(2026, 11, 1, tzinfo=UTC), vn(2026, 11, 1, 7), id="aware-utc"),
        pytest.param(vn(2026, 11, 1, 0, 0, 0, 500), vn(2026, 11, 1), id="micro-floored"),
    ],
)
def test_to_instant(value: str | date | datetime, expected: datetime) -> None:
    """Bounds parse to aware whole-second instants, naive values in the export's zone."""
    assert expected == to_instant(value, VN, field="start")
    assert to_instant(value, VN, field="start").utcoffset() == timedelta(hours=7)


def test_to_instant_ceil() -> None:
    """An end with a fraction of a second rounds up, so no call is left out."""
    assert vn(2026, 11, 1, 0, 0, 1) == to_instant(
        vn(2026, 11, 1, 0, 0, 0, 1), VN, field="end", ceil=True
    )


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(timedelta(0), id="zero"),
        pytest.param(timedelta(milliseconds=1500), id="fraction"),
        pytest.param(timedelta(seconds=-5), id="negative"),
    ],
)
def test_check_window_rejects(value: timedelta) -> None:
    """Windows are whole seconds, at least one."""
    with pytest.raises(ValidationError):
        check_window(value)


def test_grid_is_local_midnight_in_vn() -> None:
    """Asia/Ho_Chi_Minh has no DST: 24 h windows start at local midnight, every day of the year."""
    for month in range(1, 13):
        when = vn(2026, month, 15, 13, 27, 5)
        assert vn(2026, month, 15) == align_down(when, 24 * H, VN)
        assert vn(2026, month, 15, 12) == align_down(when, 6 * H, VN)


def test_cut_full_windows() -> None:
    """An aligned range cuts into equal closed-open windows that tile it."""
    windows = cut(vn(2026, 11, 1), vn(2026, 11, 2), 6 * H, VN)
    assert [
        (vn(2026, 11, 1, h), vn(2026, 11, 1, h) + timedelta(hours=6)) for h in (0, 6, 12, 18)
    ] == windows


def test_cut_partial_first_and_last() -> None:
    """An unaligned start and end give partial first and last windows on the same grid."""
    windows = cut(vn(2026, 11, 1, 4, 30), vn(2026, 11, 1, 13, 27, 5), 6 * H, VN)
    assert [
        (vn(2026, 11, 1, 4, 30), vn(2026, 11, 1, 6)),
        (vn(2026, 11, 1, 6), vn(2026, 11, 1, 12)),
        (vn(2026, 11, 1, 12), vn(2026, 11, 1, 13, 27, 5)),
    ] == windows


def test_cut_window_longer_than_range() -> None:
    """A range inside one grid cell is one window."""
    assert [(vn(2026, 11, 1, 1), vn(2026, 11, 1, 2))] == cut(
        vn(2026, 11, 1, 1), vn(2026, 11, 1, 2), 24 * H, VN
    )


def test_cut_empty() -> None:
    """An empty range has no windows."""
    assert cut(vn(2026, 11, 1), vn(2026, 11, 1), H, VN) == []


def test_grid_in_a_dst_zone_is_absolute() -> None:
    """Across a DST change windows stay exactly one window long in absolute time."""
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 3, 28, tzinfo=berlin)
    windows = cut(start, datetime(2026, 3, 31, tzinfo=berlin), 24 * H, berlin)
    inner = windows[1:-1]
    assert inner
    assert all(b.timestamp() - a.timestamp() == 24 * H for a, b in inner)
    assert all(a.timestamp() == b.timestamp() for (_, a), (b, _) in itertools.pairwise(windows))


def test_relative_path_uses_local_date_and_times() -> None:
    """Files go under the window's local start date, named by its local bounds."""
    path = relative_path(vn(2026, 11, 1, 18), vn(2026, 11, 2), "ndjson", VN)
    assert path == "date=2026-11-01/part-20261101T180000-20261102T000000.ndjson"


def test_plan_specs(offline_client: AsyncTel4vnClient, tmp_path: Path) -> None:
    """plan() returns one spec per window, with the connection but no credential."""
    specs = plan(
        offline_client, "2026-11-01", "2026-11-02 03:00:00", tmp_path, window=timedelta(hours=6)
    )
    assert len(specs) == 5
    assert (vn(2026, 11, 2), vn(2026, 11, 2, 3)) == (specs[-1].start, specs[-1].end)
    assert b"secret-key-xyz" not in pickle.dumps(specs)
    assert b"secret-key-xyz" not in msgspec.json.encode(specs)
    assert {
        "provider": "tel4vn",
        "base_url": "http://127.0.0.1:9",
        "tz": "Asia/Ho_Chi_Minh",
    }.items() <= {
        "provider": specs[0].connection.provider,
        "base_url": specs[0].connection.base_url,
        "tz": specs[0].connection.tz,
    }.items()
    assert (tmp_path / STATE_FILE).exists()
    assert len(SqliteStore(tmp_path).windows()) == 5


def test_plan_requires_start(offline_client: AsyncTel4vnClient, tmp_path: Path) -> None:
    """Without a start or a watermark there is nothing to plan from."""
    with pytest.raises(ValidationError, match="start is required"):
        plan(offline_client, None, "2026-11-02", tmp_path)
    with pytest.raises(ValidationError, match="no watermark"):
        plan(offline_client, None, "2026-11-02", tmp_path, since="last")


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"format": "xml"}, id="format"),
        pytest.param({"format": "csv", "raw": True}, id="raw-csv"),
        pytest.param({"window": timedelta(0)}, id="window"),
        pytest.param({"page_size": 0}, id="page-size"),
        pytest.param({"lookback": timedelta(hours=-1)}, id="lookback"),
    ],
)
def test_plan_validates_before_io(
    offline_client: AsyncTel4vnClient, tmp_path: Path, kwargs: dict[str, object]
) -> None:
    """Bad arguments raise ValidationError and leave no checkpoint file."""
    with pytest.raises(ValidationError):
        plan(offline_client, "2026-11-01", "2026-11-02", tmp_path / "out", **kwargs)  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists()


def test_plan_refuses_another_format(offline_client: AsyncTel4vnClient, tmp_path: Path) -> None:
    """A directory holds one kind of export: a different format is refused."""
    plan(offline_client, "2026-11-01", "2026-11-02", tmp_path)
    with pytest.raises(ValidationError, match="already holds"):
        plan(offline_client, "2026-11-01", "2026-11-02", tmp_path, format="csv")


def test_plan_since_last_steps_back_by_lookback(
    offline_client: AsyncTel4vnClient, tmp_path: Path
) -> None:
    """since='last' starts at the grid boundary before watermark minus lookback."""
    store = SqliteStore(tmp_path)
    specs = plan(offline_client, "2026-11-01", "2026-11-02", tmp_path, window=timedelta(hours=6))
    for spec in specs:
        store.commit(
            start=int(spec.start.timestamp()),
            end=int(spec.end.timestamp()),
            path=spec.path,
            records=0,
            sha256="x",
            size=0,
        )
    again = plan(
        offline_client,
        None,
        "2026-11-03",
        tmp_path,
        window=timedelta(hours=6),
        since="last",
        lookback=timedelta(hours=2),
    )
    assert vn(2026, 11, 1, 18) == again[0].start
    assert vn(2026, 11, 3) == again[-1].end
    rows = {row.start: row.status for row in store.windows()}
    assert rows[int(vn(2026, 11, 1, 18).timestamp())] == "pending"
    assert rows[int(vn(2026, 11, 1, 12).timestamp())] == "done"


def test_plan_replaces_differently_cut_windows(
    offline_client: AsyncTel4vnClient, tmp_path: Path
) -> None:
    """A run with another window length widens to whole old windows and removes their files."""
    store = SqliteStore(tmp_path)
    (spec,) = plan(offline_client, "2026-11-01", "2026-11-02", tmp_path)
    file = tmp_path / spec.path
    file.parent.mkdir(parents=True)
    file.write_bytes(b"old")
    store.commit(
        start=int(spec.start.timestamp()),
        end=int(spec.end.timestamp()),
        path=spec.path,
        records=1,
        sha256="x",
        size=3,
    )
    specs = plan(
        offline_client, "2026-11-01 12:00:00", "2026-11-02", tmp_path, window=timedelta(hours=6)
    )
    assert vn(2026, 11, 1) == specs[0].start
    assert len(specs) == 4
    assert not file.exists()
    assert len(store.windows()) == 4


def test_plan_removes_temp_and_unknown_part_files(
    offline_client: AsyncTel4vnClient, tmp_path: Path
) -> None:
    """Temp files of a killed run and part files no checkpoint names are removed."""
    day = tmp_path / "date=2026-11-01"
    day.mkdir(parents=True)
    (day / ".part-x.ndjson.123-abcd.tmp").write_bytes(b"half")
    (day / "part-19990101T000000-19990102T000000.ndjson").write_bytes(b"stray")
    (day / "notes.txt").write_text("mine")
    plan(offline_client, "2026-11-01", "2026-11-02", tmp_path)
    assert sorted(p.name for p in day.iterdir()) == ["notes.txt"]


def test_plan_with_an_omicall_client(tmp_path: Path) -> None:
    """OMICall clients plan through the same interface, with their own connection."""
    from telcall.omicall.client import AsyncOmicallClient

    client = AsyncOmicallClient(base_url="http://127.0.0.1:9", api_key="secret-key-xyz")
    specs = plan(client, "2026-11-01", "2026-11-02", tmp_path)
    assert specs[0].connection.provider == "omicall"
    assert b"secret-key-xyz" not in pickle.dumps(specs)
