"""Running competitors in their own processes, in interleaved rounds, and summing them up.

Every measurement is one fresh ``python -m benchmarks.<module>`` process, so no competitor
inherits another's heap, caches or imports. A round runs each competitor once, in an order
rotated from round to round; ratios are taken within a round (same machine state) and
reported as the median of the per-round ratios, with their min and max.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._child import RESULT_MARK

__all__ = (
    "ROOT",
    "BenchError",
    "Competitor",
    "Section",
    "Stat",
    "Target",
    "median_of",
    "run_child",
    "run_rounds",
    "table",
)

ROOT = Path(__file__).resolve().parent.parent


class BenchError(RuntimeError):
    """A competitor process failed or printed no result."""


def run_child(module: str, args: Sequence[str], *, timeout: float = 600) -> dict[str, Any]:
    """Run ``python -m benchmarks.<module> *args`` and return its result line."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "0"}
    proc = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{module}", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise BenchError(f"{module} {' '.join(args)} exited {proc.returncode}:\n{tail}")
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            result: dict[str, Any] = json.loads(line[len(RESULT_MARK) :])
            return result
    raise BenchError(f"{module} printed no result line")


@dataclass(frozen=True)
class Competitor:
    """One contender: a label, the module that runs it and its arguments."""

    key: str
    label: str
    module: str
    args: tuple[str, ...] = ()


Results = dict[str, list[dict[str, Any]]]


def run_rounds(
    competitors: Sequence[Competitor],
    rounds: int,
    common: Sequence[str] = (),
    *,
    progress: Callable[[str], None] | None = None,
) -> Results:
    """Run every competitor once per round, rotating the order; results per key, by round."""
    results: Results = {c.key: [] for c in competitors}
    for r in range(rounds):
        shift = r % len(competitors)
        for c in [*competitors[shift:], *competitors[:shift]]:
            started = time.perf_counter()
            results[c.key].append(run_child(c.module, [*c.args, *common]))
            if progress is not None:
                progress(f"round {r + 1}/{rounds} {c.label}: {time.perf_counter() - started:.1f} s")
    return results


@dataclass(frozen=True)
class Stat:
    """The median of per-round values, with their min and max."""

    median: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Stat:
        """Summarise ``values`` (one per round)."""
        return cls(statistics.median(values), min(values), max(values), len(values))

    @classmethod
    def ratio(cls, results: Results, num: str, den: str, metric: str) -> Stat:
        """Per-round ``num[metric] / den[metric]``, summarised."""
        return cls.of(
            [a[metric] / b[metric] for a, b in zip(results[num], results[den], strict=True)]
        )

    def times(self) -> str:
        """``2.31× (2.20–2.45)``."""
        if self.n == 1:
            return f"{self.median:.2f}×"
        return f"{self.median:.2f}× ({self.low:.2f}–{self.high:.2f})"

    def to_json(self) -> dict[str, float]:
        """A plain dict for the results file."""
        return {"median": self.median, "min": self.low, "max": self.high, "rounds": self.n}


@dataclass
class Target:
    """A promise and whether this run kept it; ``limit`` says what stands in the way."""

    name: str
    goal: str
    measured: str
    met: bool | None
    limit: str = ""

    @classmethod
    def at_least(cls, name: str, stat: Stat, goal: float, limit: str = "") -> Target:
        """Met when the median is at least ``goal``."""
        met = stat.median >= goal
        return cls(name, f"≥ {goal:g}×", stat.times(), met, "" if met else limit)

    @classmethod
    def at_most(cls, name: str, stat: Stat, goal: float, limit: str = "") -> Target:
        """Met when the median is at most ``goal``."""
        met = stat.median <= goal
        return cls(name, f"≤ {goal:g}×", stat.times(), met, "" if met else limit)


@dataclass
class Section:
    """One numbered part of the report: tables, targets, notes, or why it was skipped."""

    number: int
    title: str
    blocks: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: str = ""
    failed: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def heading(self) -> str:
        """``### 1. Decode``."""
        return f"### {self.number}. {self.title}"

    def markdown(self) -> str:
        """The section as Markdown."""
        out = [self.heading, ""]
        if self.skipped:
            out += [f"Skipped: {self.skipped}", ""]
        if self.failed:
            out += ["Failed:", "", "```", self.failed, "```", ""]
        for block in self.blocks:
            out += [block, ""]
        if self.targets:
            out += ["| Target | Goal | Measured | Met |", "|---|---|---|---|"]
            for t in self.targets:
                met = "n/a" if t.met is None else ("yes" if t.met else "**no**")
                out.append(f"| {t.name} | {t.goal} | {t.measured} | {met} |")
            out.append("")
            for t in self.targets:
                if t.met is False and t.limit:
                    out += [f"- Missed, {t.name}: {t.limit}"]
            if any(t.met is False and t.limit for t in self.targets):
                out.append("")
        for note in self.notes:
            out += [f"- {note}"]
        if self.notes:
            out.append("")
        return "\n".join(out)


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def median_of(results: Results, key: str, metric: str) -> float:
    """The median of one competitor's metric over the rounds."""
    return statistics.median(r[metric] for r in results[key])
