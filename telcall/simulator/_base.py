"""What every provider simulator shares: the server lifecycle, the request log, fault injection.

A provider simulator subclasses `SimulatorBase`, builds its routes in `_routes()` and names its
token-less endpoints in `auth_paths`. Middlewares run in this order: record the request, inject
faults, then the provider's handlers (which check credentials themselves).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import socket
from collections.abc import Awaitable, Callable, Iterable
from http import HTTPStatus
from types import TracebackType
from typing import Any, Self

import msgspec
from aiohttp import web
from aiohttp.typedefs import Middleware

from telcall.simulator._faults import (
    Drop,
    Echo,
    Endless,
    FaultPlan,
    Faults,
    Freeze,
    Redirect,
    Reply,
    ScriptedFault,
    SlowBody,
    Stall,
    Truncate,
)

__all__ = ("Abort", "Handler", "RecordedRequest", "SimulatorBase", "error_body", "json_response")

_encode = msgspec.json.encode

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Abort(Exception):
    """Raised by a handler to answer with `response` at once."""

    def __init__(self, response: web.Response) -> None:
        """Carry the response."""
        super().__init__(response.status)
        self.response = response


class RecordedRequest(msgspec.Struct, frozen=True):
    """One request as the simulator received it."""

    method: str
    path: str
    query: dict[str, str]
    body: bytes
    headers: dict[str, str]


def json_response(payload: Any, status: int = 200) -> web.Response:
    """Encode `payload` with msgspec into an `application/json` response."""
    return web.Response(body=_encode(payload), status=status, content_type="application/json")


def error_body(status: int) -> dict[str, Any]:
    """Return the API's usual `{code, content, error}` error body for `status`."""
    phrase = HTTPStatus(status).phrase
    return {"code": status, "content": phrase, "error": phrase}


class SimulatorBase:
    """An aiohttp.web server on 127.0.0.1 with a request log and fault injection."""

    auth_paths: frozenset[str] = frozenset()

    def __init__(
        self,
        *,
        seed: int = 1,
        faults: Faults | None = None,
        port: int = 0,
        record_requests: bool = True,
    ) -> None:
        """Configure the server; nothing listens until `start()` or `async with`."""
        self.seed = seed
        self.faults = faults or Faults()
        self._plan = FaultPlan(self.faults, seed)
        self._port = port
        self._record = record_requests
        self.requests: list[RecordedRequest] = []
        self._runner: web.AppRunner | None = None
        self._listener: socket.socket | None = None
        # Set by aclose(): releases the handlers a Stall or an Endless body holds open.
        self._stopping = asyncio.Event()

    def _routes(self) -> Iterable[web.RouteDef]:
        """Return the provider's routes."""
        raise NotImplementedError

    def _middlewares(self) -> Iterable[Middleware]:
        """Return the provider's middlewares (credential checks), run after fault injection."""
        return ()

    @property
    def port(self) -> int:
        """The port the server listens on (the ephemeral one when constructed with 0)."""
        if self._runner is None:
            raise RuntimeError("simulator is not running")
        addr: tuple[str, int] = self._runner.addresses[0]
        return addr[1]

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Start listening; a simulator that is already running refuses to start again."""
        if self._runner is not None:
            # A second server would replace the first, whose port would then never be closed.
            raise RuntimeError(f"{type(self).__name__} is already running on {self.base_url}")
        self._stopping = asyncio.Event()
        app = web.Application(middlewares=[self._record_mw, self._fault_mw, *self._middlewares()])
        app.add_routes(list(self._routes()))
        # The default access log would flood the test output.
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        # Our own listening socket, so that aclose() can stop accepting before closing it.
        self._listener = socket.create_server(("127.0.0.1", self._port))
        await web.SockSite(self._runner, self._listener).start()

    async def aclose(self) -> None:
        """Stop the server and close open connections; idempotent."""
        if self._runner is not None:
            self._stopping.set()
            # Stop accepting, then let the accepts already queued finish: one that runs after
            # asyncio has closed its server fails inside asyncio and leaks its socket.
            if self._listener is not None:
                asyncio.get_running_loop().remove_reader(self._listener)
                self._listener = None
                for _ in range(2):
                    await asyncio.sleep(0)
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        """Start the server."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server."""
        await self.aclose()

    @property
    def rate_limited(self) -> int:
        """How many requests the `rate_limit_burst` fault has answered 429 so far."""
        return self._plan.rate_limited

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """Count recorded requests with this method and a path starting with `path`."""
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method.upper())
            and (path is None or r.path.startswith(path))
        )

    def script(self, fault: ScriptedFault | int, times: int = 1, path: str | None = None) -> None:
        """Inject `fault` into the next `times` matching requests, before any random fault.

        An int is shorthand for `Reply(status)`. Without `path` it hits the next non-auth
        requests; with a path (prefix match) it hits matching requests, auth endpoints included.
        """
        self._plan.script(fault, times=times, path=path)

    async def _pause(self, seconds: float) -> bool:
        """Wait `seconds`, cut short by aclose(); False when the simulator is stopping."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stopping.wait()
        return not self._stopping.is_set()

    @web.middleware
    async def _record_mw(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self._record:
            body = await request.read()
            self.requests.append(
                RecordedRequest(
                    request.method,
                    request.path,
                    dict(request.query),
                    body,
                    dict(request.headers),
                )
            )
        return await handler(request)

    @web.middleware
    async def _fault_mw(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        delay, fault, key = self._plan.decide(request.path, is_auth=request.path in self.auth_paths)
        if delay > 0 and not await self._pause(delay):
            return _hang_up(request)
        if isinstance(fault, Reply):
            return _reply(fault)
        if isinstance(fault, Redirect):
            location = fault.location or str(request.rel_url)
            return web.Response(status=fault.status, headers={"Location": location})
        if isinstance(fault, Echo):
            return await _echo(request, fault)
        if isinstance(fault, Stall):
            await request.read()
            await self._stopping.wait()
            return _hang_up(request)
        if isinstance(fault, Endless):
            return await self._endless(request, fault)
        if isinstance(fault, Freeze) and key in self._plan.frozen:
            status, frozen, content_type = self._plan.frozen[key]
            return web.Response(status=status, body=frozen, content_type=content_type)
        try:
            response = await handler(request)
        except Abort as abort:
            response = abort.response
        if fault is None or not isinstance(response, web.Response):
            return response
        body = response.body
        if not isinstance(body, bytes):
            return response
        if isinstance(fault, Freeze):
            self._plan.frozen[key] = (response.status, body, response.content_type)
            return response
        if isinstance(fault, Truncate):
            return web.Response(
                body=body[: len(body) // 2],
                status=200,
                content_type=response.content_type,
            )
        if isinstance(fault, SlowBody):
            return await _slow(request, response, body, fault, self._pause)
        assert isinstance(fault, Drop)
        return await _drop(request, response, body)

    async def _endless(self, request: web.Request, fault: Endless) -> web.StreamResponse:
        stream = web.StreamResponse(status=fault.status)
        stream.content_type = fault.content_type
        stream.enable_chunked_encoding()
        await stream.prepare(request)
        await stream.write(fault.prefix)
        block = fault.chunk * max(1, 16384 // max(1, len(fault.chunk)))
        try:
            while not self._stopping.is_set():
                await stream.write(block)
        except (ConnectionResetError, ConnectionError):
            pass  # the client hung up, as it should
        return _hang_up(request, stream)


def _hang_up(request: web.Request, stream: web.StreamResponse | None = None) -> web.StreamResponse:
    """Abort the connection without an answer (or mid-answer)."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    return stream if stream is not None else web.Response(status=503)


