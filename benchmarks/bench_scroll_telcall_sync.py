"""Scroll the listing with the sync facade: ``Tel4vnClient.cdrs.iterate()`` in a ``for`` loop."""

from __future__ import annotations

from ._child import Clock, emit, scroll_args
from ._sync_client import Tel4vnClient


def main(argv: list[str] | None = None) -> None:
    """Warm up (token, connection), then iterate every record once."""
    args = scroll_args(argv)
    with Tel4vnClient(base_url=args.base_url, api_key=args.api_key) as client:
        client.cdrs.list(limit=1, offset=0)
        clock = Clock()
        count = 0
        clock.start()
        for _cdr in client.cdrs.iterate(
            start_date=args.start_date,
            end_date=args.end_date,
            page_size=args.page_size,
            pagination=args.pagination,
            prefetch=args.prefetch,
            concurrency=args.concurrency,
        ):
            count += 1
        result = clock.stop()
    if count != args.expect:
        raise SystemExit(f"got {count} records, expected {args.expect}")
    emit({**result, "records": count})


if __name__ == "__main__":
    main()
