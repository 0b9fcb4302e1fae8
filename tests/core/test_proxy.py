"""Proxies and TLS settings: the environment by default, ``proxy=``/``ssl=``, loopback direct.

The forward proxy here is real (absolute-URI requests and CONNECT tunnels on 127.0.0.1) and
sends everything to 127.0.0.1 whatever host a request names, so tests can use a name such as
``pbx.test`` that the client never resolves and no traffic leaves loopback.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

import anyio
import pytest
import trustme
from anyio.from_thread import start_blocking_portal

from telcall import AsyncOmicallClient, AsyncTel4vnClient, Tel4vnClient, errors
from telcall._core.settings import Proxy, resolve_proxy
from telcall.simulator import Tel4vnSimulator

_PROXY_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
)

_PASSWORD = "pr0xy-pa55word-xyz"


@pytest.fixture(autouse=True)
def _clean_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sets the proxy variables it needs; none leak in from the machine."""
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@dataclass
class ForwardProxy:
    """A forward proxy on 127.0.0.1 that records each request head it receives."""

    #: ``user:password`` the proxy requires (407 otherwise), or None.
    credentials: str | None = None
    #: (method, target, Proxy-Authorization) of every request.
    seen: list[tuple[str, str, str | None]] = field(default_factory=list)
    url: str = ""
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await _stop(self._server, self._writers)

    def proxy_url(self, userinfo: str | None = None) -> str:
        """The proxy's URL, with ``userinfo@`` when given."""
        return self.url.replace("://", f"://{userinfo}@") if userinfo else self.url

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, target, _ = request_line.split(" ")
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in header_lines if line)
        }
        auth = headers.get("proxy-authorization")
        self.seen.append((method, target, auth))
        if self.credentials is not None:
            expected = "Basic " + base64.b64encode(self.credentials.encode()).decode()
            if auth != expected:
                writer.write(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                    b'Proxy-Authenticate: Basic realm="test"\r\n'
                    b"Content-Length: 0\r\nConnection: close\r\n\r\n"
                )
                await writer.drain()
                writer.close()
                return
        if method == "CONNECT":
            port = int(target.rsplit(":", 1)[1])
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await _pipe_both(reader, writer, up_reader, up_writer)
            return
        parts = urlsplit(target)
        origin_form = parts.path + (f"?{parts.query}" if parts.query else "")
        kept = [
            line
            for line in header_lines
            if line and not line.lower().startswith(("proxy-", "connection:"))
        ]
        # One request per connection: the upstream's "Connection: close" tells the client.
        upstream_head = "\r\n".join(
            [f"{method} {origin_form} HTTP/1.1", *kept, "Connection: close"]
        )
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", parts.port or 80)
        up_writer.write(upstream_head.encode("latin-1") + b"\r\n\r\n" + body)
        writer.write(await up_reader.read())
        await writer.drain()
        up_writer.close()
        writer.close()


async def _stop(server: asyncio.Server, writers: set[asyncio.StreamWriter]) -> None:
    """Stop listening and end open connections (tunnels would otherwise outlive the test)."""
    server.close()
    for writer in writers:
        writer.close()
    await server.wait_closed()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


async def _pipe_both(
    a_reader: asyncio.StreamReader,
    a_writer: asyncio.StreamWriter,
    b_reader: asyncio.StreamReader,
    b_writer: asyncio.StreamWriter,
) -> None:
    await asyncio.gather(_pipe(a_reader, b_writer), _pipe(b_reader, a_writer))


@contextlib.asynccontextmanager
async def tls_front(port: int, cert: trustme.LeafCert) -> AsyncIterator[int]:
    """A TLS terminator on 127.0.0.1 in front of the plain-HTTP server on ``port``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)

    writers: set[asyncio.StreamWriter] = set()

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.add(writer)
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
        await _pipe_both(reader, writer, up_reader, up_writer)

    server = await asyncio.start_server(relay, "127.0.0.1", 0, ssl=context)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        await _stop(server, writers)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    """A throwaway certificate authority."""
    return trustme.CA()


@pytest.fixture
def ca_bundle(ca: trustme.CA, tmp_path: Path) -> Path:
    """The CA's certificate as a PEM file."""
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
async def sim() -> AsyncIterator[Tel4vnSimulator]:
    """A TEL4VN simulator on loopback."""
    async with Tel4vnSimulator(cdrs=5, seed=1) as simulator:
        yield simulator


@pytest.fixture
async def proxy() -> AsyncIterator[ForwardProxy]:
    """A forward proxy on loopback that needs no credentials."""
    async with ForwardProxy() as running:
        yield running


