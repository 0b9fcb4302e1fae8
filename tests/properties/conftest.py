"""The hostile suite's running simulators and warmed-up sync clients (``sync_servers``)."""

from ..hostile.conftest import sync_servers

__all__ = ("sync_servers",)
