"""The ceiling: a bare ``msgspec.json.Decoder`` of the same Struct telcall decodes into."""

from __future__ import annotations

import msgspec

from telcall.tel4vn.models import CdrPage

from ._child import decode_args, run_decode

decoder = msgspec.json.Decoder(CdrPage)


def main(argv: list[str] | None = None) -> None:
    """Decode with the module-level decoder."""
    run_decode(decoder.decode, lambda page: len(page.data), decode_args(argv))


if __name__ == "__main__":
    main()
