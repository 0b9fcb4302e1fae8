"""OMICall as the rest of telcall sees it (collected by :mod:`telcall.providers`)."""

from __future__ import annotations

from .._core.spec import ProviderSpec

__all__ = ("SPEC",)

SPEC = ProviderSpec(
    name="omicall",
    label="OMICall",
    package="telcall.omicall",
    client="telcall.omicall.client:AsyncOmicallClient",
    sync_client="telcall._sync.omicall:OmicallClient",
    raw_client="telcall._raw.omicall:AsyncRawOmicallClient",
    simulator="telcall.simulator._omicall:OmicallSimulator",
    simulator_about="A running OMICall simulator: 2,000 calls over 91 days, 25 contacts, seed 1",
    simulate="telcall.simulator._omicall:SIMULATE",
    export_source="telcall.export._source:OmicallSource",
)
