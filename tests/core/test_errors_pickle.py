"""Every telcall error crosses a process boundary intact (Dask, Celery pickle, multiprocessing)."""

from __future__ import annotations

import importlib
import inspect
import pickle
import pkgutil
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings, strategies as st

import telcall
from telcall.errors import TelcallError
from telcall.export import ExportSummary, WindowSpec, plan


def _error_classes() -> list[type[TelcallError]]:
    """Every TelcallError subclass defined in telcall's modules (generated facades aside)."""
    found: dict[str, type[TelcallError]] = {}
    for info in pkgutil.walk_packages(telcall.__path__, "telcall."):
        if info.name.endswith("__main__") or info.name.startswith(
            ("telcall._sync", "telcall._raw", "telcall.cli")
        ):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, TelcallError)
                and value.__module__ == module.__name__
            ):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


_SUMMARY = ExportSummary(
    out_dir="/o",
    windows_planned=3,
    windows_done=1,
    windows_skipped=0,
    windows_failed=2,
    records=10,
    duplicates=0,
    out_of_window=0,
    bytes=100,
    elapsed=1.5,
    files=["a"],
    watermark=datetime(2026, 11, 1, tzinfo=UTC),
)


def _spec(tmp: str) -> WindowSpec:
    """One planned window, made without credentials."""
    from telcall.export import Connection

    conn = Connection(provider="tel4vn", base_url="https://pbx.example.vn", tz="Asia/Ho_Chi_Minh")
    return plan(conn, "2026-11-01", "2026-11-02", tmp)[0]


def _instance(cls: type[TelcallError], data: st.DataObject, tmp: str) -> TelcallError:
    """An instance of ``cls`` with generated values for its constructor's parameters."""
    from telcall.export import ExportError, TenantsExportError

    if cls is TenantsExportError:
        cause = TelcallError(data.draw(st.text(), label="cause"))
        return cls({"a": _SUMMARY}, [("b", cause)], 2)
    if issubclass(cls, ExportError):
        cause = TelcallError(data.draw(st.text(), label="cause"))
        return cls(_SUMMARY, [(_spec(tmp), cause)])
    signature = inspect.signature(cls.__init__)
    if list(signature.parameters) == ["self", "args", "kwargs"]:
        return cls(data.draw(st.text(), label="message"))
    return data.draw(st.builds(cls), label=cls.__name__)


CLASSES = _error_classes()


def test_every_error_class_is_discovered() -> None:
    """Discovery finds the provider, export and core errors (the list below cannot be empty)."""
    names = {cls.__name__ for cls in CLASSES}
    assert {"APIError", "RateLimitError", "ExportError", "HostUnreachable", "ClaimLost"} <= names


@pytest.mark.parametrize("cls", [pytest.param(c, id=c.__qualname__) for c in CLASSES])
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_error_round_trips_through_pickle(
    cls: type[TelcallError], data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """An error unpickles as the same class with the same message and attributes."""
    error = _instance(cls, data, str(tmp_path_factory.getbasetemp()))
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert str(copy) == str(error)
    assert copy.args == error.args
    assert vars(copy).keys() == vars(error).keys()
    for name, value in vars(error).items():
        if name == "failures":
            assert [(s, type(e), str(e)) for s, e in getattr(copy, name)] == [
                (s, type(e), str(e)) for s, e in value
            ]
        else:
            assert getattr(copy, name) == value, name
