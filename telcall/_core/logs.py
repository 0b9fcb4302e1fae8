"""The ``telcall`` logger: silent by default, ``TELCALL_LOG=debug|info`` for a stderr handler.

Like ``OPENAI_LOG``: the variable is read once, when telcall's transport is imported. A
``NullHandler`` keeps Python's last-resort handler from printing telcall's records when the
application configured no logging. Every record about a request carries the fields of
:func:`request_fields` as ``extra``, so structured-logging setups (structlog, JSON
formatters) get them as fields: ``provider``, ``method``, ``path`` (redacted), ``status``,
``attempt`` and ``elapsed`` (seconds).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any
from urllib.parse import urlsplit

__all__ = ("ENV_VAR", "configure_from_env", "logger", "request_fields")

ENV_VAR = "TELCALL_LOG"

logger = logging.getLogger("telcall")

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _EnvHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The stderr handler ``TELCALL_LOG`` installs (a type of its own, so it is added once)."""


def request_fields(
    provider: str,
    method: str,
    url: str,
    *,
    status: int | None = None,
    attempt: int | None = None,
    elapsed: float | None = None,
) -> dict[str, Any]:
    """The ``extra`` of a request's log record; ``url`` is already redacted."""
    parts = urlsplit(url)
    path = parts.path + ("?" + parts.query if parts.query else "")
    return {
        "provider": provider,
        "method": method,
        "path": path,
        "status": status,
        "attempt": attempt,
        "elapsed": elapsed,
    }


def configure_from_env(environ: Any = None) -> None:
    """Install the stderr handler and level ``TELCALL_LOG`` asks for (nothing when unset)."""
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    value = (environ if environ is not None else os.environ).get(ENV_VAR, "").strip().lower()
    level = _LEVELS.get(value)
    if level is None:
        return
    if not any(isinstance(h, _EnvHandler) for h in logger.handlers):
        handler = _EnvHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_FORMAT))
        logger.addHandler(handler)
    logger.setLevel(level)


configure_from_env()
