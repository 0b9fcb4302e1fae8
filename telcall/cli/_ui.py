"""Tables and progress for people: rich on a terminal when it is installed, plain text otherwise.

rich is the optional ``cli`` extra, so nothing here imports it at module level;
:mod:`telcall.cli._rich` is loaded only when a terminal will show its output.
Piped output is always plain (aligned columns, periodic progress lines), so
scripts and ``grep`` see the same text with or without rich.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Literal, NamedTuple, Protocol, Self, TextIO

__all__ = (
    "Column",
    "Progress",
    "Ui",
    "format_duration",
    "format_table",
    "rich_installed",
)

Align = Literal["left", "right"]


class Column(NamedTuple):
    """A table column: its header, how its cells line up, and whether they may wrap."""

    header: str
    align: Align = "left"
    no_wrap: bool = False


class Progress(Protocol):
    """A live report of ``completed`` out of ``total`` (None until known) items."""

    def update(self, completed: int, total: int | None) -> None:
        """Record the new count."""

    def __enter__(self) -> Self:
        """Start showing progress."""

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop showing progress; the last state stays on screen."""


def rich_installed() -> bool:
    """Whether the optional rich package can be imported."""
    try:
        return importlib.util.find_spec("rich") is not None
    except ValueError:
        # find_spec raises when the import was blocked with sys.modules["rich"] = None.
        return False


def format_duration(seconds: float) -> str:
    """``0:01:05`` for 65 seconds (whole seconds)."""
    minutes, sec = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{sec:02d}"


def format_table(
    columns: Sequence[Column], rows: Iterable[Sequence[str]], *, title: str | None = None
) -> str:
    """Render an aligned plain-text table (two spaces between columns), newline-terminated."""
    body = [list(row) for row in rows]
    widths = [len(c.header) for c in columns]
    for row in body:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        parts = (
            cell.rjust(w) if c.align == "right" else cell.ljust(w)
            for c, cell, w in zip(columns, cells, widths, strict=True)
        )
        return "  ".join(parts).rstrip()

    lines = [title] if title else []
    lines.append(line([c.header for c in columns]))
    lines.extend(line(row) for row in body)
    return "\n".join(lines) + "\n"


class _PlainProgress:
    """Progress as a line every ``interval`` seconds and a final line."""

    def __init__(self, stream: TextIO, description: str, unit: str, interval: float) -> None:
        self._stream = stream
        self._description = description
        self._unit = unit
        self._interval = interval
        self._completed = 0
        self._total: int | None = None
        self._started = time.monotonic()
        self._last_print = self._started

    def __enter__(self) -> Self:
        self._started = self._last_print = time.monotonic()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._print(final=True)

    def update(self, completed: int, total: int | None) -> None:
        self._completed, self._total = completed, total
        now = time.monotonic()
        if now - self._last_print >= self._interval:
            self._last_print = now
            self._print(final=False)

    def _print(self, *, final: bool) -> None:
        elapsed = max(time.monotonic() - self._started, 1e-9)
        rate = self._completed / elapsed
        done, total = self._completed, self._total
        count = f"{done:,}/{total:,} ({done / total:.0%})" if total else f"{done:,}"
        if final:
            tail = f"in {format_duration(elapsed)}"
        elif total and rate > 0:
            tail = f"ETA {format_duration((total - done) / rate)}"
        else:
            tail = ""
        text = f"{self._description}: {count}  {rate:,.0f} {self._unit}/s  {tail}".rstrip()
        print(text, file=self._stream, flush=True)


class Ui:
    """Where and how a command talks to people.

    Results go to ``out`` (stdout), progress and notes to ``err`` (stderr), so
    ``telcall ... > file`` keeps only results. ``fancy`` forces rich on or off;
    by default each stream uses rich when it is installed and the stream is a terminal.
    """

    def __init__(
        self,
        out: TextIO | None = None,
        err: TextIO | None = None,
        *,
        fancy: bool | None = None,
        progress_interval: float = 1.0,
    ) -> None:
        """Pick the streams and the style."""
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        installed = rich_installed() if fancy is not False else False
        self._fancy_out = installed and (fancy or self.out.isatty())
        self._fancy_err = installed and (fancy or self.err.isatty())
        self._progress_interval = progress_interval

    def print(self, text: str = "") -> None:
        """Write a line of results to ``out`` at once (readers may be waiting on it)."""
        print(text, file=self.out, flush=True)

    def note(self, text: str) -> None:
        """Write a line of commentary to ``err``."""
        print(text, file=self.err, flush=True)

    def write(self, text: str) -> None:
        """Write raw text (e.g. NDJSON lines) to ``out``."""
        self.out.write(text)

    def table(
        self,
        columns: Sequence[Column],
        rows: Iterable[Sequence[str]],
        *,
        title: str | None = None,
    ) -> None:
        """Show a table on ``out``."""
        if self._fancy_out:
            from . import _rich

            _rich.print_table(self.out, columns, rows, title=title)
        else:
            self.out.write(format_table(columns, rows, title=title))
            self.out.flush()

    def progress(self, description: str, *, unit: str) -> Progress:
        """A progress display on ``err``; use as a context manager."""
        if self._fancy_err:
            from . import _rich

            return _rich.RichProgress(self.err, description, unit)
        return _PlainProgress(self.err, description, unit, self._progress_interval)
