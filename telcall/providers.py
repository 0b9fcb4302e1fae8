"""The provider registry: every :class:`ProviderSpec` telcall knows, in one table.

The CLI, the export, the simulator server, the pytest plugin and the sync generator list
providers from here. :data:`BUILTIN` is the one place outside a provider's folder that names
it. Another package adds a provider with an entry point in the ``telcall.providers`` group
(``toy = "toy_provider._spec:SPEC"``), or by calling :func:`register` before the CLI or the
export look it up. See ``docs/adding-a-provider.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from ._core.errors import ValidationError
from ._core.spec import ConnectionFlag as ConnectionFlag, ProviderSpec as ProviderSpec, load

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

__all__ = (
    "BUILTIN",
    "ENTRY_POINT_GROUP",
    "ConnectionFlag",
    "ProviderSpec",
    "get",
    "register",
    "specs",
)

#: The providers shipped with telcall, in ``--provider`` order (the first is the default).
BUILTIN = (
    "telcall.tel4vn._spec:SPEC",
    "telcall.omicall._spec:SPEC",
    "telcall.aicallcenter._spec:SPEC",
)

#: The entry-point group third-party packages declare their spec in.
ENTRY_POINT_GROUP = "telcall.providers"

_specs: dict[str, ProviderSpec] = {}
_loaded = False


def register(spec: ProviderSpec) -> None:
    """Add ``spec``; registering another spec under a taken name is an error."""
    if not isinstance(spec, ProviderSpec):
        raise ValidationError(f"a provider registers a ProviderSpec, got {type(spec).__name__}")
    known = _specs.get(spec.name)
    if known is not None and known != spec:
        raise ValidationError(f"provider {spec.name!r} is registered already ({known.package})")
    _specs[spec.name] = spec


def specs() -> Mapping[str, ProviderSpec]:
    """Every registered provider by name: the built-ins first, then entry points, then others."""
    global _loaded
    if not _loaded:
        _loaded = True
        registered = dict(_specs)
        _specs.clear()
        for path in BUILTIN:
            register(load(path))
        for entry in _entry_points():
            register(entry.load())
        for spec in registered.values():
            register(spec)
    return MappingProxyType(_specs)


def _entry_points() -> list[EntryPoint]:
    """The ``telcall.providers`` entry points of the installed distributions.

    ``entry_points(group=...)`` parses every distribution's metadata to deduplicate names,
    twice the time of this in every pytest run (the plugin reads the registry); reading each
    ``entry_points.txt`` and parsing only those that declare the group is enough.
    """
    from importlib.metadata import distributions

    header = f"[{ENTRY_POINT_GROUP}]"
    found: list[EntryPoint] = []
    for dist in distributions():
        text = dist.read_text("entry_points.txt")
        if text and header in text:
            found.extend(dist.entry_points.select(group=ENTRY_POINT_GROUP))
    return found


def get(name: str) -> ProviderSpec:
    """The spec of provider ``name``."""
    spec = specs().get(name)
    if spec is None:
        known = ", ".join(specs())
        raise ValidationError(f"unknown provider {name!r}: known providers are {known}")
    return spec
