"""``telcall export cdrs --tenants FILE``: many tenants from a TOML file, checked before work."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec
import pytest

from telcall.simulator import Tel4vnSimulator

from .conftest import clean_env, run_cli

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DAYS = ("--since", "2026-11-01", "--until", "2026-11-03")
START, END = datetime(2026, 11, 1, tzinfo=VN), datetime(2026, 11, 3, tzinfo=VN)
PASTED = "pasted-secret-value-7f3a"


def _ids(where: Path) -> list[str]:
    return [
        msgspec.json.decode(line)["id"]
        for part in sorted(where.glob("date=*/part-*.ndjson"))
        for line in part.read_bytes().splitlines()
    ]


def _toml(path: Path, sims: dict[str, Tel4vnSimulator], **extra: str) -> Path:
    sections = [
        f'[{label}]\nprovider = "tel4vn"\nbase_url = "{sim.base_url}"\n'
        f'secret_env = "KEY_{label.upper()}"\nmapping = "default"\n'
        for label, sim in sims.items()
    ]
    sections += [f"[{label}]\n{body}\n" for label, body in extra.items()]
    path.write_text("\n".join(sections), encoding="utf-8")
    return path


async def test_two_tenants_export_side_by_side(tmp_path: Path) -> None:
    """Each tenant's records land exactly under tenant=<label>/; a line and a row per tenant."""
    async with Tel4vnSimulator(cdrs=300, seed=1) as a, Tel4vnSimulator(cdrs=200, seed=2) as b:
        file = _toml(tmp_path / "tenants.toml", {"acme": a, "globex": b})
        env = clean_env(KEY_ACME=a.api_key, KEY_GLOBEX=b.api_key)
        out = tmp_path / "out"
        result = await run_cli(
            "export", "cdrs", "--tenants", str(file), *DAYS, "--out", str(out), env=env
        )
        assert result.code == 0, result.err
        for label, sim in (("acme", a), ("globex", b)):
            assert sorted(_ids(out / f"tenant={label}")) == sorted(sim.cdr_ids(START, END))
            assert sim.count("POST", "/v2/auth/token") == 1
        assert [line.split()[0] for line in result.err_lines] == ["acme", "globex"]
        assert "Export summary by tenant" in result.out
        assert "acme" in result.out
        assert "globex" in result.out
        again = await run_cli(
            "export", "cdrs", "--tenants", str(file), *DAYS, "--out", str(out), "--json", env=env
        )
    assert again.code == 0, again.err
    status = await run_cli("export", "status", str(out / "tenant=acme"), "--json")
    assert msgspec.json.decode(status.out)["done"] == 2
    root = await run_cli("export", "status", str(out))
    assert root.code == 1
    assert "its tenants' exports are in tenant=acme, tenant=globex" in root.err
    report = msgspec.json.decode(again.out)
    assert report["errors"] == {}
    assert {label: s["windows_skipped"] for label, s in report["tenants"].items()} == {
        "acme": 2,
        "globex": 2,
    }


