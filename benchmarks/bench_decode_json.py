"""The standard library: ``json.loads`` into dicts."""

from __future__ import annotations

import json

from ._child import decode_args, run_decode


def main(argv: list[str] | None = None) -> None:
    """Decode into dicts."""
    run_decode(json.loads, lambda page: len(page["data"]), decode_args(argv))


if __name__ == "__main__":
    main()
