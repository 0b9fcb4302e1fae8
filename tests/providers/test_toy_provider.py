"""A fourth provider is a one-folder change: a toy package registered by an entry point.

``toy_provider/`` (next to this file) is copied into a temporary site directory with a
``.dist-info`` declaring ``toy = toy_provider._spec:SPEC`` in the ``telcall.providers`` group;
every check runs in a subprocess with that directory on ``PYTHONPATH``, so nothing in telcall
is edited and nothing leaks into this process's registry.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import pytest

HERE = Path(__file__).parent
ROOT = HERE.parent.parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the toy package and its distribution's entry point."""
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(
        HERE / "toy_provider", root / "toy_provider", ignore=shutil.ignore_patterns("__pycache__")
    )
    info = root / "toy_provider-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-provider\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[telcall.providers]\ntoy = toy_provider._spec:SPEC\n")
    return root


def env_for(site: Path, **extra: str) -> dict[str, str]:
    """This environment with the site on the path and no TELCALL_* variable but ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELCALL_")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {**env, **extra}


def run(site: Path, args: Sequence[str], **extra: str) -> subprocess.CompletedProcess[str]:
    """Run ``python *args`` in the repository with the toy installed."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env_for(site, **extra),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def run_script(site: Path, code: str, **extra: str) -> str:
    """Run ``code`` with the toy installed; its stdout (it must exit 0)."""
    done = run(site, ["-c", textwrap.dedent(code)], **extra)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_registry_and_redaction_know_the_toy(site: Path) -> None:
    """The entry point adds ``toy`` after the built-ins; its secret parameter is a secret name."""
    out = run_script(
        site,
        """
        import json
        from telcall._core.redaction import redact_url
        from telcall.providers import specs

        print(json.dumps({
            "providers": list(specs()),
            "url": redact_url("https://toy.example/calls?toy_pin=1234&limit=5"),
        }))
        """,
    )
    seen = json.loads(out)
    assert seen["providers"] == ["tel4vn", "omicall", "aicallcenter", "toy"]
    assert seen["url"] == "https://toy.example/calls?toy_pin=***&limit=5"


def test_toy_pin_is_not_a_secret_name_without_the_toy() -> None:
    """Without the toy registered, ``toy_pin`` is an ordinary name: the toy's spec added it."""
    from telcall._core.redaction import redact_url

    assert "1234" in redact_url("https://toy.example/calls?toy_pin=1234")


