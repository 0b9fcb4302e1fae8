"""House rules: the public face is complete and the import graph stays layered."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

import telcall
from telcall.providers import specs

PACKAGE = Path(telcall.__file__).parent
#: Every registered provider package: telcall's own and any an entry point adds.
PROVIDERS = tuple(spec.package for spec in specs().values())


def package_folder(package: str) -> Path:
    """The folder of a provider package, wherever it is installed."""
    found = importlib.util.find_spec(package)
    assert found is not None, package
    assert found.submodule_search_locations, package
    return Path(next(iter(found.submodule_search_locations)))


def imports_of(path: Path, root: Path = PACKAGE.parent) -> set[str]:
    """Absolute module names a file imports (relative imports resolved against ``root``)."""
    module = ".".join(path.relative_to(root).with_suffix("").parts)
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.add(name)
    return found


def test_core_imports_no_provider() -> None:
    """telcall._core never imports a provider package."""
    for path in (PACKAGE / "_core").rglob("*.py"):
        for name in imports_of(path):
            for provider in PROVIDERS:
                assert not _within(name, provider), (path, name)


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(f"{package}.")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_providers_do_not_import_each_other(provider: str) -> None:
    """A provider package imports no other provider."""
    folder = package_folder(provider)
    root = folder.parents[provider.count(".")]
    others = [p for p in PROVIDERS if p != provider]
    for path in folder.rglob("*.py"):
        for name in imports_of(path, root):
            for other in others:
                assert not _within(name, other), (path, name)


def test_all_is_complete_and_importable() -> None:
    """Every name in telcall.__all__ exists, and every public attribute is listed."""
    for name in telcall.__all__:
        assert hasattr(telcall, name), name
    public = {n for n in vars(telcall) if not n.startswith("_")} - {"annotations"}
    modules = {n for n in public if type(getattr(telcall, n)).__name__ == "module"}
    assert public - modules - set(telcall.__all__) == set()
    assert isinstance(telcall.__all__, tuple)


def test_import_is_light() -> None:
    """`import telcall` (done by the pytest plugin in every test run) loads no HTTP stack."""
    import subprocess
    import sys

    code = (
        "import sys, telcall; print(sorted(m for m in ('aiohttp', 'msgspec') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
