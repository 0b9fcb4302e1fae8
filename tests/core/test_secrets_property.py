"""Property: whatever the secret looks like, no error text, traceback or log line shows it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings, strategies as st

from telcall import errors
from telcall.simulator import Echo, Redirect, Reply

from .conftest import PROVIDERS, assert_no_leak, exposed_text, logged_text

# Printable, URL-special characters included; no surrounding whitespace (refused at construction).
# A marker up front, so that a secret never matches ordinary text by chance ("00000000" matched
# an elapsed time); the rest is arbitrary.
_ascii = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
_tokens = st.text(_ascii, min_size=4, max_size=36).map(lambda s: "Zq9~" + s.strip())
# Keys travel in a query string or a JSON body, where any UTF-8 text is fine.
_keys = st.text(_ascii | st.sampled_from("éđươ漢ü"), min_size=4, max_size=36).map(
    lambda s: "Zq9~" + s.strip()
)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _captured() -> Iterator[list[logging.LogRecord]]:
    logger = logging.getLogger("telcall")
    handler, level = _Collect(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.mark.parametrize("name", sorted(PROVIDERS))
@settings(max_examples=40, deadline=None)
@given(key=_keys, token=_tokens)
async def test_generated_secrets_never_leak(name: str, key: str, token: str) -> None:
    """Echo pages, error bodies and redirect loops quoting generated secrets leak none of them."""
    case = PROVIDERS[name]
    caught: list[BaseException] = []
    with _captured() as records:
        async with case.start_sim(None) as sim:
            sim.script(Echo(), path=case.token_path)
            async with case.client(sim, secret=key, max_retries=0) as client:
                with pytest.raises(errors.TelcallError) as echo_token:
                    await case.call(client)
                caught.append(echo_token.value)
            # A given token wins over the key; the client still knows (and scrubs) both.
            static = {case.secret_kw: key, case.token_kw: token, "max_retries": 0}
            body = {"code": 500, "message": f"{token} / {key}", "status": 0, "status_code": -9999}
            for fault in (Echo(), Reply(500, body), Redirect()):
                sim.script(fault, path=case.data_path)
                async with case.client(sim, **static) as client:
                    with pytest.raises(errors.TelcallError) as failed:
                        await case.call(client)
                    caught.append(failed.value)
    text = "\n".join(exposed_text(e) for e in caught) + logged_text(records)
    assert_no_leak(text, key, token)
