"""Tenant identity: the label that tells one tenant's export apart from another's.

A tenant is a label the caller chooses (``"acme"``, ``"pbx-042"``), never a
secret: it travels in every :class:`~telcall.export.WindowSpec`, names the
tenant's directory (``tenant=<label>/``), keys its checkpoints and database
rows, and is what a ``client_factory`` looks the tenant's credentials up by.
The empty label is the single-tenant job, whose layout is unchanged.
"""

from __future__ import annotations

import re

from .._core.errors import ValidationError

__all__ = ("MAX_TENANT", "check_tenant", "tenant_segment")

#: The longest label: a directory name and a database key, not a description.
MAX_TENANT = 64

# A path segment on every filesystem and a key that needs no quoting: no separator,
# no dot first (hidden files, ".."), no "=" (the layout's own key=value syntax).
_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def check_tenant(label: str) -> str:
    """``label`` if it is a valid tenant label (or ``""``); :class:`ValidationError` if not."""
    if not isinstance(label, str):
        raise ValidationError(f"tenant must be a string, got {type(label).__name__}")
    if label and (len(label) > MAX_TENANT or _LABEL.fullmatch(label) is None):
        raise ValidationError(
            f"tenant {label[:MAX_TENANT]!r} is not a label: use 1 to {MAX_TENANT} letters, "
            "digits, '-', '_' or '.', starting with a letter or a digit"
        )
    return label


def tenant_segment(label: str) -> str:
    """The directory a tenant's export lives in under the job's directory (``""``: none)."""
    return f"tenant={label}" if label else ""
