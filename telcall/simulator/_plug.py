"""How a simulator offers itself to ``telcall simulate`` and ``python -m telcall.simulator``.

Each provider's simulator module exposes one :class:`SimulateCli` (its spec names it), so the
two command lines list and build simulators without naming any provider.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from telcall.simulator._base import SimulatorBase
from telcall.simulator._data import VN

__all__ = ("Banner", "SimOption", "SimulateCli", "day", "derived_key")


@dataclass(frozen=True, kw_only=True)
class SimOption:
    """A simulator constructor argument offered as ``--<name>``.

    ``kind`` says how the flag is read: ``count`` (an integer >= 0), ``status`` (an HTTP
    status), ``choice`` (one of ``choices``), ``flag`` (present or not) or ``text``.
    """

    default: Any
    help: str
    kind: Literal["count", "status", "choice", "flag", "text"] = "count"
    choices: tuple[str, ...] = ()
    metavar: str | None = None


@dataclass(frozen=True, kw_only=True)
class Banner:
    """What ``telcall simulate`` prints once the simulator listens."""

    title: str
    #: ``(label, value)`` lines: the base URL and credentials first.
    fields: Sequence[tuple[str, str]]
    #: The environment a client in another shell needs.
    exports: Mapping[str, str]
    #: Commands to suggest after the exports.
    hints: Sequence[str] = ()


@dataclass(frozen=True, kw_only=True)
class SimulateCli:
    """One simulator's command-line face.

    ``build(seed=, port=, faults=, **settings)`` returns the simulator to serve, ``settings``
    being :attr:`options` resolved (defaults filled in); ``banner(sim, settings)`` describes
    it once it listens; ``credentials(sim)`` is the one ``key=value`` line that
    ``python -m telcall.simulator`` prints.
    """

    options: Mapping[str, SimOption]
    build: Callable[..., SimulatorBase]
    banner: Callable[[Any, Mapping[str, Any]], Banner]
    credentials: Callable[[Any], str]
    #: The :class:`Faults` options this simulator does not act on (asking is a usage error).
    ignored_faults: frozenset[str] = field(default_factory=frozenset)


def derived_key(seed: int) -> str:
    """A credential that stays the same across restarts with the same seed (like TEL4VN's)."""
    return f"{random.Random(seed ^ 0x5EC7E7).getrandbits(128):032x}"


def day(timestamp: int) -> date:
    """The date of an epoch-seconds ``timestamp`` in Vietnam."""
    return datetime.fromtimestamp(timestamp, VN).date()
