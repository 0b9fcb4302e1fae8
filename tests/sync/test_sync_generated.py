"""The generated facade: up to date, exact signatures, and real to a type checker."""

from __future__ import annotations

import inspect
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from telcall._sync import Tel4vnClient
from telcall.tel4vn.client import AsyncTel4vnClient

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RESOURCES = (
    "auth",
    "events",
    "cdrs",
    "click2call",
    "calls",
    "autodialer",
    "autocall",
    "users",
    "customers",
)


def test_generated_files_are_up_to_date() -> None:
    """`scripts/generate_sync.py --check` exits 0: the checked-in facade matches the async code."""
    done = subprocess.run(
        [sys.executable, "scripts/generate_sync.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_check_reports_stale_files(
    generator: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--check exits 1 when a generated file was edited or a leftover generated file exists."""
    copy = tmp_path / "_sync"
    shutil.copytree(generator.SYNC_DIR, copy)
    monkeypatch.setattr(generator, "SYNC_DIR", copy)
    assert generator.main(["--check"]) == 0
    (copy / "tel4vn.py").write_text((copy / "tel4vn.py").read_text() + "\n# edited\n")
    assert generator.main(["--check"]) == 1
    generator.main([])
    (copy / "old.py").write_text(generator.HEADER + "\n")
    assert generator.main(["--check"]) == 1
    generator.main([])
    assert not (copy / "old.py").exists()


def _public(cls: type) -> dict[str, Any]:
    return {name: value for name, value in vars(cls).items() if not name.startswith("_")}


@pytest.mark.parametrize("resource", [pytest.param(name, id=name) for name in RESOURCES])
def test_resource_methods_mirror_the_async_ones(resource: str) -> None:
    """Every async resource method has a sync twin with the same parameters and docstring."""
    async_cls = inspect.get_annotations(getattr(AsyncTel4vnClient, resource).func, eval_str=True)[
        "return"
    ]
    sync_cls = inspect.get_annotations(getattr(Tel4vnClient, resource).func, eval_str=True)[
        "return"
    ]
    async_methods = _public(async_cls)
    assert sorted(async_methods) == sorted(_public(sync_cls))
    for name, function in async_methods.items():
        sync_function = getattr(sync_cls, name)
        assert inspect.getdoc(function) == inspect.getdoc(sync_function)
        assert list(inspect.signature(function).parameters.values()) == list(
            inspect.signature(sync_function).parameters.values()
        )


def test_client_constructor_mirrors_the_async_one() -> None:
    """The sync constructor takes the async one's parameters except the loop-bound session."""
    async_params = dict(inspect.signature(AsyncTel4vnClient).parameters)
    del async_params["session"]
    assert list(async_params.values()) == list(inspect.signature(Tel4vnClient).parameters.values())


@pytest.mark.slow
def test_type_checker_sees_the_sync_signatures() -> None:
    """mypy --strict accepts the assert_type lines of tests/sync/typing/sync_api.py."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            str(HERE / "typing" / "sync_api.py"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
