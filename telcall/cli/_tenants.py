"""``telcall export cdrs --tenants FILE``: every tenant of a TOML file in one run.

One ``[label]`` section per tenant: ``provider``, ``base_url`` (optional where
the provider has a default address), ``secret_env`` (the *name* of the
environment variable holding the tenant's long-lived secret: never the secret
itself), and optionally ``tz`` and the provider's connection options by their
flag names (TEL4VN's ``mapping``). Everything is checked
before any request: the file, every label, and that every tenant's variable is
set. Tenants run side by side (``--concurrency`` windows each), one progress
line per tenant, then one summary table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tomllib
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from telcall.export import (
    ExportProgress,
    ExportSummary,
    TenantsExportError,
    export_tenants,
)
from telcall.export._tenants import check_tenant

from .._core.errors import ValidationError
from ._common import EXIT_OK, EXIT_USAGE, PROVIDERS, CliError
from ._export import check_format_installed, job_options, progress_line
from ._ui import Column, Ui

__all__ = ("TenantEntry", "export_tenants_cli", "read_tenants")

# Flags that name one account; with --tenants the file names each tenant's.
_ONE_ACCOUNT = sorted(
    {"base_url", "token", "campaign"}
    | {p.client.secret_name for p in PROVIDERS.values()}
    | {flag.name for p in PROVIDERS.values() for flag in p.spec.connection_flags}
)


class TenantEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One ``[label]`` section of a tenants file."""

    provider: str
    secret_env: str
    base_url: str | None = None
    tz: str | None = None
    #: The provider's connection options by flag name (TEL4VN's ``mapping``).
    options: dict[str, str] = {}


_FIELDS = frozenset(TenantEntry.__struct_fields__) - {"options"}
_HINT = "secrets go in the environment: see secret_env"


def _entry(where: str, section: dict[str, Any]) -> TenantEntry:
    """A section as an entry; messages name fields and types, never a value (it may be a secret)."""
    try:
        entry = msgspec.convert({k: v for k, v in section.items() if k in _FIELDS}, TenantEntry)
    except msgspec.ValidationError as exc:
        raise _usage(f"{where}: {exc} ({_HINT})") from None
    provider = PROVIDERS.get(entry.provider)
    if provider is None:
        known = ", ".join(PROVIDERS)
        raise _usage(f"{where}: unknown provider {entry.provider!r} (known: {known})")
    flags = {flag.name: flag for flag in provider.spec.connection_flags}
    options: dict[str, str] = {}
    for key, value in section.items():
        if key in _FIELDS:
            continue
        flag = flags.get(key)
        if flag is None:
            raise _usage(f"{where}: unknown field `{key}` for {entry.provider} ({_HINT})")
        if not isinstance(value, str) or (flag.choices and value not in flag.choices):
            allowed = ", ".join(flag.choices or ()) or "a string"
            raise _usage(f"{where}: {key} must be one of {allowed}")
        options[key] = value
    return msgspec.structs.replace(entry, options=options)


def _usage(message: str) -> CliError:
    return CliError(message, exit_code=EXIT_USAGE)


def read_tenants(path: Path) -> dict[str, TenantEntry]:
    """The tenants of ``path``, checked; a usage error (exit 2) names what is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _usage(f"--tenants {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _usage(f"--tenants {path} is not TOML: {exc}") from None
    if not data:
        raise _usage(f"--tenants {path} names no tenant: add a [label] section per tenant")
    tenants: dict[str, TenantEntry] = {}
    for label, section in data.items():
        where = f"--tenants {path}: [{label}]"
        try:
            check_tenant(label)
        except ValidationError as exc:
            raise _usage(f"{where}: {exc}") from None
        if not isinstance(section, dict):
            raise _usage(f"{where} must be a section (a table), not a value")
        entry = _entry(where, section)
        if entry.base_url is None and not PROVIDERS[entry.provider].client.default_base_url:
            raise _usage(f"{where}: base_url is required for {entry.provider}")
        if entry.tz is not None:
            try:
                ZoneInfo(entry.tz)
            except (ZoneInfoNotFoundError, ValueError):
                raise _usage(f"{where}: unknown time zone {entry.tz!r}") from None
        tenants[label] = entry
    return tenants


def _secrets(tenants: dict[str, TenantEntry]) -> dict[str, str]:
    """Each tenant's secret from its variable; every missing one named at once."""
    found: dict[str, str] = {}
    missing: list[str] = []
    for label, entry in tenants.items():
        value = os.environ.get(entry.secret_env, "").strip()
        if value:
            found[label] = value
        else:
            missing.append(f"{label} ({entry.secret_env})")
    if missing:
        raise _usage(
            f"no secret for tenant {', '.join(missing)}: set the environment variable "
            "the tenants file names in secret_env"
        )
    return found


