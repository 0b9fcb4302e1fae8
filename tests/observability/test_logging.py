"""The ``telcall`` logger: silent by default, ``TELCALL_LOG``, and fields on every record."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from telcall import AsyncAICallCenterClient, AsyncTel4vnClient
from telcall._core import logs
from telcall.simulator import AICallCenterSimulator, Tel4vnSimulator

FIELDS = ("provider", "method", "path", "status", "attempt", "elapsed")


def test_null_handler_is_installed() -> None:
    """Importing telcall's transport gives the ``telcall`` logger a NullHandler."""
    import telcall._core.transport  # noqa: F401

    assert any(isinstance(h, logging.NullHandler) for h in logging.getLogger("telcall").handlers)


@pytest.mark.parametrize(
    ("value", "level"),
    [
        pytest.param("debug", logging.DEBUG, id="debug"),
        pytest.param("INFO", logging.INFO, id="info-upper"),
    ],
)
def test_telcall_log_installs_a_stderr_handler(value: str, level: int) -> None:
    """``TELCALL_LOG=debug|info`` adds one stderr handler and sets the level (run in a child)."""
    code = (
        "import logging, telcall._core.transport as t, telcall._core.logs as l;"
        "l.configure_from_env();"  # a second call adds no second handler
        "lg = logging.getLogger('telcall');"
        "print(lg.level, sum(isinstance(h, logging.StreamHandler) and "
        "not isinstance(h, logging.NullHandler) for h in lg.handlers));"
        "lg.info('hello from telcall')"
    )
    env = {**os.environ, "TELCALL_LOG": value}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.split() == [str(level), "1"]
    assert "INFO telcall: hello from telcall" in done.stderr


def test_unset_or_unknown_value_changes_nothing() -> None:
    """Without ``TELCALL_LOG`` (or with a value it does not know) no handler is added."""
    before = list(logs.logger.handlers), logs.logger.level
    logs.configure_from_env({"TELCALL_LOG": "verbose"})
    logs.configure_from_env({})
    assert (list(logs.logger.handlers), logs.logger.level) == before


async def test_every_request_record_carries_fields(
    client: AsyncTel4vnClient, sim: Tel4vnSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Request, response and retry records all carry the six fields as attributes."""
    await client.calls.list()
    sim.script(503, times=1, path="/v2/call")
    with caplog.at_level(logging.DEBUG, logger="telcall"):
        await client.calls.list()
    records = [r for r in caplog.records if r.name == "telcall"]
    assert len(records) == 5  # request, 503, retry, request, 200
    for record in records:
        assert {name: hasattr(record, name) for name in FIELDS} == dict.fromkeys(FIELDS, True)
    shown = [(r.status, r.attempt, r.path) for r in records]
    assert shown == [
        (None, 1, "/v2/call"),
        (503, 1, "/v2/call"),
        (503, 1, "/v2/call"),
        (None, 2, "/v2/call"),
        (200, 2, "/v2/call"),
    ]
    assert all(r.provider == "tel4vn" and r.method == "GET" for r in records)
    assert records[4].elapsed > 0


async def test_record_paths_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    """AI Call Center sends its token in the query; the logged path shows ``***`` instead."""
    async with AICallCenterSimulator(calls_per_campaign=3) as sim:
        client = AsyncAICallCenterClient(base_url=sim.base_url, secret_key=sim.secret_key)
        async with client:
            with caplog.at_level(logging.DEBUG, logger="telcall"):
                await client.users.calls.list()
            token = client._transport.redactor
    paths = [r.path for r in caplog.records if getattr(r, "path", None)]
    assert paths
    assert any("access_token=***" in p for p in paths)
    assert any("secret_key=***" in p for p in paths)
    for record in caplog.records:
        for secret in token._values:
            assert secret not in record.getMessage()
            assert secret not in str(vars(record))