async def test_a_missing_secret_stops_it_before_any_request(tmp_path: Path) -> None:
    """Every tenant without its variable is named; nothing is sent and nothing is created."""
    async with Tel4vnSimulator(cdrs=10) as a, Tel4vnSimulator(cdrs=10) as b:
        file = _toml(tmp_path / "tenants.toml", {"acme": a, "globex": b})
        out = tmp_path / "out"
        result = await run_cli(
            "export", "cdrs", "--tenants", str(file), *DAYS, "--out", str(out),
            env=clean_env(KEY_GLOBEX=b.api_key),
        )  # fmt: skip
        assert result.code == 2
        assert result.err_lines == [
            "telcall export cdrs: error: no secret for tenant acme (KEY_ACME): "
            "set the environment variable the tenants file names in secret_env"
        ]
        assert a.count() == b.count() == 0
    assert not out.exists()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        pytest.param(
            f'provider = "tel4vn"\nbase_url = "http://127.0.0.1:9"\napi_key = "{PASTED}"\n'
            'secret_env = "K"',
            "unknown field `api_key`",
            id="secret-pasted-in-the-file",
        ),
        pytest.param('provider = "nope"\nsecret_env = "K"', "unknown provider", id="provider"),
        pytest.param(
            'provider = "tel4vn"\nbase_url = "http://x"\nsecret_env = "K"\ntz = "Mars/Olympus"',
            "unknown time zone",
            id="zone",
        ),
        pytest.param('provider = "tel4vn"\nbase_url = "http://x"', "secret_env", id="no-env"),
        pytest.param(
            'provider = "tel4vn"\nbase_url = "http://x"\nsecret_env = "K"\nmapping = "nope"',
            "mapping must be one of auto, default, flex",
            id="bad-option",
        ),
        pytest.param(
            'provider = "omicall"\nbase_url = "http://x"\nsecret_env = "K"\nmapping = "flex"',
            "unknown field `mapping` for omicall",
            id="option-of-another-provider",
        ),
    ],
)
async def test_a_bad_tenants_file_is_a_usage_error_that_shows_no_secret(
    tmp_path: Path, body: str, error: str
) -> None:
    """A wrong section exits 2 naming the tenant and the field, never a value pasted there."""
    file = tmp_path / "tenants.toml"
    file.write_text(f"[acme]\n{body}\n", encoding="utf-8")
    result = await run_cli(
        "export", "cdrs", "--tenants", str(file), *DAYS, "--out", str(tmp_path / "out"),
        env=clean_env(K="k"),
    )  # fmt: skip
    assert result.code == 2
    assert error in result.err
    assert "[acme]" in result.err
    assert PASTED not in result.err + result.out


@pytest.mark.parametrize(
    ("content", "error"),
    [
        pytest.param("", "names no tenant", id="empty"),
        pytest.param("[a b]\n", "is not TOML", id="not-toml"),
        pytest.param('["../up"]\nprovider = "tel4vn"\n', "not a label", id="bad-label"),
    ],
)
async def test_a_file_that_names_no_good_tenant_is_refused(
    tmp_path: Path, content: str, error: str
) -> None:
    """An empty file, broken TOML or a label that is no directory name exit 2."""
    file = tmp_path / "tenants.toml"
    file.write_text(content, encoding="utf-8")
    result = await run_cli(
        "export", "cdrs", "--tenants", str(file), *DAYS, "--out", str(tmp_path / "out")
    )
    assert result.code == 2
    assert error in result.err


async def test_one_account_flags_do_not_go_with_tenants(tmp_path: Path) -> None:
    """--base-url (or a secret flag) beside --tenants is a usage error."""
    file = tmp_path / "tenants.toml"
    file.write_text('[a]\nprovider = "tel4vn"\nbase_url = "http://x"\nsecret_env = "K"\n')
    result = await run_cli(
        "export", "cdrs", "--tenants", str(file), *DAYS, "--out", str(tmp_path / "out"),
        "--base-url", "http://127.0.0.1:9", "--api-key", PASTED,
    )  # fmt: skip
    assert result.code == 2
    assert "--api-key, --base-url cannot go with --tenants" in result.err
    assert PASTED not in result.err


async def test_a_refused_tenant_fails_alone(tmp_path: Path) -> None:
    """A tenant whose key is refused fails (exit 1); the other is exported and both have a row."""
    async with Tel4vnSimulator(cdrs=100, seed=3) as a, Tel4vnSimulator(cdrs=100, seed=4) as b:
        file = _toml(tmp_path / "tenants.toml", {"good": a, "bad": b})
        out = tmp_path / "out"
        result = await run_cli(
            "export", "cdrs", "--tenants", str(file), *DAYS, "--out", str(out),
            env=clean_env(KEY_GOOD=a.api_key, KEY_BAD="wrong-key"),
        )  # fmt: skip
        assert result.code == 1
        assert sorted(_ids(out / "tenant=good")) == sorted(a.cdr_ids(START, END))
    assert "1 of 2 tenants failed" in result.err
    row = next(line for line in result.out.splitlines() if "bad" in line)
    assert "AuthenticationError" in row
    assert "wrong-key" not in result.out + result.err
