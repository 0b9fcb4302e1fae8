"""CDR export: windowed, concurrent, resumable, exactly-once files.

```python
from telcall import AsyncTel4vnClient
from telcall.export import export_cdrs

async with AsyncTel4vnClient() as client:
    summary = await export_cdrs(client, "2026-11-01", "2026-11-08", "cdrs/", format="parquet")
```

OMICall and AI Call Center clients work the same way; pass
``AICallCenterSource(client, campaign_id)`` to export one campaign instead of
the account's call log. On an engine: :func:`plan` once, then
:func:`run_window` for each spec anywhere.
"""

from ._budget import RequestBudget as RequestBudget
from ._clients import close_worker_clients as close_worker_clients
from ._job import (
    ClientFactory as ClientFactory,
    ExportError as ExportError,
    ExportProgress as ExportProgress,
    ExportSummary as ExportSummary,
    HostUnreachable as HostUnreachable,
    IncompleteWindow as IncompleteWindow,
    SyncExportClient as SyncExportClient,
    WindowResult as WindowResult,
    WindowSuperseded as WindowSuperseded,
    arun_window as arun_window,
    export_cdrs as export_cdrs,
    export_cdrs_sync as export_cdrs_sync,
    run_window as run_window,
)
from ._multi import TenantsExportError as TenantsExportError, export_tenants as export_tenants
from ._plan import WindowSpec as WindowSpec, plan as plan
from ._sinks import COLUMNS as COLUMNS, Format as Format, parquet_schema as parquet_schema
from ._source import (
    AICallCenterSource as AICallCenterSource,
    CdrSource as CdrSource,
    Connection as Connection,
    ExportClient as ExportClient,
    OmicallSource as OmicallSource,
    SourceRecord as SourceRecord,
    Tel4vnSource as Tel4vnSource,
)
from ._state import STATE_FILE as STATE_FILE

__all__ = (
    "COLUMNS",
    "STATE_FILE",
    "AICallCenterSource",
    "CdrSource",
    "ClientFactory",
    "Connection",
    "ExportClient",
    "ExportError",
    "ExportProgress",
    "ExportSummary",
    "Format",
    "HostUnreachable",
    "IncompleteWindow",
    "OmicallSource",
    "RequestBudget",
    "SourceRecord",
    "SyncExportClient",
    "Tel4vnSource",
    "TenantsExportError",
    "WindowResult",
    "WindowSpec",
    "WindowSuperseded",
    "arun_window",
    "close_worker_clients",
    "export_cdrs",
    "export_cdrs_sync",
    "export_tenants",
    "parquet_schema",
    "plan",
    "run_window",
)
