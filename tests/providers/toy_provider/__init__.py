"""A toy fourth provider: everything telcall needs from a provider, in one folder."""

from ._spec import SPEC as SPEC

__all__ = ("SPEC",)
