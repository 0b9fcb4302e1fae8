"""A legacy user's loop: ``requests.Session`` and ``response.json()`` into dicts."""

from __future__ import annotations

import requests

from ._child import Clock, emit, scroll_args


def main(argv: list[str] | None = None) -> None:
    """Get a token, warm the connection, then follow ``scroll_id`` to the end."""
    args = scroll_args(argv)
    base = args.base_url
    with requests.Session() as session:
        r = session.post(base + "/v2/auth/token", json={"api_key": args.api_key})
        session.headers["Authorization"] = f"Bearer {r.json()['data']['token']}"
        session.get(base + "/v2/cdr", params={"limit": 1, "offset": 0}).raise_for_status()
        params = {"start_date": args.start_date, "end_date": args.end_date, "limit": args.page_size}
        clock = Clock()
        clock.start()
        count = 0
        query = params
        while True:
            r = session.get(base + "/v2/cdr", params=query)
            r.raise_for_status()
            page = r.json()
            if not page["data"]:
                break
            for _cdr in page["data"]:
                count += 1
            query = {**params, "scroll_id": page["scroll_id"]}
        result = clock.stop()
    if count != args.expect:
        raise SystemExit(f"got {count} records, expected {args.expect}")
    emit({**result, "records": count})


if __name__ == "__main__":
    main()
