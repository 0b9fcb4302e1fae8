"""Helpers for the CLI tests: run ``telcall`` in a subprocess without blocking the event loop.

The simulators these tests query run on the test's own event loop, so the CLI
must run as an asyncio subprocess: a blocking ``subprocess.run`` would freeze
the server the CLI is talking to.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence

import msgspec

from telcall.simulator import Tel4vnSimulator

CLI = (sys.executable, "-m", "telcall.cli")


class Result(msgspec.Struct, frozen=True):
    """How a CLI run ended."""

    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        """Non-empty stderr lines."""
        return [line for line in self.err.splitlines() if line.strip()]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any TELCALL_* variable the developer may have set, plus extra."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELCALL_")}
    env.update(extra)
    return env


async def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    command: Sequence[str] = CLI,
    timeout: float = 60,
) -> Result:
    """Run the CLI to completion; return its exit code and decoded output."""
    proc = await asyncio.create_subprocess_exec(
        *command,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env if env is not None else clean_env(),
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return Result(proc.returncode, out.decode(), err.decode())


def sim_env(sim: Tel4vnSimulator) -> dict[str, str]:
    """Environment pointing the CLI at ``sim`` with its api key."""
    return clean_env(TELCALL_TEL4VN_BASE_URL=sim.base_url, TELCALL_TEL4VN_API_KEY=sim.api_key)
