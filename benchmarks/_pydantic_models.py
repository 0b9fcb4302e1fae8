"""Pydantic v2 models equivalent to telcall's ``Cdr``/``CdrPage``: same fields, types, defaults."""

from __future__ import annotations

from pydantic import BaseModel

__all__ = ("CdrModel", "CdrPageModel")


class CdrModel(BaseModel):
    """``telcall.tel4vn.models.Cdr`` as a pydantic model (extra fields ignored, as there)."""

    id: str
    sip_call_id: str = ""
    cause: str = ""
    duration: int = 0
    direction: str | int = ""
    recording_url: str = ""
    extension: str = ""
    from_number: str = ""
    to_number: str = ""
    receive_dest: str = ""
    time_started: str = ""
    time_answered: str = ""
    time_ended: str = ""
    status: str = ""
    customer_id: str = ""


class CdrPageModel(BaseModel):
    """``telcall.tel4vn.models.CdrPage`` as a pydantic model."""

    data: list[CdrModel] = []
    limit: int | None = None
    offset: int | None = None
    total: int | None = None
    scroll_id: str | None = None
