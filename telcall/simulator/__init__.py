"""Embedded provider simulators: real HTTP servers on 127.0.0.1 with synthetic data and faults.

```python
from telcall.simulator import Faults, Tel4vnSimulator

async with Tel4vnSimulator(cdrs=10_000, faults=Faults(error_rate=0.05)) as sim:
    ...  # point a client at sim.base_url with sim.api_key
```

Names load lazily: the pytest plugin in this package is imported by every pytest run, and must
not pull in aiohttp.web and the simulators until a fixture is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from telcall.simulator._aicallcenter import AICallCenterSimulator as AICallCenterSimulator
    from telcall.simulator._base import (
        RecordedRequest as RecordedRequest,
        SimulatorBase as SimulatorBase,
    )
    from telcall.simulator._data import VN as VN, cdr_page_bytes as cdr_page_bytes
    from telcall.simulator._delivery import (
        DeliveryAttempt as DeliveryAttempt,
        DeliveryOptions as DeliveryOptions,
    )
    from telcall.simulator._faults import (
        HTML_502_BODY as HTML_502_BODY,
        Delay as Delay,
        Drop as Drop,
        Echo as Echo,
        Endless as Endless,
        Faults as Faults,
        Freeze as Freeze,
        Redirect as Redirect,
        Reply as Reply,
        ScriptedFault as ScriptedFault,
        SlowBody as SlowBody,
        Stall as Stall,
        Truncate as Truncate,
    )
    from telcall.simulator._omicall import OmicallSimulator as OmicallSimulator
    from telcall.simulator._plug import (
        Banner as Banner,
        SimOption as SimOption,
        SimulateCli as SimulateCli,
    )
    from telcall.simulator._serve import serve as serve
    from telcall.simulator._tel4vn import Tel4vnSimulator as Tel4vnSimulator
    from telcall.simulator._thread import serve_in_thread as serve_in_thread

__all__ = (
    "HTML_502_BODY",
    "VN",
    "AICallCenterSimulator",
    "Banner",
    "Delay",
    "DeliveryAttempt",
    "DeliveryOptions",
    "Drop",
    "Echo",
    "Endless",
    "Faults",
    "Freeze",
    "OmicallSimulator",
    "RecordedRequest",
    "Redirect",
    "Reply",
    "ScriptedFault",
    "SimOption",
    "SimulateCli",
    "SimulatorBase",
    "SlowBody",
    "Stall",
    "Tel4vnSimulator",
    "Truncate",
    "cdr_page_bytes",
    "serve",
    "serve_in_thread",
)

_HOMES = {
    "AICallCenterSimulator": "_aicallcenter",
    "OmicallSimulator": "_omicall",
    "Banner": "_plug",
    "SimOption": "_plug",
    "SimulateCli": "_plug",
    "RecordedRequest": "_base",
    "SimulatorBase": "_base",
    "VN": "_data",
    "cdr_page_bytes": "_data",
    "DeliveryAttempt": "_delivery",
    "DeliveryOptions": "_delivery",
    "HTML_502_BODY": "_faults",
    "Delay": "_faults",
    "Drop": "_faults",
    "Echo": "_faults",
    "Endless": "_faults",
    "Faults": "_faults",
    "Freeze": "_faults",
    "Redirect": "_faults",
    "Reply": "_faults",
    "ScriptedFault": "_faults",
    "SlowBody": "_faults",
    "Stall": "_faults",
    "Truncate": "_faults",
    "serve": "_serve",
    "Tel4vnSimulator": "_tel4vn",
    "serve_in_thread": "_thread",
}


def __getattr__(name: str) -> Any:
    """Import a public name from its private module on first use."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """List the public names."""
    return list(__all__)
