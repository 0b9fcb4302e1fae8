"""The hostile suite's warmed-up clients (``hostile_factory``), for tests that count requests."""

from ..hostile.conftest import hostile_factory

__all__ = ("hostile_factory",)
