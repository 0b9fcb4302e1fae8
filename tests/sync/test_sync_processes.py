"""The bridge across process events: fork, Ctrl-C and interpreter exit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from collections.abc import Iterator
from types import ModuleType

import pytest

from telcall._sync import Tel4vnClient
from telcall.simulator import Tel4vnSimulator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX fork and signals")


def python(code: str, *args: str, path: str = HERE) -> subprocess.Popen[str]:
    """Start ``python -c code`` with tests/sync (and ``path``) importable."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([path, HERE, ROOT])}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.fixture
def sim_process() -> Iterator[tuple[str, str]]:
    """A simulator in its own process: (base_url, api_key)."""
    server = python(
        "from telcall.simulator._serve import main; main(['--port', '0', '--cdrs', '2000'])"
    )
    assert server.stdout is not None
    base_url = server.stdout.readline().split()[-1]
    api_key = server.stdout.readline().split()[0].removeprefix("api_key=")
    yield base_url, api_key
    server.send_signal(signal.SIGINT)
    server.communicate(timeout=10)


@posix_only
def test_forked_child_calls_work(client: Tel4vnClient, sim: Tel4vnSimulator) -> None:
    """After os.fork() the child's calls work on a fresh loop and session; the parent's too."""
    assert len(client.cdrs.list(limit=1).items) == 1
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a threaded process is risky; this test is about that.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        status = 1
        try:
            items = [cdr.id for cdr in client.cdrs.iterate(page_size=50, max_items=120)]
            ok = len(items) == 120 and len(client.cdrs.list(limit=3).items) == 3
            os.write(write_end, b"ok" if ok else b"wrong")
            client.close()
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    deadline = time.monotonic() + 20
    while (waited := os.waitpid(pid, os.WNOHANG)) == (0, 0):
        assert time.monotonic() < deadline, "child hung"
        time.sleep(0.05)
    assert os.read(read_end, 10) == b"ok"
    os.close(read_end)
    assert os.waitstatus_to_exitcode(waited[1]) == 0
    assert len(client.cdrs.list(limit=2).items) == 2


SIGINT_CHILD = """
import asyncio, sys, threading, time
from telcall._sync import Tel4vnClient
from telcall.simulator import Delay, Tel4vnSimulator

loop = asyncio.new_event_loop()
threading.Thread(target=loop.run_forever, daemon=True).start()
sim = Tel4vnSimulator(cdrs=500, seed=1)
asyncio.run_coroutine_threadsafe(sim.start(), loop).result()
mode = sys.argv[1]
with Tel4vnClient(base_url=sim.base_url, api_key=sim.api_key, pool_limit=1) as client:
    first = client.cdrs.list(limit=1).items[0].id
    for round in range(10):
        if mode == "iterate":
            sim.script(Delay(0), path="/v2/cdr")
        sim.script(Delay(60), path="/v2/cdr")
        started = time.monotonic()
        try:
            if mode == "call":
                print("ready", flush=True)
                client.cdrs.list(limit=5)
            else:
                for n, page in enumerate(client.cdrs.pages(page_size=100)):
                    print("ready", flush=True)
        except KeyboardInterrupt:
            # The interrupted request released the only pooled connection.
            assert client.cdrs.get(first, timeout=5).id == first
            print("interrupted", round, f"{time.monotonic() - started:.1f}", flush=True)
        else:
            print("not interrupted", flush=True)
            sys.exit(1)
print("done", flush=True)
"""


@posix_only
@pytest.mark.slow
@pytest.mark.parametrize(
    "mode", [pytest.param("call", id="call"), pytest.param("iterate", id="iterate")]
)
def test_sigint_cancels_and_raises_keyboard_interrupt(mode: str) -> None:
    """SIGINT during a call or an iteration: cleanup runs, KeyboardInterrupt is raised, 10 times."""
    child = python(SIGINT_CHILD, mode)
    assert child.stdout is not None
    try:
        for round_ in range(10):
            assert child.stdout.readline().strip() == "ready"
            time.sleep(0.3)
            child.send_signal(signal.SIGINT)
            words = child.stdout.readline().split()
            assert ["interrupted", str(round_)] == words[:2]
            assert float(words[2]) < 5
        assert child.stdout.readline().strip() == "done"
        assert child.wait(timeout=10) == 0
    finally:
        child.kill()
        child.communicate()


EXIT_CHILD = """
import sys
from sync_fake_facade import FakeClient
from telcall._sync import Tel4vnClient

client = Tel4vnClient(base_url=sys.argv[1], api_key=sys.argv[2])
pages = client.cdrs.pages(page_size=100, prefetch=1)
next(pages)
items = client.cdrs.iterate(page_size=100)
next(items)
fake = FakeClient(echo=True)
widgets = fake.widgets.iterate()
next(widgets)
print("exiting", flush=True)
"""


def test_exit_with_open_client_and_iterators_is_clean(
    sim_process: tuple[str, str], fake: ModuleType
) -> None:
    """Exiting with unclosed clients and half-consumed iterators cleans up, quickly and silently."""
    started = time.monotonic()
    child = python(EXIT_CHILD, *sim_process, path=os.path.dirname(str(fake.__file__)))
    out, err = child.communicate(timeout=20)
    assert out.split("\n")[:-1] == ["open", "fetch 0", "exiting", "finally", "aclose"]
    assert err == ""
    assert child.returncode == 0
    assert time.monotonic() - started < 5
