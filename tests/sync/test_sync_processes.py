"""The bridge across process events: fork, Ctrl-C and interpreter exit."""

from __future__ import annotations

import os
import pathlib
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


# A hook registered before telcall is imported runs after telcall's (atexit is last-in, first-out).
CLOSE_AFTER_EXIT = """
import atexit, sys

def late() -> None:
    client.close()
    client.close()
    print("closed", client.closed, flush=True)

atexit.register(late)

from telcall._sync import Tel4vnClient

client = Tel4vnClient(base_url=sys.argv[1], api_key=sys.argv[2])
client.cdrs.list(limit=1)
print("exiting", flush=True)
"""


def test_close_after_the_exit_hook_is_a_no_op(sim_process: tuple[str, str]) -> None:
    """client.close() from an atexit hook that runs after telcall's drain does nothing, quietly."""
    child = python(CLOSE_AFTER_EXIT, *sim_process)
    out, err = child.communicate(timeout=30)
    assert (out, err, child.returncode) == ("exiting\nclosed True\n", "", 0)


BLOCKED_AT_EXIT = """
import asyncio, sys, threading, time
from telcall._sync import Tel4vnClient
from telcall.simulator import Stall, Tel4vnSimulator

loop = asyncio.new_event_loop()
threading.Thread(target=loop.run_forever, daemon=True).start()
sim = Tel4vnSimulator(cdrs=10, seed=1)
asyncio.run_coroutine_threadsafe(sim.start(), loop).result()
sim.script(Stall(), times=10, path="/v2/cdr")
client = Tel4vnClient(base_url=sim.base_url, api_key=sim.api_key)
threading.Thread(target=lambda: client.cdrs.list(limit=1), daemon=True).start()
threading.Thread(target=lambda: list(client.cdrs.iterate()), daemon=True).start()
while sim.count("GET", "/v2/cdr") < 2:
    time.sleep(0.01)
print("exiting", flush=True)
"""


def test_thread_blocked_in_a_call_at_exit_prints_nothing() -> None:
    """A daemon thread blocked in a sync call when the interpreter exits prints no traceback."""
    child = python(BLOCKED_AT_EXIT)
    out, err = child.communicate(timeout=30)
    assert "Traceback" not in err
    assert (out, err, child.returncode) == ("exiting\n", "", 0)


# Run in a child so that a regression (a deadlocked bridge loop) fails the test on a timeout
# instead of hanging every later sync call in the test session.
ON_BRIDGE_CHILD = """
import asyncio, gc, sys, threading, time
from telcall._sync import Tel4vnClient, _bridge
from telcall.simulator import Tel4vnSimulator

loop = asyncio.new_event_loop()
threading.Thread(target=loop.run_forever, daemon=True).start()
sim = Tel4vnSimulator(cdrs=500, seed=1)
asyncio.run_coroutine_threadsafe(sim.start(), loop).result()
client = Tel4vnClient(base_url=sim.base_url, api_key=sim.api_key)
mode = sys.argv[1]

async def on_bridge(fn):
    return fn()

if mode == "close":
    iterator = client.cdrs.iterate(page_size=100)
    next(iterator)
    _bridge._current().loop.call_soon_threadsafe(iterator.close)
elif mode == "gc":
    def records():
        with client.cdrs.iterate(page_size=100) as iterator:
            yield from iterator

    class Holder:
        pass

    gc.disable()
    holder = Holder()
    holder.cycle = holder
    holder.records = records()
    next(holder.records)
    del holder
    print("collected", _bridge.run(lambda bridge: on_bridge(gc.collect)) > 0, flush=True)
    gc.enable()
elif mode == "step":
    iterator = client.cdrs.iterate(page_size=100)
    next(iterator)
    try:
        _bridge.run(lambda bridge: on_bridge(lambda: [next(iterator) for _ in range(200)]))
    except RuntimeError as exc:
        print("refused", "own event-loop thread" in str(exc), flush=True)
    iterator.close()
elif mode == "client":
    other = Tel4vnClient(base_url=sim.base_url, api_key=sim.api_key)
    _bridge.run(lambda bridge: on_bridge(other.close))
    for _ in range(500):  # closed in the background, soon
        if other.closed:
            break
        time.sleep(0.01)
    print("closed", other.closed, flush=True)
print("listed", len(client.cdrs.list(limit=1).items), flush=True)
client.close()
"""


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        pytest.param("close", "listed 1\n", id="close-scheduled-on-the-bridge"),
        pytest.param("gc", "collected True\nlisted 1\n", id="cyclic-generator-collected-there"),
        pytest.param("step", "refused True\nlisted 1\n", id="step-on-the-bridge-refused"),
        pytest.param("client", "closed True\nlisted 1\n", id="client-close-scheduled-there"),
    ],
)
def test_nothing_on_the_bridge_thread_waits_for_it(mode: str, expected: str) -> None:
    """An iterator closed (directly or by a GC pass) or stepped on the bridge thread never makes
    the bridge wait for itself: later sync calls still work."""
    child = python(ON_BRIDGE_CHILD, mode)
    try:
        out, err = child.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        child.kill()
        out, err = child.communicate()
        pytest.fail(f"the bridge deadlocked; the child printed {out!r}")
    assert (out, err, child.returncode) == (expected, "", 0)


