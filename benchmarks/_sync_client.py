"""The sync facade's client class, wherever this tree exports it from (None if absent)."""

from __future__ import annotations

from typing import Any

__all__ = ("Tel4vnClient",)

Tel4vnClient: Any
try:
    from telcall import Tel4vnClient  # type: ignore[attr-defined,no-redef]
except ImportError:
    try:
        from telcall._sync import Tel4vnClient  # type: ignore[no-redef]
    except ImportError:
        Tel4vnClient = None
