"""AI Call Center as the rest of telcall sees it (collected by :mod:`telcall.providers`)."""

from __future__ import annotations

from .._core.spec import ProviderSpec

__all__ = ("SPEC",)

SPEC = ProviderSpec(
    name="aicallcenter",
    label="AI Call Center",
    package="telcall.aicallcenter",
    client="telcall.aicallcenter.client:AsyncAICallCenterClient",
    sync_client="telcall._sync.aicallcenter:AICallCenterClient",
    raw_client="telcall._raw.aicallcenter:AsyncRawAICallCenterClient",
    simulator="telcall.simulator._aicallcenter:AICallCenterSimulator",
    simulator_about="A running AI Call Center simulator: three campaigns of 120 calls, seed 1",
    simulate="telcall.simulator._aicallcenter:SIMULATE",
    export_source="telcall.export._source:AICallCenterSource",
)
