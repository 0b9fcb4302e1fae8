"""Package attributes imported on first use, so that importing a package stays cheap.

A provider package is imported whenever its spec is read (the pytest plugin reads every spec
in every test run), which must not pull in aiohttp and the client until one is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ("lazy_attributes",)


def lazy_attributes(
    namespace: dict[str, Any], homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's ``__getattr__`` and ``__dir__``: ``homes`` maps a name to its module.

    Modules are relative to the package (``".client"``); a loaded name is cached in
    ``namespace`` (the package's ``globals()``).
    """
    package: str = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home, package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return list(namespace["__all__"])

    return __getattr__, __dir__
