"""The real-server fixtures answer: Redis PING, PostgreSQL SELECT 1 (password required)."""

from __future__ import annotations

import sys
from typing import Any

import anyio
import asyncpg
import pytest
import redis


def test_redis_server_answers_ping(redis_server: Any) -> None:
    """redis-server answers PING and keeps nothing on disk."""
    client = redis.Redis.from_url(redis_server.url, socket_timeout=5)
    try:
        assert client.ping() is True
        assert client.config_get("save") == {"save": ""}
        assert client.config_get("appendonly") == {"appendonly": "no"}
    finally:
        client.close()


async def test_postgres_server_answers_select_1(postgres_server: Any) -> None:
    """PostgreSQL answers SELECT 1 with the DSN's password, and refuses a wrong one."""
    with anyio.fail_after(30):
        conn = await asyncpg.connect(postgres_server.dsn)
        try:
            assert await conn.fetchval("SELECT 1") == 1
        finally:
            await conn.close()
        wrong = postgres_server.dsn.replace(postgres_server.password, "wrong")
        with pytest.raises(asyncpg.InvalidPasswordError):
            await asyncpg.connect(wrong)


async def test_postgres_create_database_is_fresh(postgres_server: Any) -> None:
    """create_database() returns the DSN of a new, empty database."""
    dsn = await anyio.to_thread.run_sync(postgres_server.create_database)
    with anyio.fail_after(30):
        conn = await asyncpg.connect(dsn)
        try:
            assert await conn.fetchval("SELECT current_database()") == dsn.rsplit("/", 1)[1]
            tables = await conn.fetchval(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            )
            assert tables == 0
        finally:
            await conn.close()


@pytest.mark.parametrize(
    ("ci", "outcome"),
    [
        pytest.param("true", pytest.fail.Exception, id="ci-fails"),
        pytest.param("", pytest.skip.Exception, id="local-skips"),
    ],
)
def test_missing_server_binary_fails_in_ci(
    ci: str, outcome: type[BaseException], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without redis-server the fixture fails under CI=true and skips elsewhere, saying why."""
    servers = sys.modules["telcall_test_servers"]
    monkeypatch.setenv("CI", ci)
    monkeypatch.setattr(servers.shutil, "which", lambda name: None)
    with pytest.raises(outcome, match="redis-server is not installed"):
        next(servers.redis_server.__wrapped__())
