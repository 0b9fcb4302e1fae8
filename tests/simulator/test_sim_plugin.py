"""The pytest plugin's fixtures, used from a project outside this one (a fresh pytest run)."""

import subprocess
import sys

import pytest

from telcall import simulator

TEST_FILE = '''
import aiohttp


async def test_fixture(tel4vn_simulator):
    """The fixture yields a running simulator with 1,000 CDRs."""
    assert 1000 == len(list(tel4vn_simulator.cdr_ids()))
    async with aiohttp.ClientSession() as s:
        async with s.post(tel4vn_simulator.base_url + "/v2/auth/token",
                          json={"api_key": tel4vn_simulator.api_key}) as resp:
            assert 200 == resp.status


async def test_factory(tel4vn_simulator_factory):
    """The factory starts simulators with the given options."""
    sim = await tel4vn_simulator_factory(cdrs=5, mapping="flex")
    other = await tel4vn_simulator_factory(cdrs=1)
    assert sim.base_url != other.base_url
    assert "cdrId" in sim.cdr(0)
'''


def run(*args, cwd):
    """Run a Python command in a fresh interpreter; return the completed process."""
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("mode", ["auto", "strict"])
def test_fixtures_from_outside(tmp_path, mode):
    """Both fixtures work from a foreign project in pytest-asyncio auto and strict modes."""
    (tmp_path / "pytest.ini").write_text(
        f"[pytest]\nasyncio_mode = {mode}\nasyncio_default_fixture_loop_scope = function\n"
        "filterwarnings = error\n"
    )
    source = (
        TEST_FILE
        if mode == "auto"
        else TEST_FILE.replace("async def test_", "@pytest.mark.asyncio\nasync def test_").replace(
            "import aiohttp", "import aiohttp\nimport pytest"
        )
    )
    (tmp_path / "test_outside.py").write_text(source)
    result = run("-m", "pytest", "-p", "no:cacheprovider", "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


SYNC_TEST_FILE = '''
from telcall import AICallCenterClient, OmicallClient, Tel4vnClient


def test_sync_fixture(tel4vn_simulator_sync):
    """A plain test reads the simulator through the sync client."""
    with Tel4vnClient(base_url=tel4vn_simulator_sync.base_url,
                      api_key=tel4vn_simulator_sync.api_key) as client:
        assert client.cdrs.list(offset=0, limit=5).total == 1000


def test_sync_factory(tel4vn_simulator_sync_factory):
    """The sync factory starts simulators with the given options."""
    sim = tel4vn_simulator_sync_factory(cdrs=7)
    other = tel4vn_simulator_sync_factory(cdrs=1)
    assert sim.base_url != other.base_url
    with Tel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as client:
        assert client.cdrs.list(offset=0, limit=5).total == 7


def test_other_providers(omicall_simulator_sync, aicallcenter_simulator_sync):
    """The OMICall and AI Call Center sync fixtures serve their clients."""
    with OmicallClient(base_url=omicall_simulator_sync.base_url,
                       api_key=omicall_simulator_sync.api_key) as omi:
        assert omi.contacts.list().total >= 1
    with AICallCenterClient(base_url=aicallcenter_simulator_sync.base_url,
                            secret_key=aicallcenter_simulator_sync.secret_key) as aicc:
        assert aicc.users.calls.list(limit=1).total > 0


def test_async_fixture_in_sync_test(tel4vn_simulator):
    """Never reached: the async fixture refuses a sync test instead of hanging it."""
'''


@pytest.mark.parametrize("mode", ["auto", "strict"])
def test_sync_fixtures_from_outside(tmp_path, mode):
    """The sync fixtures serve plain tests; an async fixture in a plain test fails fast, named."""
    (tmp_path / "pytest.ini").write_text(
        f"[pytest]\nasyncio_mode = {mode}\nasyncio_default_fixture_loop_scope = function\n"
        "filterwarnings = error\n"
    )
    (tmp_path / "test_outside_sync.py").write_text(SYNC_TEST_FILE)
    result = run("-m", "pytest", "-p", "no:cacheprovider", "-q", cwd=tmp_path)
    assert "3 passed" in result.stdout, result.stdout + result.stderr
    assert "1 error" in result.stdout, result.stdout
    assert "Use tel4vn_simulator_sync" in result.stdout


def test_public_names_exported():
    """Every name in telcall.simulator.__all__ resolves, and the list is sorted."""
    assert all(hasattr(simulator, name) for name in simulator.__all__)
    assert set(simulator.__all__) == set(simulator._HOMES)
    assert sorted(simulator.__all__, key=lambda n: (not n.isupper(), n)) == list(simulator.__all__)


def test_plugin_import_is_light(tmp_path):
    """Importing the plugin does not import the simulator or aiohttp.web."""
    result = run(
        "-c",
        "import sys, telcall.simulator.pytest_plugin; "
        "heavy = ('telcall.simulator._', 'aiohttp.web'); "
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))",
        cwd=tmp_path,
    )
    assert result.stdout.splitlines() == ["[]"], result.stderr
