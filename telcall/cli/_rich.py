"""The rich renderings behind :class:`telcall.cli._ui.Ui`; imported only when rich is installed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Self, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from ._ui import Column

__all__ = ("RichProgress", "print_table")


def print_table(
    file: TextIO, columns: Sequence[Column], rows: Iterable[Sequence[str]], *, title: str | None
) -> None:
    """Print a rich table to ``file``."""
    table = Table(title=title, title_justify="left", title_style="bold")
    for column in columns:
        # Long ids stay whole (no_wrap) or fold rather than lose their tail: people copy them.
        table.add_column(
            column.header, justify=column.align, overflow="fold", no_wrap=column.no_wrap
        )
    for row in rows:
        table.add_row(*row)
    Console(file=file, highlight=False).print(table)


class _Rate(ProgressColumn):
    """Items per second, e.g. ``52,310 CDRs/s``."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self._unit = unit

    def render(self, task: Task) -> Text:
        """Render the task's current speed."""
        speed = task.finished_speed or task.speed
        shown = f"{speed:,.0f}" if speed is not None else "-"
        return Text(f"{shown} {self._unit}/s", style="progress.data.speed")


class RichProgress:
    """A live rich progress bar: count, rate, ETA and elapsed time."""

    def __init__(self, file: TextIO, description: str, unit: str) -> None:
        """Prepare the bar; it shows on ``__enter__``."""
        self._progress = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _Rate(unit),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
            console=Console(file=file),
        )
        self._task = self._progress.add_task(description, total=None)

    def __enter__(self) -> Self:
        """Start the live display."""
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the live display, leaving the final bar on screen."""
        self._progress.stop()

    def update(self, completed: int, total: int | None) -> None:
        """Move the bar."""
        self._progress.update(self._task, completed=completed, total=total)