async def _echo(request: web.Request, fault: Echo) -> web.Response:
    body = await request.read()
    lines = [f"{request.method} {request.path_qs} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in request.headers.items()]
    page = (
        "<html><head><title>Request rejected</title></head><body><h1>Request rejected</h1>"
        "<p>The request below was refused by the gateway.</p><pre>"
        + html.escape("\n".join(lines))
        + "\n\n"
        + html.escape(body.decode("utf-8", "replace"))
        + "</pre></body></html>"
    )
    return web.Response(status=fault.status, text=page, content_type="text/html")


async def _slow(
    request: web.Request,
    response: web.Response,
    body: bytes,
    fault: SlowBody,
    pause: Callable[[float], Awaitable[bool]],
) -> web.StreamResponse:
    stream = web.StreamResponse(status=response.status, headers=response.headers)
    stream.content_length = len(body)
    await stream.prepare(request)
    step = max(1, fault.chunk)
    try:
        for at in range(0, len(body), step):
            await stream.write(body[at : at + step])
            if not await pause(fault.interval):
                return _hang_up(request, stream)
    except (ConnectionResetError, ConnectionError):
        pass  # the client gave up waiting
    return stream


def _reply(fault: Reply) -> web.Response:
    headers = dict(fault.headers or {})
    if fault.retry_after is not None:
        headers["Retry-After"] = f"{fault.retry_after:g}"
    body = fault.body
    if body is None:
        body = _encode(error_body(fault.status))
    elif isinstance(body, str):
        body = body.encode()
    elif not isinstance(body, bytes):
        body = _encode(body)
    return web.Response(
        body=body, status=fault.status, content_type=fault.content_type, headers=headers
    )


async def _drop(request: web.Request, response: web.Response, body: bytes) -> web.StreamResponse:
    stream = web.StreamResponse(status=response.status, headers=response.headers)
    stream.content_length = len(body)
    await stream.prepare(request)
    await stream.write(body[: len(body) // 2])
    transport = request.transport
    if transport is not None:
        transport.abort()
    return stream