async def test_environment_proxy_is_used(
    sim: Tel4vnSimulator, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With HTTP_PROXY set, every request (token and data) goes through the proxy."""
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    base_url = f"http://pbx.test:{sim.port}"
    with anyio.fail_after(10):
        async with AsyncTel4vnClient(base_url=base_url, api_key=sim.api_key) as client:
            page = await client.cdrs.list(limit=2)
    assert len(page.items) == 2
    assert [
        ("POST", f"{base_url}/v2/auth/token"),
        ("GET", f"{base_url}/v2/cdr?limit=2"),
    ] == [(method, target) for method, target, _ in proxy.seen]
    assert len(sim.requests) == 2


async def test_trust_env_false_ignores_the_environment(
    sim: Tel4vnSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """trust_env=False: HTTP_PROXY (here a dead port) is not read."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:1")
    client = AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key, trust_env=False)
    assert client._transport._proxy is None


async def test_loopback_is_never_proxied_from_the_environment(
    sim: Tel4vnSimulator, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A simulator on 127.0.0.1 is reached directly although HTTP_PROXY is set."""
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    with anyio.fail_after(10):
        async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as client:
            await client.cdrs.list(limit=1)
    assert proxy.seen == []
    assert len(sim.requests) == 2


@pytest.mark.parametrize(
    ("base_url", "no_proxy", "expected"),
    [
        pytest.param("http://pbx.test:8080", "", "http://proxy.test:3128", id="proxied"),
        pytest.param("http://pbx.test:8080", "pbx.test", None, id="no-proxy-host"),
        pytest.param("http://pbx.test:8080", ".test", None, id="no-proxy-domain"),
        pytest.param("http://pbx.test:8080", "*", None, id="no-proxy-star"),
        pytest.param("http://127.0.0.1:8080", "", None, id="ipv4-loopback"),
        pytest.param("http://127.5.6.7", "", None, id="loopback-net"),
        pytest.param("http://[::1]:8080", "", None, id="ipv6-loopback"),
        pytest.param("http://localhost:8080", "", None, id="localhost"),
        pytest.param("http://api.localhost", "", None, id="dot-localhost"),
        pytest.param("https://pbx.test", "", "http://tls-proxy.test:3129", id="https-by-scheme"),
    ],
)
def test_resolve_proxy_from_environment(
    base_url: str, no_proxy: str, expected: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP(S)_PROXY by the URL's scheme, NO_PROXY respected, loopback always direct."""
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.test:3128")
    monkeypatch.setenv("HTTPS_PROXY", "http://tls-proxy.test:3129")
    monkeypatch.setenv("NO_PROXY", no_proxy)
    resolved = resolve_proxy(base_url, None, trust_env=True)
    assert expected == (resolved.url if resolved else None)


def test_explicit_proxy_beats_environment_and_splits_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """proxy= wins over HTTP_PROXY and applies to loopback too; userinfo is split off."""
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.test:3128")
    assert Proxy("http://127.0.0.1:9", "me", "p@ss") == resolve_proxy(
        "http://127.0.0.1:8080", "http://me:p%40ss@127.0.0.1:9", trust_env=True
    )


async def test_explicit_proxy_with_credentials(sim: Tel4vnSimulator) -> None:
    """proxy= with user:password@ sends Proxy-Authorization; the proxy carries every request."""
    async with ForwardProxy(credentials=f"agent:{_PASSWORD}") as proxy:
        with anyio.fail_after(10):
            async with AsyncTel4vnClient(
                base_url=f"http://pbx.test:{sim.port}",
                api_key=sim.api_key,
                proxy=proxy.proxy_url(f"agent:{_PASSWORD}"),
            ) as client:
                await client.calls.list()
    expected = "Basic " + base64.b64encode(f"agent:{_PASSWORD}".encode()).decode()
    assert [expected, expected] == [auth for _, _, auth in proxy.seen]
    assert len(sim.requests) == 2


async def test_refused_proxy_credentials_are_not_shown(sim: Tel4vnSimulator) -> None:
    """A 407 from the proxy is an error whose message and causes never show the password."""
    async with ForwardProxy(credentials="agent:right-password") as proxy:
        client = AsyncOmicallClient(
            base_url=f"https://pbx.test:{sim.port}",
            api_key="omi-key",
            proxy=proxy.proxy_url(f"agent:{_PASSWORD}"),
            max_retries=0,
        )
        with anyio.fail_after(10), pytest.raises(errors.TelcallError) as caught:
            async with client:
                await client.contacts.list()
    assert len(proxy.seen) == 1
    _assert_no_secret(caught.value, _PASSWORD)


async def test_unreachable_proxy_is_a_connect_error_without_the_password() -> None:
    """A proxy that refuses connections raises ConnectError; the password is nowhere in it."""
    client = AsyncTel4vnClient(
        base_url="http://pbx.test",
        token="tok-123456789",
        proxy=f"http://agent:{_PASSWORD}@127.0.0.1:1",
        max_retries=0,
    )
    with anyio.fail_after(10), pytest.raises(errors.ConnectError) as caught:
        async with client:
            await client.calls.list()
    _assert_no_secret(caught.value, _PASSWORD)
    assert _PASSWORD not in repr(client)


def _assert_no_secret(error: BaseException, secret: str) -> None:
    chain: BaseException | None = error
    while chain is not None:
        assert secret not in str(chain)
        assert secret not in repr(chain.args)
        chain = chain.__cause__ or chain.__context__


async def test_https_through_connect_tunnel_with_ca_bundle(
    sim: Tel4vnSimulator, proxy: ForwardProxy, ca: trustme.CA, ca_bundle: Path
) -> None:
    """HTTPS via HTTPS_PROXY uses a CONNECT tunnel; ssl= a CA bundle path verifies the PBX."""
    async with tls_front(sim.port, ca.issue_cert("pbx.test")) as port:
        with anyio.fail_after(10):
            async with AsyncTel4vnClient(
                base_url=f"https://pbx.test:{port}",
                api_key=sim.api_key,
                proxy=proxy.url,
                ssl=ca_bundle,
            ) as client:
                await client.calls.list()
    assert [("CONNECT", f"pbx.test:{port}")] == [(m, t) for m, t, _ in proxy.seen]
    assert len(sim.requests) == 2


async def test_ssl_context_and_default_verification(sim: Tel4vnSimulator, ca: trustme.CA) -> None:
    """ssl= an SSLContext trusts its CA; without it the private CA fails verification."""
    async with tls_front(sim.port, ca.issue_cert("127.0.0.1")) as port:
        context = ssl.create_default_context()
        ca.configure_trust(context)
        base_url = f"https://127.0.0.1:{port}"
        with anyio.fail_after(10):
            async with AsyncTel4vnClient(
                base_url=base_url, api_key=sim.api_key, ssl=context
            ) as client:
                await client.calls.list()
            async with AsyncTel4vnClient(
                base_url=base_url, api_key=sim.api_key, max_retries=0
            ) as client:
                with pytest.raises(errors.ConnectError, match="certificate"):
                    await client.calls.list()


def test_sync_client_takes_proxy(tel4vn_simulator_sync: Tel4vnSimulator) -> None:
    """The sync client takes proxy= too, and its requests go through the proxy."""
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(ForwardProxy()) as proxy,
    ):
        with Tel4vnClient(
            base_url=f"http://pbx.test:{tel4vn_simulator_sync.port}",
            api_key=tel4vn_simulator_sync.api_key,
            proxy=proxy.url,
            timeout=10,
        ) as client:
            client.calls.list()
        assert len(proxy.seen) == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"proxy": "socks5://127.0.0.1:1080"}, "SOCKS", id="socks"),
        pytest.param({"proxy": "http://"}, "no host", id="no-host"),
        pytest.param({"proxy": f"http://u:{_PASSWORD}@h:99999"}, "not a valid URL", id="bad-port"),
        pytest.param({"proxy": 3128}, "must be a string", id="not-text"),
        pytest.param({"ssl": "/no/such/ca.pem"}, "cannot load the CA bundle", id="missing-ca"),
        pytest.param({"ssl": 1}, "ssl must be", id="ssl-type"),
        pytest.param({"trust_env": "yes"}, "trust_env must be a bool", id="trust-env-type"),
    ],
)
def test_network_settings_validated_at_construction(
    kwargs: dict[str, object], message: str
) -> None:
    """Bad proxy/ssl/trust_env values raise ValidationError at once, never quoting a password."""
    with pytest.raises(errors.ValidationError, match=message) as caught:
        AsyncTel4vnClient(base_url="http://pbx.test", token="tok", **kwargs)  # type: ignore[arg-type]
    assert _PASSWORD not in str(caught.value)


def test_bad_environment_proxy_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A malformed HTTPS_PROXY fails at construction, naming the variable, not its value."""
    monkeypatch.setenv("HTTPS_PROXY", f"socks5://u:{_PASSWORD}@proxy.test")
    with pytest.raises(errors.ValidationError, match=r"proxy \(from HTTPS_PROXY\)") as caught:
        AsyncTel4vnClient(base_url="https://pbx.test", token="tok")
    assert _PASSWORD not in str(caught.value)