def _client(args: argparse.Namespace, entry: TenantEntry, secret: str) -> Any:
    provider = PROVIDERS[entry.provider]
    client = provider.client
    options: dict[str, Any] = {
        "base_url": entry.base_url,
        client.secret_name: secret,
        "timeout": args.timeout,
        "tz": entry.tz or args.tz,
        "proxy": args.proxy,
        "deadline": args.deadline,
    }
    for flag in provider.spec.connection_flags:
        value = entry.options.get(flag.name, flag.default)
        if value is not None:
            options[flag.param] = value
    return client(**options)


class _Lines:
    """One progress line per tenant on stderr every ``interval`` seconds, and a last set."""

    def __init__(self, stream: TextIO, labels: list[str], interval: float = 1.0) -> None:
        self._stream = stream
        self._states: dict[str, ExportProgress | None] = dict.fromkeys(labels)
        self._width = max(map(len, labels))
        self._interval = interval
        self._last = time.monotonic()

    def update(self, tenant: str, state: ExportProgress) -> None:
        self._states[tenant] = state
        now = time.monotonic()
        if now - self._last >= self._interval:
            self._last = now
            self.show()

    def show(self) -> None:
        for label, state in self._states.items():
            if state is not None:
                line = f"{label:<{self._width}}  {progress_line(state)}"
                print(line, file=self._stream, flush=True)


def _table(
    ui: Ui, labels: list[str], summaries: dict[str, ExportSummary], errors: dict[str, str]
) -> None:
    rows = []
    for label in labels:
        s = summaries.get(label)
        counts = (
            ["-"] * 5
            if s is None
            else [
                f"{s.windows_planned:,}",
                f"{s.windows_done:,}",
                f"{s.windows_skipped + s.windows_busy:,}",
                f"{s.windows_failed:,}",
                f"{s.records:,}",
            ]
        )
        rows.append([label, *counts, errors.get(label, "ok")])
    ui.table(
        (
            Column("Tenant"),
            *(Column(name, "right") for name in ("Windows", "Written", "Skipped", "Failed")),
            Column("Records", "right"),
            Column("Status"),
        ),
        rows,
        title="Export summary by tenant",
    )


class _Report(msgspec.Struct, frozen=True):
    """What ``--tenants --json`` prints."""

    tenants: dict[str, ExportSummary]
    errors: dict[str, str]


async def export_tenants_cli(args: argparse.Namespace) -> int:
    """Run the export of every tenant in ``args.tenants`` into ``args.out``."""
    given = [name for name in _ONE_ACCOUNT if getattr(args, name, None)]
    if given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        raise _usage(f"{flags} cannot go with --tenants: the file names each tenant's account")
    check_format_installed(args)
    tenants = read_tenants(args.tenants)
    secrets = _secrets(tenants)
    labels = list(tenants)
    ui = Ui()
    summaries: dict[str, ExportSummary]
    errors: dict[str, str] = {}
    async with AsyncExitStack() as stack:
        clients = {
            label: await stack.enter_async_context(_client(args, tenants[label], secrets[label]))
            for label in labels
        }
        lines = _Lines(ui.err, labels)
        try:
            summaries = await export_tenants(clients, **job_options(args), progress=lines.update)
        except TenantsExportError as exc:
            summaries = exc.summaries
            errors = {label: f"{type(e).__name__}: {e}" for label, e in exc.failures}
        lines.show()
    if args.json:
        sys.stdout.buffer.write(msgspec.json.encode(_Report(summaries, errors)) + b"\n")
        sys.stdout.flush()
    else:
        _table(ui, labels, summaries, errors)
    if errors:
        raise CliError(
            f"{len(errors)} of {len(labels)} tenants failed; run the same command again "
            "to finish them"
        )
    return EXIT_OK
