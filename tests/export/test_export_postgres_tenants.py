"""Many tenants into one PostgreSQL table: ``export_tenants`` and ``--tenants FILE``, for real."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import asyncpg
import msgspec
import pytest

from telcall import AsyncTel4vnClient
from telcall.errors import CheckpointError, ValidationError
from telcall.export import TenantsExportError, export_tenants
from telcall.simulator import Tel4vnSimulator

VN = ZoneInfo("Asia/Ho_Chi_Minh")
START, END = "2026-11-01", "2026-11-04"
WINDOW = timedelta(hours=12)
# Two tenants with one seed: their simulators serve the same CDR ids, on purpose.
SEEDS = {"acme": (400, 7), "globex": (300, 7), "initech": (250, 9)}


@pytest.fixture
async def sims() -> AsyncIterator[dict[str, Tel4vnSimulator]]:
    """One simulator per tenant; acme's and globex's CDR ids overlap."""
    async with AsyncExitStack() as stack:
        servers = {
            label: await stack.enter_async_context(Tel4vnSimulator(cdrs=n, seed=seed))
            for label, (n, seed) in SEEDS.items()
        }
        assert set(servers["acme"].cdr_ids()) & set(servers["globex"].cdr_ids())
        yield servers


@pytest.fixture
async def clients(sims: dict[str, Tel4vnSimulator]) -> AsyncIterator[dict[str, AsyncTel4vnClient]]:
    """A client per tenant, for its own simulator."""
    async with AsyncExitStack() as stack:
        yield {
            label: await stack.enter_async_context(
                AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key, tz=str(VN))
            )
            for label, sim in sims.items()
        }


def files(where: Path, pattern: str = "*") -> list[Path]:
    """What lies under ``where`` (a sync helper: the tests are coroutines)."""
    return list(where.rglob(pattern))


def served(sims: dict[str, Tel4vnSimulator]) -> int:
    """Every request the tenants' simulators have answered."""
    return sum(sim.count() for sim in sims.values())


async def tenant_ids(connection: asyncpg.Connection, table: str) -> dict[str, list[str]]:
    """Each tenant's ids in ``table``, duplicates kept (the key forbids them; this checks it)."""
    rows = await connection.fetch(f"SELECT tenant, provider, id FROM {table} ORDER BY id")
    found: dict[str, list[str]] = {}
    for tenant, provider, id_ in rows:
        assert provider == "tel4vn"
        found.setdefault(tenant, []).append(id_)
    return found


def expected(sims: dict[str, Tel4vnSimulator]) -> dict[str, list[str]]:
    """Each tenant's server ids in the job's range, sorted."""
    start, end = datetime(2026, 11, 1, tzinfo=VN), datetime(2026, 11, 4, tzinfo=VN)
    return {label: sorted(sim.cdr_ids(start, end)) for label, sim in sims.items()}


async def test_tenants_share_one_table_keyed_by_tenant(
    sims: dict[str, Tel4vnSimulator], clients: dict[str, Any], db: Any, tmp_path: Path
) -> None:
    """Three tenants, overlapping ids: each tenant's rows exactly; reruns and lookback add none."""
    url, connection = db
    heard: list[tuple[str, int]] = []
    options: dict[str, Any] = {"format": "postgresql", "state": url, "window": WINDOW}
    summaries = await export_tenants(
        clients,
        START,
        END,
        tmp_path,
        table="crm.calls",
        on_window=lambda tenant, result: heard.append((tenant, result.records)),
        **options,
    )
    want = expected(sims)
    assert await tenant_ids(connection, "crm.calls") == want
    for label in sims:
        assert summaries[label].records == len(want[label])
        assert sum(n for t, n in heard if t == label) == len(want[label])
    jobs = await connection.fetch("SELECT job FROM telcall_export_jobs ORDER BY job")
    assert [r[0] for r in jobs] == [str(tmp_path / f"tenant={t}") for t in sorted(sims)]
    assert not files(tmp_path, "_state.db")

    # The same job again: every window skipped, the table unchanged.
    again = await export_tenants(clients, START, END, tmp_path, table="crm.calls", **options)
    assert {t: (s.windows_done, s.windows_skipped) for t, s in again.items()} == dict.fromkeys(
        sims, (0, 6)
    )
    # Late CDRs for one tenant, and a lookback rerun of every tenant: updated, not added.
    late = [datetime(2026, 11, 3, 23, 0, s, tzinfo=VN) for s in range(5)]
    sims["acme"].insert_cdrs(len(late), at=late)
    await connection.execute("UPDATE crm.calls SET duration = 999999 WHERE tenant = 'globex'")
    lookback = await export_tenants(
        clients,
        None,
        END,
        tmp_path,
        table="crm.calls",
        since="last",
        lookback=timedelta(hours=2),
        **options,
    )
    assert {t: s.windows_done for t, s in lookback.items()} == dict.fromkeys(sims, 1)
    assert await tenant_ids(connection, "crm.calls") == expected(sims)
    # globex's last window was read again and its rows took the server's values back.
    restored = await connection.fetchval(
        "SELECT count(*) FROM crm.calls WHERE tenant = 'globex' AND duration = 999999 "
        "AND started_at >= '2026-11-03T12:00:00+07:00'"
    )
    assert restored == 0


