"""Argument checks every provider shares: annotations, required values, URL path segments."""

from __future__ import annotations

import enum
import functools
import inspect
import re
import types
import typing
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import (
    Annotated,
    Any,
    Literal,
    NoReturn,
    NotRequired,
    Required,
    Union,
    Unpack,
    get_args,
    get_origin,
)
from urllib.parse import quote

from .errors import ValidationError

__all__ = (
    "DateLike",
    "check_public_methods",
    "parse_date",
    "path_segment",
    "require",
    "required_keywords",
    "to_epoch_ms",
    "unpacked_keywords",
)

#: What every date argument of every provider takes (see :func:`parse_date`).
DateLike = str | date | datetime

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)

# C0 and C1 control characters and DEL: never part of an id, and a CR/LF would split the request.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def require(**values: object) -> None:
    """Raise if any named value is missing (``None``), empty or whitespace-only."""
    missing = [
        name
        for name, value in values.items()
        if value is None or (isinstance(value, str) and not value.strip())
    ]
    if missing:
        raise ValidationError(f"missing required field(s): {', '.join(missing)}")


def parse_date(value: DateLike, field: str, tz: tzinfo) -> date | datetime:
    """A day (``date``) or an aware moment (``datetime``) from any date argument.

    Takes ``date`` and ``datetime`` objects and ISO 8601 strings: ``2026-11-01``, and
    ``2026-11-01T10:00:00`` or ``2026-11-01 10:00:00`` with or without an offset (``Z``,
    ``+07:00``) or fractions of a second. Naive datetimes are read in ``tz``, the client's.
    """
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a date, a datetime or an ISO 8601 string")
    try:
        if _DAY.fullmatch(value):
            return date.fromisoformat(value)
        if not _DAY.match(value) or value[10:11] not in ("T", " "):
            raise ValueError(value)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            f"{field} must be an ISO 8601 date or date and time "
            f"('2026-11-01', '2026-11-01T10:00:00+07:00'); got {value!r}"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


def to_epoch_ms(value: DateLike, field: str, tz: tzinfo) -> int:
    """Epoch milliseconds of ``value`` (see :func:`parse_date`); a day is its local midnight."""
    moment = parse_date(value, field, tz)
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(), tzinfo=tz)
    # Integer arithmetic: a float timestamp can be off by one millisecond.
    return (moment - _EPOCH) // _MS


def path_segment(value: str, field: str) -> str:
    """``value`` percent-quoted as one URL path segment, or ValidationError.

    Empty, blank and dot-only values are refused: ``.`` and ``..`` survive quoting and
    the URL is normalised, so they would send the request to another endpoint.
    """
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a str; got {value!r}")
    if not value.strip():
        raise ValidationError(f"{field} must not be empty")
    if not value.strip().strip("."):
        raise ValidationError(f"{field} must not be '.' or '..' (it would change the URL path)")
    if _CONTROL.search(value):
        raise ValidationError(f"{field} must not contain control characters; got {value!r}")
    return quote(value, safe="")


# -- arguments against annotations ----------------------------------------------------------

Predicate = Callable[[Any], bool]

_TEXT = (str, bytes, bytearray)
_NOT_A_COLLECTION = (*_TEXT, Mapping)
_CHECKED = "__telcall_checked__"
_MODULE_PREFIX = re.compile(r"\b(?:[a-z_]\w*\.)+(?=[A-Za-z_])")


def check_public_methods(cls: type) -> None:
    """Make every public function defined on ``cls`` check its arguments against its annotations.

    Called from each provider's ``AsyncResource.__init_subclass__``, so every public resource
    method gets the check without a line of its own. A value that does not match raises
    ValidationError before the method body runs, so before any request. The policy is mypy's
    without coercion: ``"10"`` is not an ``int``, ``True`` is not an ``int``, a ``str`` is not a
    ``Sequence[str]``, ``None`` only where annotated; an enum member passes wherever a
    ``Literal`` lists its value. Defaults are not checked; unknown keywords stay a TypeError.
    Keywords declared as ``**kwargs: Unpack[SomeTypedDict]`` are checked key by key; a key the
    TypedDict does not declare, or a missing ``Required`` one, is a TypeError as for a plain
    signature.
    """
    for name, attr in list(vars(cls).items()):
        if name.startswith("_") or not inspect.isfunction(attr) or hasattr(attr, _CHECKED):
            continue
        setattr(cls, name, _checked(attr))


