"""Decode a CDR page with telcall's own decoder: ``CdrDecoder("default")`` or ``("auto")``."""

from __future__ import annotations

from telcall.tel4vn.resources.cdrs import CdrDecoder

from ._child import decode_args, run_decode


def main(argv: list[str] | None = None) -> None:
    """``--variant default|auto`` picks the mapping."""
    args = decode_args(argv)
    decoder = CdrDecoder(args.variant or "default")
    run_decode(decoder.decode, lambda page: len(page.data), args)


if __name__ == "__main__":
    main()