async def test_unreachable_database_fails_every_tenant_before_any_request(
    sims: dict[str, Tel4vnSimulator], clients: dict[str, Any], tmp_path: Path
) -> None:
    """Nothing listens at the state URL: CheckpointError (no TenantsExportError), nothing sent."""
    secret = "Unreachable-Tenant-Secret-51d0"
    url = f"postgresql://telcall:{secret}@127.0.0.1:1/nowhere"
    with pytest.raises(CheckpointError, match="cannot reach the checkpoint database") as err:
        await export_tenants(clients, START, END, tmp_path, format="postgresql", state=url)
    assert secret not in str(err.value)
    assert served(sims) == 0
    assert not files(tmp_path)


async def test_mismatched_table_fails_every_tenant_before_any_request(
    sims: dict[str, Tel4vnSimulator], clients: dict[str, Any], db: Any, tmp_path: Path
) -> None:
    """A target table of another schema: one ValidationError, no job row, nothing sent."""
    url, connection = db
    await connection.execute("CREATE TABLE telcall_cdrs (id text PRIMARY KEY)")
    with pytest.raises(ValidationError, match="schema 1") as caught:
        await export_tenants(clients, START, END, tmp_path, format="postgresql", state=url)
    assert not isinstance(caught.value, TenantsExportError)
    assert urlsplit(url).password not in str(caught.value)
    assert served(sims) == 0
    assert await connection.fetchval("SELECT count(*) FROM telcall_export_jobs") == 0


# -- the CLI ------------------------------------------------------------------------------------


def _toml(path: Path, sims: dict[str, Tel4vnSimulator]) -> Path:
    path.write_text(
        "\n".join(
            f'[{label}]\nprovider = "tel4vn"\nbase_url = "{sim.base_url}"\n'
            f'secret_env = "KEY_{label.upper()}"\n'
            for label, sim in sims.items()
        ),
        encoding="utf-8",
    )
    return path


async def _cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """``telcall`` in an asyncio subprocess (the simulators run on this test's loop)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "telcall.cli", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def _env(sims: dict[str, Tel4vnSimulator], **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELCALL_", "PG"))}
    env |= {f"KEY_{label.upper()}": sim.api_key for label, sim in sims.items()}
    return env | extra


def _no_password(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(netloc=f"{parts.username}@{parts.hostname}:{parts.port}").geturl()


async def test_cli_tenants_into_postgresql(
    sims: dict[str, Tel4vnSimulator], db: Any, tmp_path: Path, postgres_server: Any
) -> None:
    """--tenants FILE --format postgresql --state URL: each tenant's rows; a rerun adds none."""
    url, connection = db
    file = _toml(tmp_path / "tenants.toml", sims)
    env = _env(sims, PGPASSWORD=postgres_server.password)
    args = (
        "export", "cdrs", "--tenants", str(file), "--since", START, "--until", END,
        "--window", "12h", "--out", str(tmp_path / "out"), "--format", "postgresql",
        "--state", _no_password(url), "--json",
    )  # fmt: skip
    code, out, err = await _cli(*args, env=env)
    assert code == 0, err
    assert await tenant_ids(connection, "telcall_cdrs") == expected(sims)
    report = msgspec.json.decode(out)
    assert report["errors"] == {}
    assert {t: s["records"] for t, s in report["tenants"].items()} == {
        t: len(ids) for t, ids in expected(sims).items()
    }
    code, out, err = await _cli(*args, env=env)
    assert code == 0, err
    assert {t: s["windows_skipped"] for t, s in msgspec.json.decode(out)["tenants"].items()} == (
        dict.fromkeys(sims, 6)
    )
    assert await tenant_ids(connection, "telcall_cdrs") == expected(sims)
    assert postgres_server.password not in out + err