FORK_CHILD_CLEANUP = """
import asyncio, gc, os, sys, threading, time
from telcall._sync import Tel4vnClient, _bridge
from telcall.simulator import Tel4vnSimulator

loop = asyncio.new_event_loop()
threading.Thread(target=loop.run_forever, daemon=True).start()
sim = Tel4vnSimulator(cdrs=500, seed=1)
asyncio.run_coroutine_threadsafe(sim.start(), loop).result()
client = Tel4vnClient(base_url=sim.base_url, api_key=sim.api_key, max_retries=0)
iterator = client.cdrs.iterate(page_size=10)
next(iterator)
assert len(client.cdrs.list(limit=1).items) == 1
pid = os.fork()
if pid == 0:
    # The child: drop every reference to the parent's objects, collect, use a fresh client, and
    # exit normally (so interpreter finalization runs too).
    del iterator, client
    gc.collect()
    # The worst a finalizer of the inherited objects could do: close every transport of the
    # parent's loop (unregistering its socket from the epoll set the parent still uses).
    for old in _bridge._inherited:
        for transport in list(getattr(getattr(old, "loop", None), "_transports", {}).values()):
            transport.close()
    with Tel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as fresh:
        assert len(fresh.cdrs.list(limit=2).items) == 2
    gc.collect()
    sys.exit(0)
_, status = os.waitpid(pid, 0)
print("child", os.waitstatus_to_exitcode(status), flush=True)
started = time.monotonic()
print("parent", len(client.cdrs.list(limit=3, timeout=5).items), flush=True)
print("iterator", next(iterator).id != "", flush=True)
print("prompt", time.monotonic() - started < 2, flush=True)
client.close()
"""


@posix_only
def test_forked_child_cleanup_cannot_touch_the_parents_connections() -> None:
    """A child that drops the parent's client and iterator, collects garbage and exits normally
    leaves the parent's connections, loop and pending iterator working."""
    child = python(FORK_CHILD_CLEANUP)
    try:
        out, err = child.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        child.kill()
        out, err = child.communicate()
        pytest.fail(f"hung; printed {out!r}")
    assert out == "child 0\nparent 3\niterator True\nprompt True\n", err
    assert "Traceback" not in err


# The pattern the README shows for Celery, gunicorn and multiprocessing, run with warnings as
# errors: on Python 3.12+ os.fork() in a process that already runs the bridge thread warns.
DOCUMENTED_FORK_PATTERN = """
import multiprocessing, os, sys

from telcall import Tel4vnClient


def count(base_url, api_key):
    with Tel4vnClient(base_url=base_url, api_key=api_key) as client:
        return len(client.cdrs.list(limit=2).items)


if __name__ == "__main__":
    base_url, api_key = sys.argv[1:]
    # 1. Fork before the first sync client exists (gunicorn --preload, Celery prefork).
    pid = os.fork()
    if pid == 0:
        os._exit(0 if count(base_url, api_key) == 2 else 1)
    _, status = os.waitpid(pid, 0)
    print("forked child", os.waitstatus_to_exitcode(status), flush=True)
    # 2. Once telcall is in use, start workers with forkserver (or spawn), never plain fork.
    print("parent", count(base_url, api_key), flush=True)
    with multiprocessing.get_context("forkserver").Pool(2) as pool:
        print("workers", pool.starmap(count, [(base_url, api_key)] * 2), flush=True)
"""


@posix_only
def test_documented_fork_pattern_is_warning_free(
    sim_process: tuple[str, str], tmp_path: pathlib.Path
) -> None:
    """Forking before first use, then forkserver workers, runs with no warning at all."""
    script = tmp_path / "workers.py"
    script.write_text(DOCUMENTED_FORK_PATTERN)
    done = subprocess.run(
        [sys.executable, "-W", "error", str(script), *sim_process],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": ROOT},
        check=False,
    )
    assert (done.stdout, done.stderr, done.returncode) == (
        "forked child 0\nparent 2\nworkers [2, 2]\n",
        "",
        0,
    )
