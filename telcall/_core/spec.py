"""What telcall needs to know of a provider: one :class:`ProviderSpec`, declared in its folder.

The CLI, the export, the simulator server, the pytest plugin, redaction and the sync generator
read providers from specs (collected by :mod:`telcall.providers`), never by name. A spec is
cheap to import: the pytest plugin reads every spec in every test run, so heavy objects (the
client, the simulator, the export source) are named by ``"module:attribute"`` and loaded on
first use.

A frozen dataclass rather than a msgspec Struct: a spec is never encoded or decoded, and the
modules that read specs at import (the pytest plugin, the CLI) must not load msgspec for it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .secret_names import add_secret_names

if TYPE_CHECKING:
    from .client import AsyncBaseClient

__all__ = ("ConnectionFlag", "ProviderSpec", "load")


def load(path: str) -> Any:
    """The object ``"package.module:attribute"`` names, importing its module."""
    module, _, attribute = path.partition(":")
    if not attribute:
        raise ValueError(f"{path!r} is not 'module:attribute'")
    return getattr(importlib.import_module(module), attribute)


@dataclass(frozen=True, kw_only=True)
class ConnectionFlag:
    """A CLI connection flag of one provider: ``--mapping`` → the client's ``cdr_mapping``."""

    #: The flag without dashes, underscores for dashes (``"mapping"``).
    name: str
    #: The client constructor argument it sets.
    param: str
    help: str
    choices: tuple[str, ...] | None = None
    #: Passed when the flag is not given (``None``: the argument is left out).
    default: str | None = None


@dataclass(frozen=True, kw_only=True)
class ProviderSpec:
    """One provider, as everything outside its folder sees it.

    Paths are ``"module:attribute"``. Creating a spec adds its :attr:`secret_params` to the
    names redaction treats as credentials, so they are known as soon as the provider's
    package is imported.
    """

    #: ``--provider`` value, ``Connection.provider``, the pytest fixtures' prefix.
    name: str
    #: What people call it (``"AI Call Center"``), for help and messages.
    label: str
    #: The provider's package: its import rules are checked by ``tests/test_layout.py``.
    package: str
    #: The async client class.
    client: str
    #: The generated sync client class; its module is where the generator writes it.
    sync_client: str
    #: The generated raw-response twin of the async client (``client.with_raw_response``).
    raw_client: str
    #: The simulator class (a :class:`telcall.simulator.SimulatorBase`).
    simulator: str
    #: Arguments of the ready-made ``<name>_simulator`` pytest fixtures.
    simulator_defaults: Mapping[str, Any] = field(default_factory=lambda: {"seed": 1})
    #: What the ready-made fixture serves, for its docstring.
    simulator_about: str = ""
    #: ``telcall simulate`` support: an object with ``options``, ``ignored_faults`` and
    #: ``serve(args, settings, faults)`` (see :mod:`telcall.cli._simulate`); None: not offered.
    simulate: str | None = None
    #: The export source class; ``from_scope(client, scope)`` wraps a client.
    export_source: str | None = None
    #: Parameter, header and field names whose values are credentials (``callback_api_key``).
    secret_params: tuple[str, ...] = ()
    #: Connection flags only this provider takes.
    connection_flags: tuple[ConnectionFlag, ...] = ()

    def __post_init__(self) -> None:
        add_secret_names(self.secret_params)

    def client_class(self) -> type[AsyncBaseClient]:
        """The async client class, imported on first use."""
        cls: type[AsyncBaseClient] = load(self.client)
        return cls

    def sync_client_class(self) -> type[Any]:
        """The sync client class."""
        return load(self.sync_client)  # type: ignore[no-any-return]

    def simulator_class(self) -> type[Any]:
        """The simulator class."""
        return load(self.simulator)  # type: ignore[no-any-return]

    @property
    def env_names(self) -> tuple[str, str, str]:
        """The environment variables of the address, the secret and the token."""
        cls = self.client_class()
        prefix = cls.env_prefix
        return (
            f"{prefix}_BASE_URL",
            f"{prefix}_{cls.secret_name.upper()}",
            f"{prefix}_{cls.token_name.upper()}",
        )
