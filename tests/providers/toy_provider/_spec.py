"""The toy provider's spec, registered by the ``telcall.providers`` entry point."""

from telcall.providers import ProviderSpec

__all__ = ("SPEC",)

SPEC = ProviderSpec(
    name="toy",
    label="Toy",
    package="toy_provider",
    client="toy_provider.client:AsyncToyClient",
    sync_client="toy_provider._sync.toy:ToyClient",
    raw_client="toy_provider._raw.toy:AsyncRawToyClient",
    simulator="toy_provider.simulator:ToySimulator",
    simulator_defaults={"calls": 3, "seed": 1},
    simulator_about="A running toy simulator with 3 calls",
    simulate="toy_provider.simulator:SIMULATE",
    export_source="toy_provider.source:ToySource",
    secret_params=("toy_pin",),
)
