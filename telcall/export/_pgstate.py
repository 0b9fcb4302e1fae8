"""Checkpoints in PostgreSQL (``state="postgresql://..."``), and the ``format="postgresql"`` table.

``pip install 'telcall[postgresql]'`` (asyncpg). The store keeps the SQLite
store's rows (:mod:`._state`) in four tables of the database's default schema
(``telcall_export_jobs``, ``_windows``, ``_claims``, ``_failures``), one
``job`` column naming the export (its directory, as the specs hold it), so
workers on many machines share one job without a shared filesystem.

Every write is one transaction that first takes a transaction-scoped advisory
lock on the job: claims, commits and re-plans of one job are serialised across
machines exactly as SQLite's ``BEGIN IMMEDIATE`` serialises them on one, and
the claim protocol is the same (:class:`~._state.CheckpointStore`). A dead
worker's claim becomes claimable when its lease expires (at once on its own
host, where its process can be seen to be gone).

The store's methods block, like SQLite's: asyncpg runs on one event loop
thread per process that every store shares (a forked worker starts its own),
with one small connection pool per database URL.

The password (in the URL or its query) never leaves this module: messages
name the URL with its userinfo as ``***``, errors are raised without their
asyncpg cause, and a spec carries the URL without the password (workers get
it from ``state=`` on :func:`~telcall.export.run_window`, ``PGPASSWORD`` or
``~/.pgpass``).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import msgspec

from .._core.errors import CheckpointError, ValidationError
from .._core.records import CallRecord, CallStatus, Direction
from .._core.redaction import Redactor, is_secret_key, redact_url
from ._state import (
    DEFAULT_LEASE,
    Claim,
    ClaimRow,
    FailureRow,
    JobRow,
    WindowRow,
    advance_watermark,
    check_drop,
    check_planned,
    claim_expired,
    claim_lost,
    claim_refusal,
    job_mismatch,
    live_claims,
)

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    _Db: TypeAlias = PoolConnectionProxy[Any]

__all__ = (
    "COPY_COLUMNS",
    "DEFAULT_TABLE",
    "TABLE_SCHEMA_VERSION",
    "PostgresStore",
    "RowBuffer",
    "Table",
    "check_destination",
    "check_state_url",
    "check_table",
    "reach_database",
    "spec_state_url",
)

_T = TypeVar("_T")

#: The target table of ``format="postgresql"`` when none is named.
DEFAULT_TABLE = "telcall_cdrs"

#: Stored in the target table's comment; a table with another one is refused.
TABLE_SCHEMA_VERSION = 1
_TABLE_COMMENT = f"telcall cdrs schema {TABLE_SCHEMA_VERSION}"

_CONNECT_TIMEOUT = 10.0
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")

_STATE_SCHEMA = """
CREATE TABLE IF NOT EXISTS telcall_export_jobs (
    job text PRIMARY KEY,
    provider text NOT NULL,
    format text NOT NULL,
    raw boolean NOT NULL,
    tz text NOT NULL,
    watermark bigint,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS telcall_export_windows (
    job text NOT NULL,
    start bigint NOT NULL,
    "end" bigint NOT NULL,
    path text NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'done')),
    records bigint NOT NULL DEFAULT 0,
    rejected bigint NOT NULL DEFAULT 0,
    sha256 text,
    bytes bigint NOT NULL DEFAULT 0,
    finished_at text,
    PRIMARY KEY (job, start)
);
CREATE TABLE IF NOT EXISTS telcall_export_claims (
    job text NOT NULL,
    start bigint NOT NULL,
    "end" bigint NOT NULL,
    run_id text NOT NULL,
    expires double precision NOT NULL,
    PRIMARY KEY (job, start)
);
CREATE TABLE IF NOT EXISTS telcall_export_failures (
    job text NOT NULL,
    start bigint NOT NULL,
    "end" bigint NOT NULL,
    run_id text NOT NULL,
    error text NOT NULL,
    failed_at text NOT NULL,
    PRIMARY KEY (job, start)
);
"""

_WINDOW_COLUMNS = 'start, "end", path, status, records, rejected, sha256, bytes, finished_at'

# Any constant: every process creating the tables at once takes this lock first.
_SCHEMA_LOCK = 0x7E1CA11


def check_state_url(url: str) -> str:
    """Refuse what is not a PostgreSQL URL (before any I/O); the message never shows a password."""
    if not isinstance(url, str):
        raise ValidationError(f"state must be a postgresql:// URL, got {type(url).__name__}")
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.netloc:
        raise ValidationError(
            f"state must be a postgresql://user@host/database URL, got {redact_url(url)!r}"
        )
    return url


def _password(url: str) -> list[str]:
    parts = urlsplit(url)
    found = [] if parts.password is None else [parts.password]
    found += [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if is_secret_key(k)]
    return found


def spec_state_url(url: str) -> str:
    """``url`` without its password, for a spec: workers supply the password themselves."""
    parts = urlsplit(check_state_url(url))
    netloc = parts.netloc.rsplit("@", 1)[-1]
    if parts.username is not None:
        netloc = f"{parts.username}@{netloc}"
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_secret_key(k)
    ]
    return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query)))


class Table(msgspec.Struct, frozen=True):
    """A target table of ``format="postgresql"``; ``schema`` ``None`` is the default one."""

    schema: str | None
    name: str

    @property
    def qualified(self) -> str:
        """The quoted, schema-qualified name for SQL."""
        name = f'"{self.name}"'
        return name if self.schema is None else f'"{self.schema}".{name}'

    def __str__(self) -> str:
        return self.name if self.schema is None else f"{self.schema}.{self.name}"


def check_table(table: str | None) -> Table:
    """Parse ``"name"`` or ``"schema.name"`` (plain identifiers only; checked before any I/O)."""
    text = DEFAULT_TABLE if table is None else table
    parts = text.split(".") if isinstance(text, str) else []
    if not 1 <= len(parts) <= 2 or not all(_IDENTIFIER.fullmatch(p) for p in parts):
        raise ValidationError(
            f"table must be 'name' or 'schema.name' (letters, digits, _), got {table!r}"
        )
    return Table(parts[0], parts[1]) if len(parts) == 2 else Table(None, parts[0])


def check_destination(format: str, state: str | None, table: str | None) -> Table | None:
    """The target table of ``format="postgresql"`` (``None`` for files), checked before any I/O."""
    if state is not None:
        check_state_url(state)
    if format == "postgresql":
        if state is None:
            raise ValidationError(
                "format='postgresql' writes into the checkpoint database: give "
                "state='postgresql://user@host/database'"
            )
        return check_table(table)
    if table is not None:
        raise ValidationError("table= names the target of format='postgresql' only")
    return None


def reach_database(state: str, table: Table | None) -> None:
    """Reach the checkpoint database and create or check ``table``, for no job in particular.

    What every job's :func:`~telcall.export.plan` against ``state`` would fail
    alike (an unreachable server, a refused login, a table of another schema):
    a many-tenant job does it once, before any tenant sends a request.
    """
    store = PostgresStore(state)
    store.connect()
    if table is not None:
        store.prepare_table(table)


# The target table: the CallRecord fields after the tenant, in order, with their SQL types.
_CLOSED = {"direction": Direction, "status": CallStatus}
_TYPES = {"started_at": "timestamptz", "answered_at": "timestamptz", "ended_at": "timestamptz"}
_TYPES |= {"duration": "bigint", "billsec": "bigint"}
_NOT_NULL = frozenset({"id", "provider", "direction", "duration", "billsec", "status"})
#: The columns COPY fills, in order: the tenant, then every CallRecord field.
COPY_COLUMNS: tuple[str, ...] = ("tenant", *CallRecord.__struct_fields__)


def _column(name: str) -> str:
    sql = f'"{name}" {_TYPES.get(name, "text")}'
    if name in _NOT_NULL:
        sql += " NOT NULL"
    if name in _CLOSED:
        words = ", ".join(f"'{member.value}'" for member in _CLOSED[name])
        sql += f' CHECK ("{name}" IN ({words}))'
    return sql


def _table_sql(table: Table) -> list[str]:
    columns = ",\n    ".join(_column(name) for name in CallRecord.__struct_fields__)
    index = f'"{table.name}_started_at"'
    schema = [] if table.schema is None else [f'CREATE SCHEMA IF NOT EXISTS "{table.schema}"']
    return [
        *schema,
        f"CREATE TABLE {table.qualified} (\n    tenant text NOT NULL DEFAULT '',\n    {columns},\n"
        "    exported_at timestamptz NOT NULL DEFAULT now(),\n"
        "    PRIMARY KEY (tenant, provider, id)\n)",
        f"CREATE INDEX {index} ON {table.qualified} (started_at)",
        f"COMMENT ON TABLE {table.qualified} IS '{_TABLE_COMMENT}'",
    ]


def _expected_columns() -> list[tuple[str, str]]:
    kinds = {"text": "text", "bigint": "bigint", "timestamptz": "timestamp with time zone"}
    return [
        ("tenant", "text"),
        *((n, kinds[_TYPES.get(n, "text")]) for n in CallRecord.__struct_fields__),
        ("exported_at", "timestamp with time zone"),
    ]


_UPSERT_SET = ", ".join(
    f'"{c}" = EXCLUDED."{c}"' for c in CallRecord.__struct_fields__ if c not in ("provider", "id")
)
_COLUMN_LIST = ", ".join(f'"{c}"' for c in COPY_COLUMNS)


class RowBuffer:
    """A sink that keeps a window's records as COPY rows, for one transaction at its end."""

    def __init__(self, tenant: str) -> None:
        self.tenant = tenant
        self.rows: list[tuple[Any, ...]] = []

    def write(self, records: Sequence[Any]) -> None:
        """Convert a page of :class:`~telcall.CallRecord` into rows (StrEnums encode as text)."""
        tenant, astuple = (self.tenant,), msgspec.structs.astuple
        self.rows += [tenant + astuple(record) for record in records]

    def close(self) -> None:
        """Nothing to finish: the rows go in with the window's commit."""


