"""In-process pieces of the CLI: rendering, progress, the parser, main()'s error mapping."""

from __future__ import annotations

import io
import sys

import pytest

import telcall.cli._cdrs
from telcall.cli import main
from telcall.cli._ui import Column, Ui, format_duration, format_table, rich_installed


def test_format_table_aligns_columns():
    """Plain tables pad left-aligned cells, right-align numbers, and trim trailing spaces."""
    text = format_table(
        (Column("Name"), Column("Calls", "right")),
        [["answered", "1,200"], ["busy", "7"]],
        title="By status",
    )
    assert text == (
        "By status\n"
        "Name      Calls\n"
        "answered  1,200\n"
        "busy          7\n"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        pytest.param(0, "0:00:00", id="zero"),
        pytest.param(65.4, "0:01:05", id="minute"),
        pytest.param(3 * 3600 + 7, "3:00:07", id="hours"),
    ],
)
def test_format_duration(seconds, text):
    """Durations print as H:MM:SS."""
    assert format_duration(seconds) == text


def test_plain_progress_prints_periodic_lines_and_a_final_one():
    """Without rich, progress is a line per interval (with an ETA) and a closing line."""
    err = io.StringIO()
    ui = Ui(io.StringIO(), err, fancy=False, progress_interval=0)
    with ui.progress("Downloading CDRs", unit="CDRs") as progress:
        progress.update(500, 2000)
        progress.update(2000, 2000)
    first, second, final = err.getvalue().splitlines()
    assert first.startswith("Downloading CDRs: 500/2,000 (25%)  ")
    assert "CDRs/s  ETA 0:00:" in first
    assert second.startswith("Downloading CDRs: 2,000/2,000 (100%)")
    assert final.startswith("Downloading CDRs: 2,000/2,000 (100%)")
    assert final.endswith("in 0:00:00")


def test_plain_progress_without_total():
    """Until the total is known the line shows the count alone."""
    err = io.StringIO()
    with Ui(io.StringIO(), err, fancy=False).progress("Listing", unit="CDRs") as progress:
        progress.update(1500, None)
    assert err.getvalue().startswith("Listing: 1,500  ")


def test_rich_table_when_forced():
    """fancy=True draws the table with rich even into a non-terminal stream."""
    out = io.StringIO()
    Ui(out, io.StringIO(), fancy=True).table((Column("Status"),), [["answered"]])
    assert "┃ Status" in out.getvalue()
    assert "│ answered" in out.getvalue()


def test_missing_rich_means_plain(monkeypatch):
    """When rich cannot be imported, even fancy=True falls back to plain text."""
    monkeypatch.setitem(sys.modules, "rich", None)
    assert not rich_installed()
    out = io.StringIO()
    Ui(out, io.StringIO(), fancy=True).table((Column("Status"),), [["answered"]])
    assert out.getvalue() == "Status\nanswered\n"


def test_unexpected_error_is_one_line(monkeypatch, capsys):
    """A bug (not a telcall error) is still one line, naming its type and --debug."""

    async def boom(args):
        raise RuntimeError("boom")

    monkeypatch.setattr(telcall.cli._cdrs, "_get", boom)
    assert main(["cdrs", "get", "x"]) == 1
    assert capsys.readouterr().err == (
        "telcall cdrs get: error: unexpected RuntimeError: boom "
        "(run with --debug for the traceback)\n"
    )


def test_keyboard_interrupt_exits_130(monkeypatch, capsys):
    """Ctrl-C in any command exits 130 with one line."""

    async def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(telcall.cli._cdrs, "_get", interrupted)
    assert main(["cdrs", "get", "x"]) == 130
    assert capsys.readouterr().err == "telcall cdrs get: interrupted\n"


def test_version(capsys):
    """--version prints the package version."""
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out == f"telcall {telcall.__version__}\n"
