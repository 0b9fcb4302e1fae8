"""Many tenants in one job: one export per tenant, side by side, none starving another.

Each tenant's export is an ordinary :func:`~telcall.export.export_cdrs` job
in ``out_dir/tenant=<label>/`` with its own client, its own window slots
(``concurrency``) and its own request gate (``budget``): a tenant with a
year of backlog fills only its own slots and its own budget, so a small
tenant's windows start at once and finish in their own time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Literal

import anyio

from .._core.errors import TelcallError, ValidationError
from ._budget import RequestBudget
from ._job import ExportError, ExportProgress, ExportSummary, WindowResult, export_cdrs
from ._pgstate import check_destination, reach_database
from ._plan import DEFAULT_PAGE_SIZE
from ._sinks import Format, check_format
from ._source import ExportClient
from ._tenants import check_tenant
from ._windows import DateLike, check_window

__all__ = ("TenantsExportError", "export_tenants")


class TenantsExportError(TelcallError):
    """Some tenants' exports failed; the others finished.

    ``summaries`` holds every tenant that got as far as a summary (a tenant
    whose windows partly failed has its :class:`ExportError` summary);
    ``failures`` pairs each failed tenant's label with its exception, like
    :attr:`ExportError.failures` does windows. Running the same job again
    redoes only what is missing.
    """

    def __init__(
        self,
        summaries: dict[str, ExportSummary],
        failures: list[tuple[str, TelcallError]],
        tenants: int,
    ) -> None:
        first = f" (first: {failures[0][0]}: {failures[0][1]})" if failures else ""
        super().__init__(
            f"{len(failures)} of {tenants} tenants failed{first}; run the export again to finish it"
        )
        self.summaries = summaries
        self.failures = failures


async def export_tenants(
    clients: Mapping[str, ExportClient],
    start: DateLike | None = None,
    end: DateLike | None = None,
    out_dir: str | os.PathLike[str] = ".",
    *,
    format: Format = "ndjson",
    window: timedelta = timedelta(hours=24),
    concurrency: int = 4,
    lookback: timedelta = timedelta(hours=2),
    raw: bool = False,
    since: Literal["last"] | None = None,
    budget: RequestBudget | None = None,
    progress: Callable[[str, ExportProgress], None] | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    window_retries: int = 2,
    state: str | None = None,
    table: str | None = None,
    on_window: Callable[[str, WindowResult], None] | None = None,
) -> dict[str, ExportSummary]:
    """Export every tenant's CDRs into ``out_dir/tenant=<label>/``, all tenants at once.

    ``clients`` maps each tenant label to its client (or :class:`CdrSource`).
    ``concurrency`` windows run at a time *per tenant*, and ``budget`` (default:
    ``concurrency`` requests in flight, no rate cap) bounds each tenant's
    requests on its own. ``progress(tenant, snapshot)`` hears every tenant's
    progress and ``on_window(tenant, result)`` every tenant's windows. The other
    arguments are :func:`export_cdrs`'s, the same for every tenant (with
    ``state="postgresql://..."`` and ``format="postgresql"`` every tenant's
    rows go into the one ``table``, keyed by tenant).

    Returns each tenant's summary. What would fail every tenant alike is raised
    as is before any tenant starts: bad arguments (:class:`ValidationError`),
    an unreachable ``state`` database (:class:`CheckpointError`), a ``table``
    of another schema. Raises :class:`TenantsExportError` when tenants failed,
    after the others finished; any other exception (one raised by
    ``progress``) stops every tenant and is raised as is.
    """
    if not clients:
        raise ValidationError("no tenants to export")
    for label in clients:
        if not label:
            raise ValidationError("a tenant label must not be empty")
        check_tenant(label)
    if concurrency < 1:
        raise ValidationError(f"concurrency must be >= 1, got {concurrency}")
    # What every tenant's plan would refuse alike, refused before any tenant starts.
    check_format(format, raw)
    check_window(window)
    if page_size < 1:
        raise ValidationError(f"page_size must be >= 1, got {page_size}")
    if lookback < timedelta(0):
        raise ValidationError(f"lookback must be >= 0, got {lookback}")
    target = check_destination(format, state, table)
    if state is not None:
        # An unreachable database or a table of another schema would fail every tenant
        # alike: one clear error, before any tenant sends a request.
        await anyio.to_thread.run_sync(reach_database, state, target)
    summaries: dict[str, ExportSummary] = {}
    failures: dict[str, TelcallError] = {}

    async def one(label: str, client: ExportClient) -> None:
        report = None if progress is None else (lambda snapshot: progress(label, snapshot))
        heard = None if on_window is None else (lambda result: on_window(label, result))
        try:
            summaries[label] = await export_cdrs(
                client,
                start,
                end,
                out_dir,
                format=format,
                window=window,
                concurrency=concurrency,
                lookback=lookback,
                raw=raw,
                since=since,
                progress=report,
                page_size=page_size,
                window_retries=window_retries,
                tenant=label,
                budget=budget or RequestBudget(max_in_flight=concurrency),
                state=state,
                table=table,
                on_window=heard,
            )
        except ExportError as exc:
            summaries[label] = exc.summary
            failures[label] = exc
        except TelcallError as exc:
            failures[label] = exc

    async with anyio.create_task_group() as group:
        for label, client in clients.items():
            group.start_soon(one, label, client)
    if failures:
        raise TenantsExportError(
            dict(sorted(summaries.items())), sorted(failures.items()), len(clients)
        )
    return dict(sorted(summaries.items()))