def test_cli_simulates_and_lists_the_toy(site: Path) -> None:
    """``telcall simulate --provider toy`` serves it; ``cdrs list --provider toy`` reads it."""
    helped = run(site, ["-m", "telcall.cli", "cdrs", "list", "--help"])
    assert "--toy-pin KEY" in helped.stdout
    assert "Toy: TELCALL_TOY_BASE_URL, TELCALL_TOY_TOY_PIN, TELCALL_TOY_TOKEN" in " ".join(
        helped.stdout.split()
    )
    served = subprocess.Popen(
        [sys.executable, "-m", "telcall.cli", "simulate", "--provider", "toy", "--port", "0"],
        cwd=ROOT,
        env=env_for(site),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert served.stdout is not None
        banner = list(iter(served.stdout.readline, "Press Ctrl-C to stop.\n"))
        assert banner[0].startswith("Toy simulator: 3 calls"), banner
        exports = dict(
            line.strip().removeprefix("export ").split("=", 1)
            for line in banner
            if line.strip().startswith("export ")
        )
        listed = run(
            site,
            [
                *("-m", "telcall.cli", "cdrs", "list", "--provider", "toy", "--json"),
                *("--base-url", exports["TELCALL_TOY_BASE_URL"]),
                *("--toy-pin", exports["TELCALL_TOY_TOY_PIN"]),
                *("--start-date", "2026-05-01", "--end-date", "2026-07-01"),
            ],
        )
        assert listed.returncode == 0, listed.stderr
        records = [json.loads(line) for line in listed.stdout.splitlines()]
        assert [(r["id"], r["provider"]) for r in records] == [
            ("c0", "toy"),
            ("c1", "toy"),
            ("c2", "toy"),
        ]
    finally:
        served.send_signal(signal.SIGTERM)
        served.communicate(timeout=30)
    assert served.returncode == 0


def test_export_reads_the_toy(site: Path, tmp_path: Path) -> None:
    """``open_client`` builds a toy client from a Connection; ``source_for`` wraps it."""
    out = run_script(
        site,
        f"""
        import asyncio, json, os
        from telcall.export import Connection, export_cdrs
        from telcall.export._source import open_client, source_for
        from toy_provider.client import AsyncToyClient
        from toy_provider.simulator import ToySimulator

        async def main():
            async with ToySimulator(calls=4) as sim:
                os.environ["TELCALL_TOY_TOY_PIN"] = sim.toy_pin
                conn = Connection(provider="toy", base_url=sim.base_url, tz="Asia/Ho_Chi_Minh")
                async with open_client(conn) as client:
                    assert isinstance(client, AsyncToyClient)
                    source = source_for(client)
                    summary = await export_cdrs(
                        client, "2026-05-01", "2026-07-01", {str(tmp_path / "out")!r}
                    )
                return type(source).__name__, summary.records

        print(json.dumps(asyncio.run(main())))
        """,
    )
    assert json.loads(out) == ["ToySource", 4]


def test_pytest_plugin_serves_the_toy(site: Path, tmp_path: Path) -> None:
    """The plugin defines the four toy fixtures, async and sync, with the spec's defaults."""
    (tmp_path / "test_toy.py").write_text(
        textwrap.dedent(
            '''
            """Uses the toy's fixtures."""


            async def test_ready(toy_simulator):
                """The ready-made simulator has the spec's 3 calls."""
                assert len(toy_simulator.calls) == 3


            async def test_factory(toy_simulator_factory):
                """The factory takes the simulator's arguments."""
                sim = await toy_simulator_factory(calls=7)
                assert len(sim.calls) == 7


            def test_sync(toy_simulator_sync, toy_simulator_sync_factory):
                """The sync twins serve from a thread."""
                assert toy_simulator_sync.base_url.startswith("http://127.0.0.1:")
                assert len(toy_simulator_sync_factory(calls=2).calls) == 2
            '''
        )
    )
    done = run(
        site,
        [
            *("-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path / "test_toy.py")),
            *("-o", "asyncio_mode=auto", "-o", "asyncio_default_fixture_loop_scope=function"),
            *("--rootdir", str(tmp_path)),
        ],
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout


def test_generator_writes_the_toy_facade(site: Path) -> None:
    """``--check`` reports the toy's missing facade; generating writes it into its folder."""
    checked = run(site, ["scripts/generate_sync.py", "--check"])
    assert checked.returncode == 1
    assert "toy_provider/_sync/toy.py" in checked.stdout
    assert "toy_provider/_raw/toy.py" in checked.stdout
    assert checked.stdout.count("stale:") == 2, checked.stdout
    written = run(site, ["scripts/generate_sync.py"])
    assert written.returncode == 0, written.stderr
    assert sorted(written.stdout.splitlines()) == [
        f"wrote {site / 'toy_provider' / '_raw' / 'toy.py'}",
        f"wrote {site / 'toy_provider' / '_sync' / 'toy.py'}",
    ]
    # One process for the generated client's calls and the second --check (fresh now).
    out = run_script(
        site,
        """
        import runpy, sys
        from telcall.simulator import serve_in_thread
        from toy_provider._sync.toy import ToyClient
        from toy_provider.simulator import ToySimulator

        with serve_in_thread(ToySimulator(calls=2)) as sim:
            with ToyClient(base_url=sim.base_url, toy_pin=sim.toy_pin) as client:
                print([call.id for call in client.calls.list()])
        sys.argv = ["generate_sync.py", "--check"]
        try:
            runpy.run_path("scripts/generate_sync.py", run_name="__main__")
        except SystemExit as done:
            print("check exit", done.code)
        """,
    )
    assert out.splitlines() == ["['c0', 'c1']", "check exit 0"]


#: A toy module that reaches into another provider.
BORROWED = '"""Reaches into another provider."""\n\nfrom telcall.tel4vn import models\n'


def test_layout_rules_cover_the_toy(site: Path) -> None:
    """The layout test checks the toy's imports: one of another provider fails it."""
    # The layout test's own check, called in one process before and after a bad import.
    out = run_script(
        site,
        f"""
        import json
        from pathlib import Path
        from tests import test_layout

        def check():
            try:
                test_layout.test_providers_do_not_import_each_other("toy_provider")
            except AssertionError as failed:
                return str(failed)
            return "passed"

        clean = check()
        bad = Path({str(site / "toy_provider" / "borrowed.py")!r})
        bad.write_text({BORROWED!r})
        try:
            broken = check()
        finally:
            bad.unlink()
        print(json.dumps([test_layout.PROVIDERS, clean, broken]))
        """,
    )
    providers, clean, broken = json.loads(out)
    assert "toy_provider" in providers
    assert clean == "passed"
    assert "borrowed.py" in broken
    assert "telcall.tel4vn" in broken
