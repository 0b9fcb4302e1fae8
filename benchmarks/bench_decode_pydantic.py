"""Pydantic v2: ``TypeAdapter(CdrPageModel).validate_json`` straight from the bytes."""

from __future__ import annotations

from pydantic import TypeAdapter

from ._child import decode_args, run_decode
from ._pydantic_models import CdrPageModel

adapter = TypeAdapter(CdrPageModel)


def main(argv: list[str] | None = None) -> None:
    """Validate with the module-level adapter."""
    run_decode(adapter.validate_json, lambda page: len(page.data), decode_args(argv))


if __name__ == "__main__":
    main()
