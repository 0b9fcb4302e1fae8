"""Real servers for the test suite: Redis and PostgreSQL, started in temp dirs, stopped at the end.

``redis_server`` and ``postgres_server`` are session fixtures (registered by
``tests/conftest.py``): the first test that asks starts the server on a free
loopback port, and it stops when the session ends. The binaries come from the
OS (``.ci/run`` installs ``redis-server`` and ``postgresql`` where missing): a
missing binary fails the tests under ``CI=true`` and skips them elsewhere.
PostgreSQL refuses to run as root, so as root its commands run as the
``postgres`` user in a directory that user owns.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ("PostgresServer", "RedisServer", "postgres_server", "redis_server")

_START_ATTEMPTS = 3
_READY_TIMEOUT = 30.0


def _missing(what: str) -> None:
    """Fail under CI (the servers are part of what CI must prove), skip elsewhere."""
    message = f"{what} is not installed (.ci/run installs it; locally: apt-get install it)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    """A loopback port nobody listens on right now (the caller retries if it is taken)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class RedisServer:
    """A running redis-server: ``url`` is database 0; ``url_for(n)`` any other."""

    host: str
    port: int

    @property
    def url(self) -> str:
        """``redis://host:port/0``."""
        return self.url_for(0)

    def url_for(self, db: int) -> str:
        """The URL of database ``db``."""
        return f"redis://{self.host}:{self.port}/{db}"


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def _run_redis(binary: str, workdir: Path) -> Iterator[RedisServer]:
    """Start redis-server without persistence on a free port; stop it afterwards."""
    log = workdir / "redis.log"
    for _ in range(_START_ATTEMPTS):
        port = _free_port()
        args = [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
            "--logfile",
            str(log),
        ]
        process = subprocess.Popen(args, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + _READY_TIMEOUT
        while process.poll() is None and not _redis_ping(port):
            if time.monotonic() > deadline:
                process.kill()
                break
            time.sleep(0.05)
        if process.poll() is None:
            break
        process.wait(timeout=10)  # most likely the port was taken meanwhile: try another
    else:
        raise RuntimeError(f"redis-server did not start: {log.read_text(errors='replace')}")
    try:
        yield RedisServer(host="127.0.0.1", port=port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A real redis-server on a free loopback port (no RDB, no AOF) for the whole session."""
    binary = shutil.which("redis-server")
    if binary is None:
        _missing("redis-server")
    assert binary is not None
    with (
        tempfile.TemporaryDirectory(prefix="telcall-redis-") as workdir,
        _run_redis(binary, Path(workdir)) as server,
    ):
        yield server


@dataclass(frozen=True)
class PostgresServer:
    """A running PostgreSQL server: ``dsn`` reaches its ``postgres`` database as superuser.

    The DSN carries a random password (scram-sha-256 over TCP), so tests can check that
    it never leaks. ``create_database()`` makes a fresh database and returns its DSN.
    """

    host: str
    port: int
    user: str
    password: str
    bindir: Path

    @property
    def dsn(self) -> str:
        """The DSN of the ``postgres`` database."""
        return self.dsn_for("postgres")

    def dsn_for(self, database: str) -> str:
        """The DSN of ``database`` on this server."""
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """Create a database (a random name unless given) and return its DSN."""
        name = name or f"t_{secrets.token_hex(6)}"
        subprocess.run(
            [
                str(self.bindir / "createdb"),
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-U",
                self.user,
                name,
            ],
            env={**os.environ, "PGPASSWORD": self.password},
            check=True,
            capture_output=True,
            timeout=30,
        )
        return self.dsn_for(name)


def _postgres_bindir() -> Path | None:
    """Where initdb and pg_ctl live: ``pg_config --bindir``, else Debian's newest version."""
    candidates: list[str] = []
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        found = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, timeout=10
        )
        candidates.append(found.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True)
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").is_file():
            return Path(candidate)
    return None


def _version(bindir: str) -> int:
    name = Path(bindir).parent.name
    return int(name) if name.isdigit() else 0


@contextlib.contextmanager
def _run_postgres(bindir: Path) -> Iterator[PostgresServer]:
    """initdb a cluster in a temp dir, start it on a free port, stop and remove it afterwards."""
    as_postgres: tuple[str, ...] = ()
    workdir = Path(tempfile.mkdtemp(prefix="telcall-pg-"))
    if os.geteuid() == 0:  # the server refuses root
        as_postgres = ("runuser", "-u", "postgres", "--")
        shutil.chown(workdir, "postgres", "postgres")
    data, log = workdir / "data", workdir / "postgres.log"
    password = secrets.token_urlsafe(16)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*as_postgres, *args], capture_output=True, text=True, timeout=60, cwd=workdir
        )

    try:
        pwfile = workdir / "pwfile"
        pwfile.write_text(password)
        if as_postgres:
            shutil.chown(pwfile, "postgres", "postgres")
        init = run(
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            f"--pwfile={pwfile}",
            "--no-sync",
            "--no-instructions",
        )
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed: {init.stderr}")
        for _ in range(_START_ATTEMPTS):
            port = _free_port()
            options = (
                f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off"
            )
            start = run(
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-o",
                options,
                "-w",
                "-t",
                str(int(_READY_TIMEOUT)),
                "start",
            )
            if start.returncode == 0:
                break
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        else:
            raise RuntimeError(f"PostgreSQL did not start: {log.read_text(errors='replace')}")
        try:
            yield PostgresServer(
                host="127.0.0.1",
                port=port,
                user="postgres",
                password=password,
                bindir=bindir,
            )
        finally:
            # Immediate: the cluster is thrown away, so nothing needs a shutdown checkpoint,
            # and open sessions (pools idling in the test process) are not waited for.
            stop = ("-m", "immediate", "-w", "-t", "20", "stop")
            run(str(bindir / "pg_ctl"), "-D", str(data), *stop)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server (initdb + pg_ctl in a temp dir) for the whole session."""
    bindir = _postgres_bindir()
    if bindir is None:
        _missing("PostgreSQL's server binaries (initdb, pg_ctl)")
    assert bindir is not None
    with _run_postgres(bindir) as server:
        yield server
