"""TEL4VN as the rest of telcall sees it (collected by :mod:`telcall.providers`)."""

from __future__ import annotations

from .._core.spec import ConnectionFlag, ProviderSpec

__all__ = ("SPEC",)

SPEC = ProviderSpec(
    name="tel4vn",
    label="TEL4VN",
    package="telcall.tel4vn",
    client="telcall.tel4vn.client:AsyncTel4vnClient",
    sync_client="telcall._sync.tel4vn:Tel4vnClient",
    raw_client="telcall._raw.tel4vn:AsyncRawTel4vnClient",
    simulator="telcall.simulator._tel4vn:Tel4vnSimulator",
    simulator_defaults={"cdrs": 1000, "seed": 1},
    simulator_about="A running TEL4VN simulator with 1,000 CDRs, seed 1",
    simulate="telcall.simulator._tel4vn:SIMULATE",
    export_source="telcall.export._source:Tel4vnSource",
    # The key TEL4VN sends back in its event hooks' requests.
    secret_params=("callback_api_key",),
    connection_flags=(
        ConnectionFlag(
            name="mapping",
            param="cdr_mapping",
            choices=("auto", "default", "flex"),
            default="auto",
            help="TEL4VN: the account's CDR shape (default: auto, detected per page)",
        ),
    ),
)
