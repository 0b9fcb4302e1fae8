"""``orjson.loads`` into dicts: the fastest untyped decoder a user would reach for."""

from __future__ import annotations

import orjson

from ._child import decode_args, run_decode


def main(argv: list[str] | None = None) -> None:
    """Decode into dicts."""
    run_decode(orjson.loads, lambda page: len(page["data"]), decode_args(argv))


if __name__ == "__main__":
    main()
