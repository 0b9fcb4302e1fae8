"""Fixtures for the export tests: simulators, clients, and reading exports back."""

from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import msgspec
import pytest

from telcall import AsyncTel4vnClient, CallRecord
from telcall.simulator import Tel4vnSimulator

T = TypeVar("T")


class ThreadedSimulator:
    """A Tel4vnSimulator serving from a background thread's event loop.

    Subprocesses (the export under test) reach it over loopback while the test
    process stays free to kill them.
    """

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.sim: Tel4vnSimulator

    def start(self) -> ThreadedSimulator:
        """Start the loop thread and the server on it."""
        self._thread.start()
        self.sim = self.call(self._open)
        return self

    async def _open(self) -> Tel4vnSimulator:
        sim = Tel4vnSimulator(record_requests=False, **self._kwargs)
        await sim.start()
        return sim

    def call(self, make: Callable[[], Awaitable[T]]) -> T:
        """Run a coroutine on the simulator's loop and wait for it."""
        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(
            make(),  # type: ignore[arg-type]
            self._loop,
        )
        return future.result(timeout=60)

    def ids(self) -> list[str]:
        """Every CDR id the server holds, read on its own loop."""

        async def read() -> list[str]:
            return list(self.sim.cdr_ids())

        return self.call(read)

    def stop(self) -> None:
        """Stop the server and the loop thread."""
        self.call(self.sim.aclose)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


def parts(out_dir: Path) -> list[Path]:
    """Every window file of an export directory, in name order."""
    return sorted(out_dir.glob("date=*/part-*"))


def _csv_records(path: Path) -> list[CallRecord]:
    with path.open(newline="", encoding="utf-8") as file:
        rows = [{k: v or None for k, v in row.items()} for row in csv.DictReader(file)]
    return msgspec.convert(rows, list[CallRecord], strict=False)


def _parquet_records(path: Path) -> list[CallRecord]:
    import pyarrow.parquet as pq

    return msgspec.convert(pq.read_table(path).to_pylist(), list[CallRecord])


def read_records(path: Path) -> list[CallRecord]:
    """The CallRecords of one window file, whatever its format."""
    if path.suffix == ".csv":
        return _csv_records(path)
    if path.suffix == ".parquet":
        return _parquet_records(path)
    decoder = msgspec.json.Decoder(CallRecord)
    return [decoder.decode(line) for line in path.read_bytes().splitlines()]


def exported_ids(out_dir: Path) -> list[str]:
    """Every exported id, one entry per written record (duplicates show up twice)."""
    ids: list[str] = []
    for path in parts(out_dir):
        if path.suffix == ".ndjson":
            # Raw and normalised lines both carry an id field; read only that.
            ids.extend(
                str(row.get("id", row.get("cdrId"))).strip()
                for row in map(msgspec.json.decode, path.read_bytes().splitlines())
            )
        else:
            ids.extend(record.id for record in read_records(path))
    return ids


@pytest.fixture
async def sim() -> AsyncIterator[Tel4vnSimulator]:
    """A simulator with 5,000 CDRs over 2026-11-01..08, on the test's loop."""
    async with Tel4vnSimulator(cdrs=5000, seed=3, record_requests=False) as server:
        yield server


@pytest.fixture
async def client(sim: Tel4vnSimulator) -> AsyncIterator[AsyncTel4vnClient]:
    """A client for ``sim``."""
    async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as c:
        yield c


@pytest.fixture
def threaded_sim() -> Iterator[Callable[..., ThreadedSimulator]]:
    """``threaded_sim(**Tel4vnSimulator kwargs)``: a simulator on its own thread, stopped after."""
    started: list[ThreadedSimulator] = []

    def make(**kwargs: Any) -> ThreadedSimulator:
        server = ThreadedSimulator(**kwargs).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def read_back() -> Callable[[Path], list[CallRecord]]:
    """``read_back(path)``: the CallRecords of one window file."""
    return read_records


@pytest.fixture
def ids_in() -> Callable[[Path], list[str]]:
    """``ids_in(out_dir)``: every exported id, duplicates included."""
    return exported_ids


@pytest.fixture
async def db(postgres_server: Any) -> AsyncIterator[tuple[str, asyncpg.Connection]]:
    """A fresh database: its URL (with the password) and a connection to query it."""
    url: str = postgres_server.create_database()
    connection = await asyncpg.connect(url)
    try:
        yield url, connection
    finally:
        await connection.close()
