"""A small async client with every shape the sync generator must mirror (tests only)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from functools import cached_property

from telcall._core.pagination import Page, iterate_items

__all__ = ("AsyncFakeClient", "AsyncWidgets", "WidgetError")


class WidgetError(LookupError):
    """A custom error, to check that the facade raises the very same object."""

    def __init__(self, message: str, *, code: int) -> None:
        """Keep a code next to the message."""
        super().__init__(message)
        self.code = code


class EchoList(list[str]):
    """A list that prints what is appended to it."""

    def append(self, item: str) -> None:
        """Record and print ``item``."""
        print(item, flush=True)
        super().append(item)


class AsyncFakeClient:
    """An async client with one resource; records what ran on which task."""

    def __init__(self, *, label: str = "fake", page_count: int = 3, echo: bool = False) -> None:
        """Remember the arguments; with ``echo``, events are printed too (for subprocess tests)."""
        self.label = label
        self.page_count = page_count
        self.events: list[str] = EchoList() if echo else []
        self.closed = False

    async def aclose(self) -> None:
        """Mark closed."""
        self.closed = True
        self.events.append("aclose")

    async def __aenter__(self) -> AsyncFakeClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @cached_property
    def widgets(self) -> AsyncWidgets:
        """The widgets resource."""
        return AsyncWidgets(self)


class AsyncWidgets:
    """Coroutines, async generators and an async context manager."""

    def __init__(self, client: AsyncFakeClient) -> None:
        """Keep the client."""
        self._client = client

    async def echo(self, value: int, /, *, delay: float = 0.0) -> int:
        """Return ``value`` after ``delay`` seconds."""
        await asyncio.sleep(delay)
        return value

    async def fail(self, message: str, *, code: int = 7) -> None:
        """Raise :class:`WidgetError`."""
        raise WidgetError(message, code=code)

    async def hang(self, marker: str) -> None:
        """Sleep for a minute; record ``marker`` when cleaned up."""
        try:
            await asyncio.sleep(60)
        finally:
            self._client.events.append(marker)

    async def pages(
        self, *, page_size: int = 2, stall: float = 0.0
    ) -> AsyncGenerator[Page[int], None]:
        """``page_count`` pages of ``page_size`` ints, ``stall`` seconds apart."""
        self._client.events.append("open")
        try:
            for number in range(self._client.page_count):
                if number:
                    await asyncio.sleep(stall)
                self._client.events.append(f"fetch {number}")
                start = number * page_size
                yield Page(list(range(start, start + page_size)))
        finally:
            self._client.events.append("finally")

    def iterate(self, *, page_size: int = 2, stall: float = 0.0) -> AsyncGenerator[int, None]:
        """The items of :meth:`pages` (the facade moves them a page per hop)."""
        return iterate_items(self.pages(page_size=page_size, stall=stall))

    async def timed(self, *, deadline: float, stall: float) -> AsyncIterator[str]:
        """Yield twice inside one ``asyncio.timeout``, stalling ``stall`` seconds between."""
        async with asyncio.timeout(deadline):
            yield "first"
            await asyncio.sleep(stall)
            yield "second"

    async def tasks(self) -> AsyncIterator[int]:
        """Yield the id of the task running each step."""
        for _ in range(3):
            yield id(asyncio.current_task())

    @asynccontextmanager
    async def session(self, *, deadline: float = 60.0) -> AsyncIterator[str]:
        """Hold an ``asyncio.timeout`` from enter to exit; record both ends."""
        self._client.events.append(f"enter {id(asyncio.current_task())}")
        try:
            async with asyncio.timeout(deadline):
                yield self._client.label
        finally:
            self._client.events.append(f"exit {id(asyncio.current_task())}")
