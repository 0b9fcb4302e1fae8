"""The CLI's rough edges: help text, progress labels, tables, input errors, every provider."""

from __future__ import annotations

import io
from datetime import timedelta

import aiohttp
import msgspec
import pytest

from telcall.cli import build_parser
from telcall.cli._cdrs import CDR_COLUMNS
from telcall.cli._common import connect
from telcall.cli._export import _Plain, _progress, parse_lookback
from telcall.cli._ui import Ui
from telcall.export import ExportProgress

from .conftest import clean_env, run_cli, sim_env

_UUID = "01b7d166-b564-42ec-80a1-4ad343225934"


def _help(*command: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit):
        build_parser().parse_args([*command, "--help"])
    return " ".join(capsys.readouterr().out.split())


def test_top_help_names_every_provider(capsys):
    """`telcall --help` no longer says "(TEL4VN today)" and lists each provider's variables."""
    text = _help(capsys=capsys)
    assert "TEL4VN today" not in text
    for variable in ("TELCALL_OMICALL_API_KEY", "TELCALL_AICALLCENTER_SECRET_KEY", "HTTPS_PROXY"):
        assert variable in text


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        pytest.param(("export", "cdrs"), "windows at once (default: 4)", id="concurrency"),
        pytest.param(("export", "cdrs"), "window length (default: 1d)", id="window"),
        pytest.param(("export", "cdrs"), "(0: none) (default: 2h)", id="lookback"),
        pytest.param(("export", "cdrs"), "(default: ndjson)", id="format"),
        pytest.param(("cdrs", "list"), "call-center provider (default: tel4vn)", id="provider"),
        pytest.param(("cdrs", "list"), "per-request timeout (default: 30)", id="timeout"),
    ],
)
def test_help_shows_defaults(command, shown, capsys):
    """Every option with a default says it in --help."""
    assert shown in _help(*command, capsys=capsys)


def _state(done: int, planned: int, elapsed: float) -> ExportProgress:
    fields = dict.fromkeys(ExportProgress.__struct_fields__, 0)
    fields.update(windows_done=done, windows_planned=planned, records=1000, elapsed=elapsed)
    return ExportProgress(**fields)


def test_plain_progress_labels_elapsed_and_eta():
    """The plain progress line says which time is elapsed and which the ETA."""
    err = io.StringIO()
    progress = _Plain(err)
    progress.update(_state(1, 4, 10.0))
    progress.show()
    assert err.getvalue().rstrip().endswith("elapsed 0:00:10  ETA 0:00:30")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_rich_progress_labels_elapsed_and_eta(monkeypatch):
    """The rich progress bar labels both of its times."""
    monkeypatch.setenv("COLUMNS", "200")
    err = _Terminal()
    with _progress(Ui(io.StringIO(), err)) as progress:
        progress.update(_state(1, 4, 10.0))
    line = next(line for line in err.getvalue().splitlines() if "ETA" in line)
    assert line.index("elapsed") < line.index("ETA")


def test_uuid_column_is_not_wrapped_at_120_columns(monkeypatch):
    """A CDR table on a 120-column terminal keeps every id on one line."""
    monkeypatch.setenv("COLUMNS", "120")
    out = io.StringIO()
    row = [_UUID, "2026-11-01 10:00:00", "outbound", "no-answer", "0899888998",
           "0393123457111", "1001", "1234", "1200"]  # fmt: skip
    Ui(out, io.StringIO(), fancy=True).table(CDR_COLUMNS, [row, row])
    assert sum(_UUID in line for line in out.getvalue().splitlines()) == 2


@pytest.mark.parametrize(
    ("args", "error"),
    [
        pytest.param(
            ["--window", "99999999999999999999d"],
            "argument --window: '99999999999999999999d' is longer than 3660d",
            id="window-overflow",
        ),
        pytest.param(
            ["--window", "999999999d"],
            "argument --window: '999999999d' is longer than 3660d",
            id="window-year-out-of-range",
        ),
        pytest.param(
            ["--concurrency", "-3"], "argument --concurrency: '-3' must be >= 1", id="negative"
        ),
        pytest.param(["--concurrency", "0"], "argument --concurrency: '0' must be >= 1", id="zero"),
        pytest.param(
            ["--timeout", "nan"],
            "argument --timeout: 'nan' must be a finite number of seconds > 0",
            id="timeout-nan",
        ),
    ],
)
async def test_export_input_errors_are_usage_errors(args, error, tmp_path):
    """Out-of-range numbers and durations: one usage line and one error line, exit 2."""
    result = await run_cli("export", "cdrs", "--since", "2026-11-01", "--out", str(tmp_path), *args)
    assert (result.code, result.out) == (2, "")
    assert ["usage: telcall export cdrs [options]", f"telcall export cdrs: error: {error}"] == (
        result.err_lines
    )