def _checked(function: Callable[..., Any]) -> Callable[..., Any]:
    checker = _ArgumentChecker(function)
    wrapper: Callable[..., Any]
    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            checker.check(args, kwargs)
            return await function(*args, **kwargs)

    else:
        # Generators (async or not) are returned as they are: checked at the call, not the
        # first step, and with ``asend``/``athrow``/``aclose`` untouched.
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            checker.check(args, kwargs)
            return function(*args, **kwargs)

    setattr(wrapper, _CHECKED, True)
    return wrapper


class _ArgumentChecker:
    """The predicates of one function's parameters, built at its first call (hints resolve)."""

    __slots__ = ("_function", "_keywords", "_positional", "_predicates", "_required", "_where")

    def __init__(self, function: Callable[..., Any]) -> None:
        self._function = function
        self._where = f"{function.__qualname__}()"
        self._predicates: dict[str, tuple[Predicate, Any]] | None = None
        self._positional: tuple[str, ...] = ()
        # The names ``**kwargs: Unpack[TypedDict]`` accepts besides the named parameters.
        self._keywords: frozenset[str] | None = None
        self._required: frozenset[str] = frozenset()

    def _build(self) -> dict[str, tuple[Predicate, Any]]:
        hints = typing.get_type_hints(self._function)
        predicates: dict[str, tuple[Predicate, Any]] = {}
        positional: list[str] = []
        named: list[tuple[str, Any]] = []
        parameters = inspect.signature(self._function).parameters.values()
        for param in parameters:
            if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
                positional.append(param.name)
            hint = hints.get(param.name)
            if hint is None or param.kind is param.VAR_POSITIONAL:
                continue
            if param.kind is param.VAR_KEYWORD:
                fields = unpacked_keywords(hint)
                if fields is not None:
                    named += fields.items()
                    self._required = required_keywords(hint)
                    self._keywords = frozenset(
                        [*fields, *(p.name for p in parameters if p.kind is not p.POSITIONAL_ONLY)]
                    )
                continue
            named.append((param.name, hint))
        for name, hint in named:
            predicate = _predicate(hint)
            if predicate is not None:
                predicates[name] = (predicate, hint)
        self._positional = tuple(positional)
        self._predicates = predicates
        return predicates

    def check(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Raise ValidationError for the first argument that does not match its annotation."""
        predicates = self._predicates if self._predicates is not None else self._build()
        for name, value in zip(self._positional, args, strict=False):
            entry = predicates.get(name)
            if entry is not None and not entry[0](value):
                self._fail(name, value, entry[1])
        keywords = self._keywords
        if self._required and not self._required <= kwargs.keys():
            missing = ", ".join(repr(n) for n in sorted(self._required - kwargs.keys()))
            raise TypeError(f"{self._where} missing required keyword argument(s): {missing}")
        for name, value in kwargs.items():
            entry = predicates.get(name)
            if entry is None:
                # Only a name without a predicate can be one the signature does not take.
                if keywords is not None and name not in keywords:
                    raise TypeError(f"{self._where} got an unexpected keyword argument {name!r}")
            elif not entry[0](value):
                self._fail(name, value, entry[1])

    def _fail(self, name: str, value: Any, hint: Any) -> NoReturn:
        name, value, hint = _culprit(name, value, hint)
        shown = repr(value)
        if len(shown) > 80:
            shown = f"{shown[:77]}..."
        raise ValidationError(
            f"{self._where}: {name} must be {_describe(hint)}; got {shown} ({type(value).__name__})"
        )


def unpacked_keywords(hint: Any) -> dict[str, Any] | None:
    """The keys and value types of ``Unpack[SomeTypedDict]``, or None for another ``**`` hint."""
    if get_origin(hint) is not Unpack:
        return None
    (typed_dict,) = get_args(hint)
    return typing.get_type_hints(typed_dict)


def required_keywords(hint: Any) -> frozenset[str]:
    """The keys ``Unpack[SomeTypedDict]`` requires.

    Read from the annotations, not ``__required_keys__``: under ``from __future__ import
    annotations`` a ``Required[...]`` key of a ``total=False`` TypedDict is not counted there.
    """
    (typed_dict,) = get_args(hint)
    hints = typing.get_type_hints(typed_dict, include_extras=True)
    marked = {name for name, h in hints.items() if get_origin(h) is Required}
    optional = {name for name, h in hints.items() if get_origin(h) is NotRequired}
    return frozenset(marked | (set(typed_dict.__required_keys__) - optional))


def _culprit(name: str, value: Any, hint: Any) -> tuple[str, Any, Any]:
    """The innermost wrong part of ``value`` (``tags[1]``), for the error message only."""
    options = get_args(hint) if get_origin(hint) in (Union, types.UnionType) else (hint,)
    for option in options:
        origin = get_origin(option)
        args = get_args(option)
        if not (isinstance(origin, type) and args and isinstance(value, origin)):
            continue
        if isinstance(value, Mapping) and len(args) == 2:
            for key, item in value.items():
                for part, part_hint in ((key, args[0]), (item, args[1])):
                    test = _predicate(part_hint)
                    if test is not None and not test(part):
                        return _culprit(f"{name}[{key!r}]", part, part_hint)
        elif isinstance(value, Collection) and not isinstance(value, _NOT_A_COLLECTION):
            test = _predicate(args[0])
            for index, item in enumerate(value):
                if test is not None and not test(item):
                    return _culprit(f"{name}[{index}]", item, args[0])
    return name, value, hint


def _describe(hint: Any) -> str:
    origin = get_origin(hint)
    if origin is Literal:
        return "one of " + ", ".join(repr(value) for value in get_args(hint))
    if origin in (Union, types.UnionType):
        return " | ".join(_describe(option) for option in get_args(hint))
    if hint is type(None):
        return "None"
    if isinstance(hint, type):
        return hint.__name__
    return _MODULE_PREFIX.sub("", str(hint))


def _predicate(hint: Any) -> Predicate | None:
    """A test for values of ``hint``, or ``None`` when anything passes."""
    if hint is Any or hint is object:
        return None
    origin = get_origin(hint)
    args = get_args(hint)
    if origin is Annotated:
        return _predicate(args[0])
    if origin is Literal:
        return _literal(args)
    if origin in (Union, types.UnionType):
        options = [_predicate(option) for option in args if option is not type(None)]
        if any(option is None for option in options):
            return None
        tests = typing.cast(list[Predicate], options)
        if type(None) in args:
            if len(tests) == 1:
                only = tests[0]
                return lambda value: value is None or only(value)
            return lambda value: value is None or any(test(value) for test in tests)
        return lambda value: any(test(value) for test in tests)
    if hint is type(None):
        return lambda value: value is None
    if hint is bool:
        return lambda value: value is True or value is False
    if hint is int:
        return lambda value: isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return lambda value: isinstance(value, int | float) and not isinstance(value, bool)
    if origin is not None and isinstance(origin, type):
        return _generic(origin, args)
    if isinstance(hint, type):
        return lambda value: isinstance(value, hint)
    raise TypeError(f"cannot check arguments annotated {hint!r}")


def _literal(values: tuple[Any, ...]) -> Predicate:
    allowed = frozenset(values)
    kinds = frozenset(type(v) for v in values)

    def test(value: Any) -> bool:
        if isinstance(value, enum.Enum):
            value = value.value
        return type(value) in kinds and value in allowed

    return test


def _generic(origin: type, args: tuple[Any, ...]) -> Predicate:
    if issubclass(origin, Mapping):
        key = _predicate(args[0]) if args else None
        item = _predicate(args[1]) if len(args) > 1 else None
        if key is None and item is None:
            return lambda value: isinstance(value, origin)
        return lambda value: (
            isinstance(value, origin)
            and all((key is None or key(k)) and (item is None or item(v)) for k, v in value.items())
        )
    if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        parts = [_predicate(arg) for arg in args]
        return lambda value: (
            isinstance(value, tuple)
            and len(value) == len(parts)
            and all(part is None or part(v) for part, v in zip(parts, value, strict=True))
        )
    if issubclass(origin, Iterable) and not issubclass(origin, _TEXT):
        element = _predicate(args[0]) if args else None

        def test(value: Any) -> bool:
            if not isinstance(value, origin) or isinstance(value, _NOT_A_COLLECTION):
                return False
            # Only a collection is read here: an iterator would be used up before the method.
            if element is None or not isinstance(value, Collection):
                return True
            return all(element(v) for v in value)

        return test
    if issubclass(origin, Callable):  # type: ignore[arg-type]
        return callable
    return lambda value: isinstance(value, origin)
