"""Export entry points: typed clients, a sync twin, and a plan that needs no credential."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from telcall import Tel4vnClient
from telcall.export import Connection, export_cdrs_sync, plan
from telcall.simulator import VN, Tel4vnSimulator

ROOT = Path(__file__).resolve().parents[2]


def test_plan_from_a_connection_needs_no_credential(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """plan() takes the Connection the workers will use: no key, no client, no request."""
    for name in ("TELCALL_TEL4VN_API_KEY", "TELCALL_TEL4VN_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    connection = Connection(provider="tel4vn", base_url="http://127.0.0.1:9", tz="Asia/Ho_Chi_Minh")
    specs = plan(connection, "2026-11-01", "2026-11-03", tmp_path)
    assert [spec.path for spec in specs] == [
        "date=2026-11-01/part-20261101T000000-20261102T000000.ndjson",
        "date=2026-11-02/part-20261102T000000-20261103T000000.ndjson",
    ]
    assert all(spec.connection == connection for spec in specs)


def test_sync_export_on_a_sync_client(
    tel4vn_simulator_sync: Tel4vnSimulator, tmp_path: Path
) -> None:
    """export_cdrs_sync exports through a sync client, sharing its token with its other calls."""
    sim = tel4vn_simulator_sync
    with Tel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as client:
        client.calls.list()
        summary = export_cdrs_sync(client, "2026-11-01", "2026-11-03", tmp_path)
        client.calls.list()
    assert summary.windows_failed == 0
    expected = set(sim.cdr_ids(datetime(2026, 11, 1, tzinfo=VN), datetime(2026, 11, 3, tzinfo=VN)))
    assert 0 < summary.records == len(expected)
    assert sim.count(path="/v2/auth/token") == 1, "the export reused the client's token"


@pytest.mark.slow
def test_type_checker_refuses_a_sync_client_where_an_async_one_is_needed(tmp_path: Path) -> None:
    """mypy --strict: plan()/export_cdrs() refuse a sync client; export_cdrs_sync takes one."""
    code = textwrap.dedent(
        """
        from telcall import AsyncTel4vnClient, Tel4vnClient
        from telcall.export import ExportSummary, export_cdrs_sync, plan

        sync = Tel4vnClient(base_url="http://127.0.0.1:9", api_key="k")
        plan(sync, "2026-11-01", "2026-11-02", "out")  # line 6: refused
        plan(AsyncTel4vnClient(base_url="http://127.0.0.1:9", api_key="k"), None, None, "out")
        summary: ExportSummary = export_cdrs_sync(sync, "2026-11-01", out_dir="out", concurrency=2)
        export_cdrs_sync(sync, concurrency="2")  # line 9: refused
        """
    )
    module = tmp_path / "uses_export.py"
    module.write_text(code, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(module)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert [line.split(":")[1] for line in errors] == ["6", "9"], done.stdout