def test_lookback_zero_is_accepted():
    """--lookback 0 re-reads nothing, as export_cdrs(lookback=0) does."""
    args = build_parser().parse_args(
        ["export", "cdrs", "--since", "last", "--out", "x", "--lookback", "0"]
    )
    assert timedelta(0) == args.lookback == parse_lookback("0s")


async def test_since_last_with_lookback_zero(tel4vn_simulator, tmp_path):
    """--since last --lookback 0 continues exactly at the checkpoint: only new windows."""
    env = sim_env(tel4vn_simulator)
    base = ("export", "cdrs", "--out", str(tmp_path), "--window", "6h", "--json")
    first = await run_cli(*base, "--since", "2026-11-01", "--until", "2026-11-04", env=env)
    assert first.code == 0, first.err
    second = await run_cli(
        *base, "--since", "last", "--lookback", "0", "--until", "2026-11-08", env=env
    )
    assert second.code == 0, second.err
    summary = msgspec.json.decode(second.out)
    assert (summary["windows_planned"], summary["windows_done"]) == (16, 16)


async def test_parquet_without_pyarrow_is_a_usage_hint(tmp_path):
    """--format parquet without pyarrow: install hint, exit 2, before any connection."""
    blocker = tmp_path / "site" / "pyarrow"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('No module named pyarrow')\n")
    env = clean_env(PYTHONPATH=str(blocker.parent))
    result = await run_cli(
        "export", "cdrs", "--since", "2026-11-01", "--out", str(tmp_path / "out"),
        "--format", "parquet", env=env,
    )  # fmt: skip
    assert (result.code, result.out) == (2, "")
    assert result.err_lines == [
        "telcall export cdrs: error: --format parquet needs pyarrow: pip install 'telcall[parquet]'"
    ]


@pytest.mark.parametrize(
    ("variables", "error"),
    [
        pytest.param(
            {"TELCALL_TEL4VN_API_KEY": "sekret-\udcff-value"},
            "api_key (from TELCALL_TEL4VN_API_KEY) is not valid UTF-8 text",
            id="api-key",
        ),
        pytest.param(
            {"TELCALL_TEL4VN_BASE_URL": "http://127.0.0.1:9/\udcff", "TELCALL_TEL4VN_TOKEN": "t"},
            "base_url (from TELCALL_TEL4VN_BASE_URL) is not valid UTF-8 text",
            id="base-url",
        ),
    ],
)
async def test_non_utf8_environment_is_a_clean_usage_error(variables, error):
    """Undecodable bytes in a variable: one line naming it, the value not quoted, exit 2."""
    env = clean_env(**{"TELCALL_TEL4VN_BASE_URL": "http://127.0.0.1:9", **variables})
    result = await run_cli("cdrs", "list", env=env)
    assert (result.code, result.out) == (2, "")
    [line] = result.err_lines
    assert line.startswith(f"telcall cdrs list: error: {error}")
    assert "sekret" not in result.err


async def test_cdrs_list_omicall(omicall_simulator):
    """cdrs list --provider omicall lists OMICall's call history as CallRecords."""
    sim = omicall_simulator
    env = clean_env(TELCALL_OMICALL_BASE_URL=sim.base_url, TELCALL_OMICALL_API_KEY=sim.api_key)
    result = await run_cli(
        "cdrs", "list", "--provider", "omicall", "--start-date", "2026-11-01",
        "--end-date", "2026-11-08", "--limit", "7", "--json", env=env,
    )  # fmt: skip
    assert (result.code, result.err) == (0, "")
    records = [msgspec.json.decode(line) for line in result.out.splitlines()]
    assert len(records) == 7
    assert {"omicall"} == {record["provider"] for record in records}


