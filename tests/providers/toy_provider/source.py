"""The export's view of the toy API: one page per window."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, tzinfo

from telcall.export import CdrSource, Connection, SourceRecord

from .client import AsyncToyClient

__all__ = ("ToySource",)


class ToySource:
    """Toy calls, windows bounding their start."""

    def __init__(self, client: AsyncToyClient) -> None:
        self.client = client

    @classmethod
    def from_scope(cls, client: AsyncToyClient, scope: str) -> CdrSource:
        """The whole account; the toy API has no scopes."""
        if scope:
            raise ValueError(f"no scope {scope!r}")
        return cls(client)

    @property
    def provider(self) -> str:
        """``"toy"``."""
        return self.client.provider

    @property
    def tz(self) -> tzinfo:
        """The client's zone."""
        return self.client.tz

    def connection(self) -> Connection:
        """Base URL and zone; the pin stays in the environment."""
        return Connection(provider="toy", base_url=self.client.base_url, tz="Asia/Ho_Chi_Minh")

    async def pages(
        self, start: datetime, end: datetime, *, page_size: int
    ) -> AsyncIterator[list[SourceRecord]]:
        """One page: every call of the window."""
        calls = await self.client.calls.list(start=int(start.timestamp()), end=int(end.timestamp()))
        batch: list[SourceRecord] = []
        for call in calls:
            record = call.to_call_record(self.tz)
            batch.append((call.id, record.started_at, record, call))
        yield batch

    async def count(self, start: datetime, end: datetime) -> int | None:
        """The toy API cannot count."""
        return None
