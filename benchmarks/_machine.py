"""What the figures were measured on: CPU, memory, load, versions, date."""

from __future__ import annotations

import datetime
import os
import platform
from importlib import metadata

__all__ = ("describe", "load")

_PACKAGES = ("telcall", "aiohttp", "msgspec", "pydantic", "pydantic-core", "httpx", "requests")
_MORE = ("orjson", "anyio")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram() -> str:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def load() -> str:
    """The 1/5/15-minute load averages (other work on the machine skews the figures)."""
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def describe() -> dict[str, str]:
    """Machine, interpreter and library versions, and today's date."""
    info = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{_cpu_model()}, {os.cpu_count()} cores",
        "ram": _ram(),
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
    }
    for name in (*_PACKAGES, *_MORE):
        info[name] = _version(name)
    return info
