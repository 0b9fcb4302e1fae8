"""The error tree is drawn once (telcall._core.errors); its copies and the classes must agree."""

from __future__ import annotations

import re
from pathlib import Path

from telcall import errors
from telcall._core import errors as core_errors

ROOT = Path(__file__).resolve().parents[2]
_NODE = re.compile(r"^(?P<indent>(?:│   |    )*)(?:├── |└── )?(?P<name>[A-Za-z]+)")


def _drawing(text: str) -> list[str]:
    """The lines of the first tree drawing in ``text``, dedented."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "TelcallError")
    indent = len(lines[start]) - len(lines[start].lstrip())
    tree = [lines[start][indent:]]
    for line in lines[start + 1 :]:
        body = line[indent:]
        if not body.startswith(("├", "└", "│")):
            break
        tree.append(body)
    return tree


def _parents(tree: list[str]) -> dict[str, str | None]:
    """Each drawn class name and the name drawn as its parent."""
    parents: dict[str, str | None] = {}
    stack: list[str] = []
    for line in tree:
        match = _NODE.match(line)
        assert match is not None, line
        depth = len(match["indent"]) // 4 + (0 if line.startswith("TelcallError") else 1)
        del stack[depth:]
        parents[match["name"]] = stack[-1] if stack else None
        stack.append(match["name"])
    return parents


def test_drawing_matches_the_classes() -> None:
    """Every public error is drawn once, under the class it really derives from."""
    parents = _parents(_drawing(core_errors.__doc__ or ""))
    assert set(parents) == set(errors.__all__)
    for name, parent in parents.items():
        cls = getattr(errors, name)
        if parent is None:
            assert cls is errors.TelcallError
            continue
        telcall_bases = [b for b in cls.__bases__ if issubclass(b, errors.TelcallError)]
        assert telcall_bases == [getattr(errors, parent)], name


def test_public_module_shows_the_same_drawing() -> None:
    """``help(telcall.errors)`` shows the drawing of telcall._core.errors."""
    assert _drawing(errors.__doc__ or "") == _drawing(core_errors.__doc__ or "")


def test_readme_shows_the_same_drawing() -> None:
    """README's "Errors" block is the same drawing, line for line."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Errors") :]
    assert _drawing(section) == _drawing(core_errors.__doc__ or "")


def test_builtin_bases_are_drawn() -> None:
    """Errors that are also builtin exceptions say so in the drawing."""
    tree = "\n".join(_drawing(core_errors.__doc__ or ""))
    for name in errors.__all__:
        cls = getattr(errors, name)
        extra = [b.__name__ for b in cls.__bases__ if not issubclass(b, errors.TelcallError)]
        for base in extra:
            if base != "Exception":
                assert f"{name} ({base})" in tree