@pytest.mark.parametrize(
    "case",
    [
        pytest.param("unreachable", id="unreachable-database"),
        pytest.param("schema", id="table-of-another-schema"),
        pytest.param("secret", id="missing-tenant-secret"),
    ],
)
async def test_cli_tenants_bad_input_stops_before_any_request(
    sims: dict[str, Tel4vnSimulator], db: Any, tmp_path: Path, postgres_server: Any, case: str
) -> None:
    """Each is one clear error line and a non-zero exit, with no request to any tenant's server."""
    url, connection = db
    file = _toml(tmp_path / "tenants.toml", sims)
    env = _env(sims, PGPASSWORD=postgres_server.password)
    state = _no_password(url)
    if case == "unreachable":
        state = "postgresql://telcall@127.0.0.1:1/nowhere"
    elif case == "schema":
        await connection.execute("CREATE TABLE telcall_cdrs (id text PRIMARY KEY)")
    else:
        del env["KEY_GLOBEX"]
    code, out, err = await _cli(
        "export", "cdrs", "--tenants", str(file), "--since", START, "--until", END,
        "--out", str(tmp_path / "out"), "--format", "postgresql", "--state", state, env=env,
    )  # fmt: skip
    message = {
        "unreachable": "cannot reach the checkpoint database postgresql://***@127.0.0.1:1/nowhere",
        "schema": "does not hold telcall's CDR schema 1",
        "secret": "no secret for tenant globex (KEY_GLOBEX)",
    }[case]
    assert code == (1 if case == "unreachable" else 2)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert message in lines[0]
    assert "tenants failed" not in err
    assert served(sims) == 0
    assert postgres_server.password not in out + err


@pytest.mark.parametrize(
    "case",
    [
        pytest.param("unreachable", id="unreachable-database"),
        pytest.param("schema", id="table-of-another-schema"),
    ],
)
async def test_cli_single_account_bad_database_stops_before_any_request(
    sims: dict[str, Tel4vnSimulator], db: Any, tmp_path: Path, postgres_server: Any, case: str
) -> None:
    """Without --tenants too: one error line, no request to the server, no directory."""
    url, connection = db
    sim = sims["acme"]
    env = _env(
        {},
        PGPASSWORD=postgres_server.password,
        TELCALL_TEL4VN_BASE_URL=sim.base_url,
        TELCALL_TEL4VN_API_KEY=sim.api_key,
    )
    state = _no_password(url)
    if case == "unreachable":
        state = "postgresql://telcall@127.0.0.1:1/nowhere"
    else:
        await connection.execute("CREATE TABLE telcall_cdrs (id text PRIMARY KEY)")
    out = tmp_path / "out"
    code, stdout, err = await _cli(
        "export", "cdrs", "--provider", "tel4vn", "--since", START, "--until", END,
        "--out", str(out), "--format", "postgresql", "--state", state, env=env,
    )  # fmt: skip
    message = {
        "unreachable": "cannot reach the checkpoint database postgresql://***@127.0.0.1:1/nowhere",
        "schema": "does not hold telcall's CDR schema 1",
    }[case]
    assert code == (1 if case == "unreachable" else 2)  # a refused table is a usage error
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert message in lines[0]
    assert sim.count() == 0
    assert not out.exists()
    assert postgres_server.password not in stdout + err