class _Shared:
    """The process's event loop thread and its pools (one per URL)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.pools: dict[str, asyncpg.Pool] = {}
        self.ready: set[str] = set()
        threading.Thread(
            target=self.loop.run_forever, name="telcall-postgresql", daemon=True
        ).start()


_lock = threading.Lock()
_shared: _Shared | None = None


def _runtime() -> _Shared:
    global _shared
    with _lock:
        # After a fork the thread is gone: the child starts its own loop and pools.
        if _shared is None or _shared.pid != os.getpid():
            _shared = _Shared()
        return _shared


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _job_key(job: str) -> int:
    return int.from_bytes(hashlib.blake2b(job.encode(), digest_size=8).digest(), signed=True)


class PostgresStore:
    """The checkpoints of one job (``job``: its directory) in a PostgreSQL database."""

    def __init__(self, url: str, *, job: str = "") -> None:
        self._url = check_state_url(url)
        self._redactor = Redactor(_password(url))
        self.job_name = job
        self.where = redact_url(url, self._redactor) + (f" (job {job})" if job else "")
        self._key = _job_key(job)

    def __repr__(self) -> str:
        return f"PostgresStore({self.where!r})"

    # -- plumbing -------------------------------------------------------------

    def _scrub(self, exc: BaseException) -> str:
        return self._redactor.text(f"{type(exc).__name__}: {exc}")

    def _run(self, work: Callable[[asyncpg.Pool], Coroutine[Any, Any, _T]]) -> _T:
        shared = _runtime()
        future = asyncio.run_coroutine_threadsafe(self._call(shared, work), shared.loop)
        return future.result()

    async def _call(
        self, shared: _Shared, work: Callable[[asyncpg.Pool], Coroutine[Any, Any, _T]]
    ) -> _T:
        pool = await self._pool(shared)
        import asyncpg

        try:
            return await work(pool)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
            # Raised without the cause: asyncpg's exceptions may quote the connection.
            raise CheckpointError(f"checkpoint database {self.where}: {self._scrub(exc)}") from None

    async def _pool(self, shared: _Shared) -> asyncpg.Pool:
        try:
            import asyncpg
        except ImportError:
            raise ValidationError(
                "state='postgresql://...' needs asyncpg: pip install 'telcall[postgresql]'"
            ) from None
        pool = shared.pools.get(self._url)
        if pool is None:
            # min_size=0 opens nothing yet: the first acquire below is the first I/O.
            created = await asyncpg.create_pool(
                self._url,
                # No floor to restore and idle connections closed soon: a process may
                # touch many databases, and a server going away is no one's error here.
                min_size=0,
                max_size=4,
                max_inactive_connection_lifetime=10.0,
                timeout=_CONNECT_TIMEOUT,
            )
            pool = shared.pools.setdefault(self._url, created)
            if pool is not created:
                await created.close()
        if self._url not in shared.ready:
            try:
                async with pool.acquire() as db, db.transaction():
                    await db.execute("SELECT pg_advisory_xact_lock($1)", _SCHEMA_LOCK)
                    await db.execute(_STATE_SCHEMA)
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
                raise CheckpointError(
                    f"cannot reach the checkpoint database {self.where}: {self._scrub(exc)}; "
                    "check the URL, the server and the credentials, then run the export again"
                ) from None
            shared.ready.add(self._url)
        return pool

    async def _locked(self, db: _Db) -> None:
        """Take the job's lock for the rest of the transaction (a write serialised job-wide)."""
        await db.execute("SELECT pg_advisory_xact_lock($1)", self._key)

    def _write(self, work: Callable[[_Db], Awaitable[_T]]) -> _T:
        async def run(pool: asyncpg.Pool) -> _T:
            async with pool.acquire() as db, db.transaction():
                await self._locked(db)
                return await work(db)

        return self._run(run)

    def _read(self, work: Callable[[_Db], Awaitable[_T]]) -> _T:
        async def run(pool: asyncpg.Pool) -> _T:
            async with pool.acquire() as db:
                return await work(db)

        return self._run(run)

    def connect(self) -> None:
        """Reach the database and create the checkpoint tables; :class:`CheckpointError` if not."""

        async def nothing(pool: asyncpg.Pool) -> None:
            return None

        self._run(nothing)

    # -- the CheckpointStore protocol ------------------------------------------

    def exists(self) -> bool:
        """Whether the database holds this job yet."""
        return self.job() is not None

    def close(self) -> None:
        """Nothing to close per store: the process's pools serve every store."""

    def job(self) -> JobRow | None:
        """The job row, if the database has one."""

        async def read(db: _Db) -> JobRow | None:
            row = await db.fetchrow(
                "SELECT provider, format, raw, tz, watermark FROM telcall_export_jobs "
                "WHERE job = $1",
                self.job_name,
            )
            return None if row is None else JobRow(*row)

        return self._read(read)

    def claim(self, *, provider: str, format: str, raw: bool, tz: str) -> JobRow:
        """Record what this job holds, or check that a new run asks for the same."""

        async def write(db: _Db) -> JobRow:
            await db.execute(
                "INSERT INTO telcall_export_jobs (job, provider, format, raw, tz) "
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (job) DO NOTHING",
                self.job_name,
                provider,
                format,
                raw,
                tz,
            )
            row = await db.fetchrow(
                "SELECT provider, format, raw, tz, watermark FROM telcall_export_jobs "
                "WHERE job = $1",
                self.job_name,
            )
            assert row is not None  # inserted above, under the job's lock
            return JobRow(*row)

        job = self._write(write)
        self.check_job(job, provider=provider, format=format, raw=raw, tz=tz)
        return job

    def check_job(self, job: JobRow, *, provider: str, format: str, raw: bool, tz: str) -> None:
        """Refuse a run that asks for another job than the one the database holds."""
        error = job_mismatch(self.where, job, JobRow(provider, format, raw, tz, job.watermark))
        if error is not None:
            raise error

    def windows(self) -> list[WindowRow]:
        """Every window row, by start time."""

        async def read(db: _Db) -> list[WindowRow]:
            rows = await db.fetch(
                f"SELECT {_WINDOW_COLUMNS} FROM telcall_export_windows WHERE job = $1 "
                "ORDER BY start",
                self.job_name,
            )
            return [WindowRow(*row) for row in rows]

        return self._read(read)

    def window(self, start: int) -> WindowRow | None:
        """The row of the window starting at ``start``."""

        async def read(db: _Db) -> WindowRow | None:
            row = await db.fetchrow(
                f"SELECT {_WINDOW_COLUMNS} FROM telcall_export_windows "
                "WHERE job = $1 AND start = $2",
                self.job_name,
                start,
            )
            return None if row is None else WindowRow(*row)

        return self._read(read)

    async def _live(self, db: _Db) -> list[ClaimRow]:
        rows = await db.fetch(
            'SELECT start, "end", run_id, expires FROM telcall_export_claims WHERE job = $1 '
            "ORDER BY start",
            self.job_name,
        )
        return live_claims((ClaimRow(*row) for row in rows), time.time())

    def claims(self) -> list[ClaimRow]:
        """The live claims, by start time."""
        return self._read(self._live)

    def live_runs(self) -> set[str]:
        """Run ids holding a live claim: their temp files are not to be touched."""
        return {claim.run_id for claim in self.claims()}

    def failures(self) -> list[FailureRow]:
        """The windows whose last run failed and that no run committed since."""

        async def read(db: _Db) -> list[FailureRow]:
            rows = await db.fetch(
                'SELECT start, "end", run_id, error, failed_at FROM telcall_export_failures '
                "WHERE job = $1 ORDER BY start",
                self.job_name,
            )
            return [FailureRow(*row) for row in rows]

        return self._read(read)

    def schedule(
        self,
        planned: Iterable[tuple[int, int, str]],
        *,
        redo: Iterable[int],
        drop: Iterable[int],
        run_id: str | None = None,
    ) -> None:
        """:meth:`SqliteStore.schedule <._state.SqliteStore.schedule>`, in the database."""
        planned, redo, starts = list(planned), list(redo), list(drop)

        async def write(db: _Db) -> None:
            job = self.job_name
            rows = await db.fetch(
                'SELECT start, "end", path FROM telcall_export_windows '
                "WHERE job = $1 AND start = ANY($2::bigint[])",
                job,
                starts,
            )
            check_drop(await self._live(db), rows, run_id=run_id, where=self.where)
            await db.execute(
                "DELETE FROM telcall_export_windows WHERE job = $1 AND start = ANY($2::bigint[])",
                job,
                starts,
            )
            for start, end, path in planned:
                overlapping = await db.fetch(
                    'SELECT start, "end" FROM telcall_export_windows '
                    'WHERE job = $1 AND start < $2 AND "end" > $3',
                    job,
                    end,
                    start,
                )
                check_planned(overlapping, start=start, end=end, path=path)
                await db.execute(
                    'INSERT INTO telcall_export_windows (job, start, "end", path, status) '
                    "VALUES ($1, $2, $3, $4, 'pending') ON CONFLICT DO NOTHING",
                    job,
                    start,
                    end,
                    path,
                )
            await db.execute(
                "UPDATE telcall_export_windows SET status = 'pending' "
                "WHERE job = $1 AND start = ANY($2::bigint[])",
                job,
                redo,
            )

        self._write(write)

    def claim_window(
        self, *, start: int, end: int, run_id: str, lease: float = DEFAULT_LEASE
    ) -> Claim:
        """Claim ``[start, end)`` for ``run_id`` before reading it (see :mod:`._state`)."""

        async def write(db: _Db) -> Claim:
            now = time.time()
            rows = await db.fetch(
                'SELECT start, "end" FROM telcall_export_windows '
                'WHERE job = $1 AND start < $2 AND "end" > $3 ORDER BY start',
                self.job_name,
                end,
                start,
            )
            refused = claim_refusal(await self._live(db), rows, start=start, end=end, run_id=run_id)
            if refused is not None:
                return refused
            # What overlaps now is dead, or this run's own earlier claim.
            await db.execute(
                'DELETE FROM telcall_export_claims WHERE job = $1 AND start < $2 AND "end" > $3',
                self.job_name,
                end,
                start,
            )
            await db.execute(
                'INSERT INTO telcall_export_claims (job, start, "end", run_id, expires) '
                "VALUES ($1, $2, $3, $4, $5)",
                self.job_name,
                start,
                end,
                run_id,
                now + lease,
            )
            return Claim("claimed", run_id, now + lease)

        return self._write(write)

    def renew(self, *, start: int, run_id: str, lease: float = DEFAULT_LEASE) -> None:
        """Extend this run's claim; raise :class:`ClaimLost` if another run took it over."""

        async def write(db: _Db) -> str:
            status: str = await db.execute(
                "UPDATE telcall_export_claims SET expires = $1 "
                "WHERE job = $2 AND start = $3 AND run_id = $4",
                time.time() + lease,
                self.job_name,
                start,
                run_id,
            )
            return status

        if self._write(write) == "UPDATE 0":
            raise claim_expired(run_id, start, self.where)

    def release(self, *, start: int, run_id: str) -> None:
        """Drop this run's claim (the window failed or was cancelled)."""

        async def write(db: _Db) -> None:
            await self._release(db, start, run_id)

        self._write(write)

    async def _release(self, db: _Db, start: int, run_id: str) -> bool:
        status: str = await db.execute(
            "DELETE FROM telcall_export_claims WHERE job = $1 AND start = $2 AND run_id = $3",
            self.job_name,
            start,
            run_id,
        )
        return status != "DELETE 0"

    def fail(self, *, start: int, end: int, run_id: str, error: str) -> None:
        """Record a window's failure (shown by ``telcall export status``) and drop the claim."""

        async def write(db: _Db) -> None:
            await self._release(db, start, run_id)
            await db.execute(
                'INSERT INTO telcall_export_failures (job, start, "end", run_id, error, failed_at) '
                "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (job, start) DO UPDATE SET "
                '"end" = EXCLUDED."end", run_id = EXCLUDED.run_id, error = EXCLUDED.error, '
                "failed_at = EXCLUDED.failed_at",
                self.job_name,
                start,
                end,
                run_id,
                error,
                _now(),
            )

        self._write(write)

    def commit(
        self,
        *,
        start: int,
        end: int,
        path: str,
        records: int,
        sha256: str,
        size: int,
        rejected: int = 0,
        run_id: str | None = None,
    ) -> int | None:
        """Mark a window done and advance the watermark (see :meth:`._state.SqliteStore.commit`)."""

        async def write(db: _Db) -> int | None:
            return await self._commit(db, start, end, path, records, sha256, size, rejected, run_id)

        return self._write(write)

    async def _commit(
        self,
        db: _Db,
        start: int,
        end: int,
        path: str,
        records: int,
        sha256: str,
        size: int,
        rejected: int,
        run_id: str | None,
    ) -> int | None:
        """The commit, inside the caller's transaction (which holds the job's lock)."""
        job = self.job_name
        if run_id is not None and not await self._release(db, start, run_id):
            raise claim_lost(run_id, path, self.where)
        await db.execute(
            'INSERT INTO telcall_export_windows (job, start, "end", path, status, records, '
            "rejected, sha256, bytes, finished_at) VALUES ($1, $2, $3, $4, 'done', $5, $6, $7, "
            '$8, $9) ON CONFLICT (job, start) DO UPDATE SET "end" = EXCLUDED."end", '
            "path = EXCLUDED.path, status = 'done', records = EXCLUDED.records, "
            "rejected = EXCLUDED.rejected, sha256 = EXCLUDED.sha256, bytes = EXCLUDED.bytes, "
            "finished_at = EXCLUDED.finished_at",
            job,
            start,
            end,
            path,
            records,
            rejected,
            sha256,
            size,
            _now(),
        )
        await db.execute(
            'DELETE FROM telcall_export_failures WHERE job = $1 AND start < $2 AND "end" > $3',
            job,
            end,
            start,
        )
        old: int | None = await db.fetchval(
            "SELECT watermark FROM telcall_export_jobs WHERE job = $1", job
        )
        if old is None:
            old = await db.fetchval(
                "SELECT min(start) FROM telcall_export_windows WHERE job = $1", job
            )
        if old is None:
            return None
        rows = await db.fetch(
            'SELECT start, "end", status FROM telcall_export_windows '
            'WHERE job = $1 AND "end" > $2 ORDER BY start',
            job,
            old,
        )
        mark = advance_watermark(old, (tuple(r) for r in rows))
        await db.execute(
            "UPDATE telcall_export_jobs SET watermark = $1, updated_at = now() WHERE job = $2",
            mark,
            job,
        )
        return mark

    # -- the format="postgresql" destination -----------------------------------

    def prepare_table(self, table: Table) -> None:
        """Create the target table on first use, or refuse one of another schema (before work)."""

        async def write(db: _Db) -> None:
            await db.execute("SELECT pg_advisory_xact_lock($1)", _SCHEMA_LOCK)
            regclass = await db.fetchval("SELECT to_regclass($1)", table.qualified)
            if regclass is None:
                for statement in _table_sql(table):
                    await db.execute(statement)
                return
            comment = await db.fetchval(
                "SELECT obj_description(to_regclass($1), 'pg_class')", table.qualified
            )
            columns = [
                (r[0], r[1])
                for r in await db.fetch(
                    "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
                    "WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped "
                    "ORDER BY attnum",
                    table.qualified,
                )
            ]
            if comment != _TABLE_COMMENT or columns != _expected_columns():
                raise ValidationError(
                    f"table {table} in {redact_url(self._url, self._redactor)} does not hold "
                    f"telcall's CDR schema {TABLE_SCHEMA_VERSION} (its comment says "
                    f"{comment!r}); export into another table, or migrate this one "
                    "(docs/export.md lists the schema)"
                )

        async def run(pool: asyncpg.Pool) -> None:
            async with pool.acquire() as db, db.transaction():
                await write(db)

        self._run(run)

    def write_window(
        self,
        table: Table,
        rows: Sequence[tuple[Any, ...]],
        *,
        start: int,
        end: int,
        path: str,
        rejected: int,
        run_id: str,
    ) -> int | None:
        """Upsert a window's rows and commit its checkpoint in one transaction; the watermark.

        Binary COPY into a temporary table, one ``INSERT ... ON CONFLICT DO
        UPDATE`` into ``table`` (a lookback rerun updates late rows instead
        of adding them), then the commit, which takes the job's lock only at
        the end so windows load in parallel. A lost claim rolls it all back.
        """

        async def run(pool: asyncpg.Pool) -> int | None:
            async with pool.acquire() as db, db.transaction():
                await db.execute(
                    "CREATE TEMP TABLE telcall_window (LIKE "
                    f"{table.qualified} INCLUDING DEFAULTS) ON COMMIT DROP"
                )
                await db.copy_records_to_table("telcall_window", records=rows, columns=COPY_COLUMNS)
                # In key order: two runs upserting one window's ids lock them alike.
                await db.execute(
                    f"INSERT INTO {table.qualified} ({_COLUMN_LIST}) "
                    f"SELECT {_COLUMN_LIST} FROM telcall_window ORDER BY tenant, provider, id "
                    f"ON CONFLICT (tenant, provider, id) DO UPDATE SET {_UPSERT_SET}, "
                    "exported_at = now()"
                )
                await self._locked(db)
                return await self._commit(db, start, end, path, len(rows), "", 0, rejected, run_id)

        return self._run(run)
