"""The generated facade: up to date, exact signatures, and real to a type checker."""

from __future__ import annotations

import importlib
import inspect
import itertools
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
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


def test_package_init_block_follows_the_registry(
    generator: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shipped provider added to the registry is re-exported by telcall; --check sees it."""
    from telcall.providers import ProviderSpec, specs

    init = tmp_path / "__init__.py"
    init.write_text(generator.PACKAGE_INIT.read_text())
    monkeypatch.setattr(generator, "PACKAGE_INIT", init)
    assert generator.stale_files(generator.expected_package_init()) == []
    fourth = ProviderSpec(
        name="fourth",
        label="Fourth",
        package="telcall.fourth",
        client="telcall.fourth.client:AsyncFourthClient",
        sync_client="telcall._sync.fourth:FourthClient",
        raw_client="telcall._raw.fourth:AsyncRawFourthClient",
        simulator="telcall.simulator._fourth:FourthSimulator",
        simulate="telcall.simulator._fourth:SIMULATE",
        export_source="telcall.export._source:FourthSource",
    )
    text = generator.generate_package_init([*specs().values(), fourth], init.read_text())
    assert "    from .fourth import AsyncFourthClient as AsyncFourthClient\n" in text
    assert '"FourthClient": "._sync",' in text
    assert '    "AsyncFourthClient",\n' in text
    assert '    "FourthClient",\n' in text
    init.write_text(text)
    assert generator.stale_files(generator.expected_package_init()) == [init]


def test_package_init_exports_every_shipped_client() -> None:
    """``telcall`` re-exports each shipped provider's async and sync client, lazily and typed."""
    import telcall
    from telcall.providers import specs

    for spec in specs().values():
        for path in (spec.client, spec.sync_client):
            module, _, name = path.partition(":")
            assert name in telcall.__all__
            assert getattr(telcall, name) is getattr(importlib.import_module(module), name)


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


# -- generator gaps: toy providers written to a temp dir ------------------------------------------

TOY = '''
from __future__ import annotations

from collections.abc import AsyncIterator
from functools import cached_property

from telcall._core.pagination import Page


class AsyncToyClient:
    """A toy async client."""

    def __init__(self, *, label: str = "toy") -> None:
        """Keep a label."""
        self.label = label

    async def aclose(self) -> None:
        """Nothing to release."""

    def __repr__(self) -> str:
        return "AsyncToyClient(token=***)"

    @{decorator}
    def things(self) -> AsyncThings:
        """The things resource."""
        return AsyncThings()


class AsyncThings:
    """Things, in pages of three."""

    async def pages(self, *, count: int = 9) -> AsyncIterator[Page[int]]:
        """Pages of consecutive ints."""
        for start in range(0, count, 3):
            yield Page(list(range(start, min(start + 3, count))))

    async def iterate(self, *, count: int = 9) -> AsyncIterator[{item}]:
        """Every even thing: behaviour only the item iterator has."""
        async for page in self.pages(count=count):
            for item in page.items:
                if item % 2 == 0:
                    yield item
'''


_toy_numbers = itertools.count()


@pytest.fixture
def toy(generator: ModuleType, tmp_path: Path) -> Iterator[Callable[..., ModuleType]]:
    """Build a toy async module from :data:`TOY`, generate its facade and import it."""
    added: list[str] = []

    def build(*, decorator: str = "cached_property", item: str = "int") -> ModuleType:
        name = f"toy_async_{next(_toy_numbers)}"  # unique: the generator caches modules by name
        (tmp_path / f"{name}.py").write_text(TOY.format(decorator=decorator, item=item))
        added.append(name)
        provider = generator.Provider(name, "AsyncToyClient", "ToyClient", "toy.py")
        facade = generator.generate_provider(provider)
        (tmp_path / f"{name}_facade.py").write_text(facade)
        return importlib.import_module(f"{name}_facade")

    sys.path.insert(0, str(tmp_path))
    try:
        yield build
    finally:
        sys.path.remove(str(tmp_path))
        for name in added:
            sys.modules.pop(name, None)
            sys.modules.pop(f"{name}_facade", None)


def test_sync_iterate_wraps_the_async_iterate(toy: Callable[..., ModuleType]) -> None:
    """Behaviour only the async iterate() has (a filter) reaches the sync iterate()."""
    with toy().ToyClient() as client:
        assert list(client.things.iterate(count=9)) == [0, 2, 4, 6, 8]
        assert [page.items for page in client.things.pages(count=5)] == [[0, 1, 2], [3, 4]]


def test_iterate_that_does_not_match_pages_is_an_error(
    toy: Callable[..., ModuleType], generator: ModuleType
) -> None:
    """An iterate() yielding another type than its pages() twin's Page[T] is a GenerationError."""
    with pytest.raises(generator.GenerationError, match=r"yields str but pages\(\) yields"):
        toy(item="str")


def test_subresource_declared_with_property_is_an_error(
    toy: Callable[..., ModuleType], generator: ModuleType
) -> None:
    """A sub-resource declared with @property (not @cached_property) is a GenerationError."""
    with pytest.raises(generator.GenerationError, match="@cached_property"):
        toy(decorator="property")


def test_sync_repr_is_the_async_repr(toy: Callable[..., ModuleType]) -> None:
    """The generated sync client's repr is its async client's."""
    with toy().ToyClient() as client:
        assert repr(client) == "AsyncToyClient(token=***)"
