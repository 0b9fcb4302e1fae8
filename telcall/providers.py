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

from ._core.errors import ValidationError
from ._core.spec import ConnectionFlag as ConnectionFlag, ProviderSpec as ProviderSpec, load

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
        from importlib.metadata import entry_points

        for entry in entry_points(group=ENTRY_POINT_GROUP):
            register(entry.load())
        for spec in registered.values():
            register(spec)
    return MappingProxyType(_specs)


def get(name: str) -> ProviderSpec:
    """The spec of provider ``name``."""
    spec = specs().get(name)
    if spec is None:
        known = ", ".join(specs())
        raise ValidationError(f"unknown provider {name!r}: known providers are {known}")
    return spec