@pytest.mark.parametrize(
    ("start", "code"),
    [
        pytest.param("2026-11-01T10:00:00Z", 0, id="t-zulu"),
        pytest.param("2026-11-01 17:00:00+07:00", 0, id="space-offset"),
        pytest.param("01/11/2026", 2, id="not-iso"),
    ],
)
async def test_cdrs_list_dates_parse_as_everywhere(omicall_simulator, start, code):
    """cdrs list --provider omicall reads dates with the API's one parser (ISO 8601, T or space)."""
    sim = omicall_simulator
    env = clean_env(TELCALL_OMICALL_BASE_URL=sim.base_url, TELCALL_OMICALL_API_KEY=sim.api_key)
    result = await run_cli(
        "cdrs", "list", "--provider", "omicall", "--start-date", start,
        "--end-date", "2026-11-08", "--limit", "1", "--json", env=env,
    )  # fmt: skip
    assert result.code == code, result.err
    if code:
        assert "--start-date must be an ISO 8601 date" in result.err


@pytest.mark.parametrize(
    "campaign", [pytest.param(False, id="call-log"), pytest.param(True, id="campaign")]
)
async def test_cdrs_list_aicallcenter(aicallcenter_simulator, campaign):
    """cdrs list --provider aicallcenter lists the call log, or one --campaign, as a table."""
    sim = aicallcenter_simulator
    env = clean_env(
        TELCALL_AICALLCENTER_BASE_URL=sim.base_url, TELCALL_AICALLCENTER_SECRET_KEY=sim.secret_key
    )
    flags = ["--campaign", sim.campaign_id] if campaign else []
    result = await run_cli(
        "cdrs", "list", "--provider", "aicallcenter", *flags, "--start-date", "2026-11-01",
        "--end-date", "2026-11-08", "--limit", "3", env=env,
    )  # fmt: skip
    assert result.code == 0, result.err
    header, *rows = result.out.splitlines()
    assert header.startswith("ID")
    assert len(rows) == 3


@pytest.mark.parametrize(
    ("args", "error"),
    [
        pytest.param(
            ["--provider", "omicall", "--extension", "101"],
            "--extension is for --provider tel4vn, not omicall",
            id="tel4vn-filter",
        ),
        pytest.param(
            ["--campaign", "c1"],
            "--campaign is for --provider aicallcenter, not tel4vn",
            id="campaign",
        ),
        pytest.param(
            ["--provider", "omicall", "--mapping", "flex"],
            "--mapping is for --provider tel4vn, not omicall",
            id="mapping",
        ),
        pytest.param(
            ["--provider", "aicallcenter", "--start-date", "soon"],
            "--start-date must be an ISO 8601 date or date and time "
            "('2026-11-01', '2026-11-01T10:00:00+07:00'); got 'soon'",
            id="bad-date",
        ),
    ],
)
async def test_cdrs_list_flags_of_another_provider(args, error):
    """A flag the chosen provider does not take is a usage error, exit 2."""
    env = clean_env(
        TELCALL_OMICALL_BASE_URL="http://127.0.0.1:9", TELCALL_OMICALL_TOKEN="t",
        TELCALL_AICALLCENTER_BASE_URL="http://127.0.0.1:9", TELCALL_AICALLCENTER_ACCESS_TOKEN="t",
        TELCALL_TEL4VN_BASE_URL="http://127.0.0.1:9", TELCALL_TEL4VN_TOKEN="t",
    )  # fmt: skip
    result = await run_cli("cdrs", "list", *args, env=env)
    assert (result.code, result.out) == (2, "")
    assert [f"telcall cdrs list: error: {error}"] == result.err_lines


async def test_token_flag_beats_api_key_in_environment(tel4vn_simulator):
    """--token alone is used as given: a wrong TELCALL_TEL4VN_API_KEY beside it is not read."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{tel4vn_simulator.base_url}/v2/auth/token",
            json={"api_key": tel4vn_simulator.api_key},
        ) as resp,
    ):
        token = (await resp.json())["data"]["token"]
    env = sim_env(tel4vn_simulator)
    env["TELCALL_TEL4VN_API_KEY"] = "wrong-key"
    result = await run_cli("cdrs", "list", "--limit", "1", "--json", "--token", token, env=env)
    assert (result.code, result.err) == (0, "")
    assert tel4vn_simulator.count(path="/v2/auth/token") == 1


def test_proxy_flag_reaches_the_client(monkeypatch):
    """--proxy goes to the client: the transport uses it, credentials split off."""
    monkeypatch.delenv("TELCALL_TEL4VN_API_KEY", raising=False)
    args = build_parser().parse_args(
        ["cdrs", "list", "--base-url", "http://pbx.test", "--token", "t",
         "--proxy", "http://agent:pw@127.0.0.1:3128"]
    )  # fmt: skip
    client = connect(args)
    assert client._transport._proxy == "http://127.0.0.1:3128"
