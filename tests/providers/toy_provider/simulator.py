"""The toy API served on 127.0.0.1, and how ``telcall simulate`` offers it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web

from telcall.simulator import Banner, Faults, SimOption, SimulateCli, SimulatorBase
from telcall.simulator._base import json_response

__all__ = ("SIMULATE", "ToySimulator")

_T0 = 1_780_000_000


class ToySimulator(SimulatorBase):
    """``calls`` calls a minute apart from ``_T0``; ``GET /token?toy_pin=`` gives a token."""

    auth_paths = frozenset({"/token"})

    def __init__(
        self,
        *,
        calls: int = 3,
        seed: int = 1,
        faults: Faults | None = None,
        port: int = 0,
        record_requests: bool = True,
        toy_pin: str | None = None,
    ) -> None:
        super().__init__(seed=seed, faults=faults, port=port, record_requests=record_requests)
        self.toy_pin = toy_pin or f"pin-{seed:04d}-toy"
        self.calls = [{"id": f"c{i}", "started": _T0 + 60 * i} for i in range(calls)]

    def _routes(self) -> Iterable[web.RouteDef]:
        return [web.get("/token", self._token), web.get("/calls", self._calls)]

    async def _token(self, request: web.Request) -> web.Response:
        if request.query.get("toy_pin") != self.toy_pin:
            return json_response({"error": "bad pin"}, status=401)
        return json_response({"token": f"token-of-{self.toy_pin}"})

    async def _calls(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer token-of-{self.toy_pin}":
            return json_response({"error": "bad token"}, status=401)
        start, end = int(request.query["start"]), int(request.query["end"])
        return json_response([c for c in self.calls if start <= int(c["started"]) < end])


def _banner(sim: ToySimulator, settings: Mapping[str, Any]) -> Banner:
    return Banner(
        title=f"Toy simulator: {len(sim.calls)} calls",
        fields=[("base URL", sim.base_url), ("pin", sim.toy_pin)],
        exports={"TELCALL_TOY_BASE_URL": sim.base_url, "TELCALL_TOY_TOY_PIN": sim.toy_pin},
    )


SIMULATE = SimulateCli(
    options={
        "calls": SimOption(default=3, help="number of calls", metavar="N"),
        "toy_pin": SimOption(default=None, help="accept this pin", kind="text", metavar="PIN"),
    },
    build=ToySimulator,
    banner=_banner,
    credentials=lambda sim: f"toy_pin={sim.toy_pin}",
)
