"""Every fenced ``python`` block of README.md and docs/*.md runs, and type-checks.

Each block is type-checked with ``mypy --strict`` (one run for all of them) and executed in a
subprocess against the simulators, unless an HTML comment on the line just before its fence
says otherwise:

- ``<!-- docs-test: typecheck-only (why) -->``: type-checked only (it needs a real proxy, a
  Celery broker, ...);
- ``<!-- docs-test: continues -->``: the previous block followed by this one, as one program;
- ``<!-- docs-test: pytest -->``: a test module, run with pytest (the plugin's fixtures).

Engine recipes (``<!-- recipe: celery -->``) are not run here: tests/engines runs them as written
against a real broker and cluster.

Blocks written with a top-level ``await`` / ``async with`` (as in ``python -m asyncio``) run
inside an ``async def``. Placeholders (``https://pbx.example.vn``, ...) are pointed at the
simulators, whose keys are the docs' ``"..."``; the proxy variables point at a dead loopback
port, so a block that reached for any other host fails instead of leaving the machine.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from telcall.simulator import AICallCenterSimulator, OmicallSimulator, Tel4vnSimulator
from telcall.simulator._thread import serve_in_thread

ROOT = Path(__file__).resolve().parent.parent
DOCS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))

_FENCE = re.compile(r"^```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^```", re.M | re.S)
_MARKER = re.compile(r"<!--\s*docs-test:\s*(?P<kind>[\w-]+)")
_RECIPE = re.compile(r"<!--\s*recipe:")
_RUN_TIMEOUT = 120


@dataclass(frozen=True)
class Block:
    """One python block: where it is, its code, and how the marker says to test it."""

    path: Path
    line: int
    code: str
    kind: str  # "run", "typecheck-only", "pytest"

    @property
    def name(self) -> str:
        """``README.md:46``."""
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def module(self) -> str:
        """A module name for the block's file."""
        return re.sub(r"\W", "_", self.name.lower())

    def program(self) -> str:
        """The code as a module: top-level awaits wrapped in a coroutine that is run."""
        if not _awaits_at_top_level(self.code):
            return self.code
        imports, rest = _split_imports(self.code)
        body = textwrap.indent(rest, "    ")
        return (
            f"import asyncio\n{imports}\n\n"
            f"async def _main() -> None:\n{body}\n\n"
            "asyncio.run(_main())\n"
        )


def _awaits_at_top_level(code: str) -> bool:
    # Parsing accepts a top-level await; compiling is what refuses it.
    try:
        compile(code, "<doc>", "exec", dont_inherit=True)
    except SyntaxError:
        compile(code, "<doc>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
        return True
    return False


def _split_imports(code: str) -> tuple[str, str]:
    """The leading import lines (kept at module level) and the rest."""
    lines = code.splitlines()
    cut = 0
    for number, line in enumerate(lines):
        if line.startswith(("import ", "from ")) or not line.strip():
            cut = number + 1
        else:
            break
    return "\n".join(lines[:cut]), "\n".join(lines[cut:])


def collect() -> list[Block]:
    """Every python block of :data:`DOCS`, continuations joined to what they continue."""
    blocks: list[Block] = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for match in _FENCE.finditer(text):
            if match.group("lang") not in ("python", "py"):
                continue
            before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
            if _RECIPE.search(before):
                continue
            marker = _MARKER.search(before)
            kind = marker.group("kind") if marker else "run"
            line = text.count("\n", 0, match.start()) + 1
            code = match.group("body")
            if kind == "continues":
                previous = blocks.pop()
                blocks.append(Block(path, line, previous.code + "\n\n" + code, previous.kind))
                continue
            if kind not in ("run", "typecheck-only", "pytest"):
                raise AssertionError(f"{path.name}:{line}: unknown docs-test marker {kind!r}")
            blocks.append(Block(path, line, code, kind))
    return blocks


BLOCKS = collect()


def test_blocks_are_found() -> None:
    """The extraction finds the README's blocks (a broken regex would pass everything)."""
    assert len([b for b in BLOCKS if b.path.name == "README.md"]) >= 8


@pytest.mark.slow
def test_every_block_type_checks(tmp_path: Path) -> None:
    """mypy --strict accepts every block, as a user's module would be checked."""
    from mypy import api

    files = []
    for block in BLOCKS:
        file = tmp_path / f"{block.module}.py"
        file.write_text(block.program(), encoding="utf-8")
        files.append(str(file))
    out, err, status = api.run(["--strict", "--no-incremental", "--python-version", "3.11", *files])
    assert status == 0, out + err


@pytest.fixture
def simulators() -> Iterator[dict[str, str]]:
    """The three simulators, keyed "...", as environment variables and placeholders."""
    with (
        serve_in_thread(Tel4vnSimulator(cdrs=300, seed=1, api_key="...")) as tel4vn,
        serve_in_thread(OmicallSimulator(calls=200, seed=1, api_key="...")) as omicall,
        serve_in_thread(AICallCenterSimulator(seed=1, secret_key="...")) as aicc,
    ):
        yield {
            "https://pbx.example.vn": tel4vn.base_url,
            "https://your-tenant.omicall.vn": omicall.base_url,
            '"campaign-id"': repr(aicc.campaign_id),
            "TELCALL_TEL4VN_BASE_URL": tel4vn.base_url,
            "TELCALL_TEL4VN_API_KEY": "...",
            "TELCALL_OMICALL_BASE_URL": omicall.base_url,
            "TELCALL_OMICALL_API_KEY": "...",
            "TELCALL_AICALLCENTER_BASE_URL": aicc.base_url,
            "TELCALL_AICALLCENTER_SECRET_KEY": "...",
        }


def _env(values: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELCALL_")}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        # Loopback is never proxied; anything else meets a closed port.
        env[name] = "http://127.0.0.1:9"
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        env.pop(name, None)
    env.update({k: v for k, v in values.items() if k.startswith("TELCALL_")})
    return env


def _placed(code: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        if not placeholder.startswith("TELCALL_"):
            code = code.replace(placeholder, value)
    return code


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=_RUN_TIMEOUT
    )


def _params(kind: str) -> list[object]:
    return [pytest.param(b, id=b.name) for b in BLOCKS if b.kind == kind]


@pytest.mark.slow
@pytest.mark.parametrize("block", _params("run"))
def test_block_runs(block: Block, simulators: dict[str, str], tmp_path: Path) -> None:
    """The block runs to the end against the simulators."""
    script = tmp_path / f"{block.module}.py"
    script.write_text(_placed(block.program(), simulators), encoding="utf-8")
    result = _run([sys.executable, str(script)], tmp_path, _env(simulators))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("block", _params("pytest"))
def test_block_passes_as_a_test_module(block: Block, tmp_path: Path) -> None:
    """The block, saved as a test module of a fresh project, passes under pytest."""
    (tmp_path / f"test_{block.module}.py").write_text(block.code, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\nasyncio_mode = auto\n", encoding="utf-8")
    result = _run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], tmp_path, _env({})
    )
    assert result.returncode == 0, result.stdout + result.stderr
