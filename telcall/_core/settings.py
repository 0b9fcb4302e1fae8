"""Checks for client settings: bad values fail at construction, never at the first call.

Each check raises :class:`~telcall.errors.ValidationError` with the setting's name. Checks of
credentials never quote the value (only where in it the problem is).
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import ssl
import urllib.request
from datetime import tzinfo
from typing import NamedTuple
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfoNotFoundError

from .errors import ValidationError
from .records import resolve_tz

__all__ = (
    "Proxy",
    "SslSetting",
    "check_base_url",
    "check_count",
    "check_credential",
    "check_proxy",
    "check_seconds",
    "check_ssl",
    "check_tz",
    "is_loopback",
    "resolve_proxy",
)

#: What ``ssl=`` takes: a context, a CA bundle (file or directory), or ``False`` (no checks).
SslSetting = ssl.SSLContext | str | os.PathLike[str] | bool

# C0 and C1 control characters and DEL: a CR/LF in a header or URL splits the request.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _from(env: str | None) -> str:
    return f" (from {env})" if env else ""


def _check_text(name: str, value: object, env: str | None) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a string, got {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        # Raised without the codec error: it holds the whole value.
        raise ValidationError(
            f"{name}{_from(env)} is not valid UTF-8 text (undecodable bytes at position "
            f"{exc.start}); check the environment's encoding"
        ) from None
    bad = _CONTROL.search(value)
    if bad is not None:
        raise ValidationError(
            f"{name}{_from(env)} contains a control character (U+{ord(bad.group()):04X}) at "
            f"position {bad.start()}; a trailing newline from a file or a shell is the usual cause"
        )
    return value


def check_base_url(value: object, env: str | None = None) -> str:
    """An ``http(s)://host[:port][/path]`` URL without control characters or whitespace."""
    url = _check_text("base_url", value, env)
    if not url.startswith(("http://", "https://")):
        raise ValidationError(f"base_url{_from(env)} must start with http:// or https://")
    if any(c.isspace() for c in url):
        raise ValidationError(f"base_url{_from(env)} contains whitespace")
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port
    except ValueError as exc:
        raise ValidationError(f"base_url{_from(env)} is not a valid URL: {exc}") from None
    if not host:
        raise ValidationError(f"base_url{_from(env)} has no host")
    if parts.username is not None or parts.password is not None:
        # aiohttp would send it as HTTP Basic auth, which no provider uses, and the URL is
        # shown in reprs, errors and window specs: refuse it rather than carry a secret.
        raise ValidationError(
            f"base_url{_from(env)} carries a user name or password; no provider authenticates "
            "that way: pass the provider's credentials instead"
        )
    return url


def check_credential(name: str, value: object, env: str | None = None) -> str:
    """A secret or token: UTF-8 text, no control characters, no surrounding whitespace."""
    secret = _check_text(name, value, env)
    if not secret.strip():
        raise ValidationError(f"{name}{_from(env)} is blank")
    if secret != secret.strip():
        raise ValidationError(f"{name}{_from(env)} has leading or trailing whitespace")
    return secret


def check_count(name: str, value: object, *, minimum: int) -> int:
    """An ``int`` (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValidationError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_seconds(name: str, value: object, *, allow_zero: bool = False) -> float:
    """A finite number of seconds, positive (or also zero with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(f"{name} must be a finite number of seconds, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValidationError(f"{name} must be {bound} seconds, got {value!r}")
    return float(value)


def check_tz(value: object) -> tzinfo:
    """A ``tzinfo`` or an IANA zone name that this machine knows."""
    if not isinstance(value, str | tzinfo):
        raise ValidationError(f"tz must be a zone name or a tzinfo, got {type(value).__name__}")
    try:
        return resolve_tz(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        hint = " (install tzdata where the OS has no zone database)"
        raise ValidationError(f"unknown time zone {value!r}{hint}: {exc}") from None


class Proxy(NamedTuple):
    """A forward proxy: its URL without credentials, and the credentials apart."""

    url: str
    username: str | None
    password: str | None


def check_proxy(value: object, env: str | None = None) -> Proxy:
    """An ``http(s)://[user:password@]host[:port]`` proxy URL, credentials split off.

    Never quotes the URL: it may carry a password.
    """
    url = _check_text("proxy", value, env)
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ValidationError(f"proxy{_from(env)} is not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise ValidationError(
            f"proxy{_from(env)} must start with http:// or https:// "
            f"(got {parts.scheme or 'no'} scheme; SOCKS proxies are not supported)"
        )
    if not host or any(c.isspace() for c in url):
        raise ValidationError(f"proxy{_from(env)} has no host, or contains whitespace")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    if username is not None and ":" in username:
        raise ValidationError(f"proxy{_from(env)} has a ':' in its user name")
    return Proxy(f"{parts.scheme}://{netloc}", username, password)


def is_loopback(host: str) -> bool:
    """``localhost``, ``*.localhost``, 127.0.0.0/8 or ``::1``."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_proxy(base_url: str, proxy: object, *, trust_env: bool) -> Proxy | None:
    """The proxy for requests to ``base_url``: ``proxy`` if given, else the environment's.

    From the environment (``trust_env``) as urllib and aiohttp read it: ``HTTPS_PROXY`` or
    ``HTTP_PROXY`` by the URL's scheme, skipped for hosts ``NO_PROXY`` names, and never for a
    loopback host (a local simulator or tunnel is reached directly behind any proxy).
    """
    if proxy is not None:
        return check_proxy(proxy)
    if not trust_env:
        return None
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    if is_loopback(host):
        return None
    from_env = urllib.request.getproxies().get(parts.scheme)
    if not from_env:
        return None
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    if urllib.request.proxy_bypass(netloc):
        return None
    return check_proxy(from_env, f"{parts.scheme.upper()}_PROXY")


def check_ssl(value: object) -> ssl.SSLContext | bool:
    """A context as given, ``True``/``False``, or a context trusting a CA bundle's certificates.

    A path is a PEM file or an OpenSSL hashed directory (``c_rehash``); it is read now, so a
    missing or unreadable bundle fails at construction, not at the first request.
    """
    if isinstance(value, ssl.SSLContext | bool):
        return value
    if not isinstance(value, str | os.PathLike):
        raise ValidationError(
            f"ssl must be an ssl.SSLContext, a CA bundle path or a bool, got {type(value).__name__}"
        )
    path = os.fspath(value)
    if not isinstance(path, str):
        raise ValidationError("ssl must be a text path, not bytes")
    try:
        if os.path.isdir(path):
            return ssl.create_default_context(capath=path)
        return ssl.create_default_context(cafile=path)
    except (OSError, ssl.SSLError) as exc:
        raise ValidationError(f"ssl: cannot load the CA bundle {path!r}: {exc}") from None
