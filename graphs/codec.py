"""A generic codec between dataclasses and plain JSON data, checked on the way in.

`to_plain(value, kind)` writes a dataclass (annotated `kind`) as dicts and
lists; `from_plain(kind, raw, where)` checks plain data against the
annotations and builds the dataclasses, raising `CodecError` with the path
of the first part that does not fit (`record.nodes[3].shape: expected list`).
Both build one converter per annotation, once: asking `typing` about every
value again was most of the cost of reading a long program's record. Values
annotated `Any` (tensor contents) pass through as they are; what they may
hold is checked by `graphs.decode`.
"""

from __future__ import annotations

import functools
import types
import typing
from dataclasses import fields, is_dataclass
from typing import Any, Literal


def to_plain(value: Any, kind: Any) -> Any:
    """`value` (annotated `kind`) as dicts and lists; `Nested` contents as they are."""
    return _plainer(kind)(value)


@functools.cache
def _plainer(kind: Any) -> typing.Callable[[Any], Any]:
    """The conversion of one annotation to plain data, made once per annotation
    (like `_check`): asking `typing` per value was most of a long record's `to_dict`."""
    origin = typing.get_origin(kind)
    if is_dataclass(kind):
        converters = [(name, _plainer(hint)) for name, hint in _hints(kind).items()]
        return lambda value: {name: convert(getattr(value, name)) for name, convert in converters}
    if origin is list:
        item = _plainer(typing.get_args(kind)[0])
        return list if item is _as_is else lambda value: [item(v) for v in value]
    if origin is dict:
        item = _plainer(typing.get_args(kind)[1])
        return dict if item is _as_is else lambda value: {key: item(v) for key, v in value.items()}
    if origin in (typing.Union, types.UnionType):
        options = [_plainer(o) for o in typing.get_args(kind) if o is not type(None)]
        if all(option is _as_is for option in options):  # numbers and strings: nothing to convert
            return _as_is
        (option,) = options  # else one kind or None (`Summary | None`), all the record uses
        return lambda value: None if value is None else option(value)
    return _as_is  # numbers, strings, literals and `Nested` contents, shared with the record


class CodecError(ValueError):
    """Record data that does not have the record's shape."""


class _Mistyped(Exception):
    """A check failed at `path` (relative to the value checked: `[3].value`).

    Containers add their part of the path only when a check below them
    failed, so a record that is fine never builds a path string: building
    one per value cost more than the checks themselves on a 2,000-pass
    record."""

    def __init__(self, problem: str, path: str = ""):
        super().__init__(problem)
        self.problem, self.path = problem, path

    def under(self, part: str) -> _Mistyped:
        return _Mistyped(self.problem, part + self.path)


def from_plain(kind: Any, raw: Any, where: str) -> Any:
    """`raw` checked against the annotation `kind` (and dataclasses built)."""
    try:
        return _check(kind)(raw)
    except _Mistyped as exc:
        raise CodecError(f"{where}{exc.path}: {exc.problem}") from None


@functools.cache
def _check(kind: Any) -> typing.Callable[[Any], Any]:
    """The check of one annotation, made once per annotation: a function that
    returns `raw` as the record holds it or raises `_Mistyped`. Made per
    annotation because asking `typing` about each value again (origin, args,
    hints) was most of the cost of reading a long program's record."""
    origin = typing.get_origin(kind)
    if kind is Any:
        return _as_is
    if origin in (typing.Union, types.UnionType):
        return _union(typing.get_args(kind))
    if origin is Literal:
        return _literal(typing.get_args(kind))
    if origin is list:
        return _list(_check(typing.get_args(kind)[0]))
    if origin is dict:
        key_kind, item = typing.get_args(kind)
        return _dict(_check(key_kind), _check(item))
    if is_dataclass(kind):
        return _dataclass(kind)
    if kind is float:
        return _number
    return _instance(kind)


def _as_is(raw: Any) -> Any:
    return raw


def _number(raw: Any) -> Any:
    if type(raw) is float or type(raw) is int:  # the usual case, first
        return raw
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise _Mistyped(f"expected a number, got {type(raw).__name__}")
    return raw


def _instance(kind: type) -> typing.Callable[[Any], Any]:
    def check(raw: Any) -> Any:
        if type(raw) is kind:
            return raw
        if not isinstance(raw, kind) or kind is int and isinstance(raw, bool):
            raise _Mistyped(f"expected {kind.__name__}, got {type(raw).__name__}")
        return raw

    return check


def _union(options: tuple) -> typing.Callable[[Any], Any]:
    nullable = type(None) in options
    checks = [_check(option) for option in options if option is not type(None)]

    def check(raw: Any) -> Any:
        if raw is None and nullable:
            return None
        first = None
        for option in checks:
            try:
                return option(raw)
            except _Mistyped as exc:
                first = first or exc
        raise first  # type: ignore[misc]

    return check


def _literal(allowed: tuple) -> typing.Callable[[Any], Any]:
    def check(raw: Any) -> Any:
        if raw not in allowed:
            raise _Mistyped(f"expected one of {allowed}, got {raw!r}")
        return raw

    return check


def _list(item: typing.Callable[[Any], Any]) -> typing.Callable[[Any], Any]:
    def check(raw: Any) -> Any:
        if not isinstance(raw, list):
            raise _Mistyped(f"expected list, got {type(raw).__name__}")
        try:
            return [item(value) for value in raw]
        except _Mistyped:
            _locate((f"[{i}]", item, value) for i, value in enumerate(raw))
            raise

    return check


def _dict(key: typing.Callable[[Any], Any], item: typing.Callable[[Any], Any]) -> typing.Callable[[Any], Any]:
    def check(raw: Any) -> Any:
        if not isinstance(raw, dict):
            raise _Mistyped(f"expected dict, got {type(raw).__name__}")
        try:
            return {key(name): item(value) for name, value in raw.items()}
        except _Mistyped:
            _locate(
                part
                for name, value in raw.items()
                for part in ((" key", key, name), (f"[{name!r}]", item, value))
            )
            raise

    return check


def _locate(parts: typing.Iterable[tuple[str, typing.Callable[[Any], Any], Any]]) -> None:
    """Once a container failed its fast check: raise the first failing part's
    error with where it is (`[3]`, `['n2']`, ` key`), so the fast path never
    builds a path."""
    for where, check, value in parts:
        try:
            check(value)
        except _Mistyped as exc:
            raise exc.under(where) from None


def _dataclass(kind: type) -> typing.Callable[[Any], Any]:
    hints = _hints(kind)
    checks = {name: _check(hint) for name, hint in hints.items()}

    def check(raw: Any) -> Any:
        if not isinstance(raw, dict):
            raise _Mistyped(f"expected dict, got {type(raw).__name__}")
        if not raw.keys() <= checks.keys():
            raise _Mistyped(f"unknown field {sorted(raw.keys() - checks.keys())[0]!r}")
        values = {}
        for name, value in raw.items():
            try:
                values[name] = checks[name](value)
            except _Mistyped as exc:
                raise exc.under(f".{name}") from None
        try:
            return kind(**values)
        except TypeError as exc:  # a required field is missing
            raise _Mistyped(str(exc)) from None

    return check


@functools.cache
def _hints(kind: type) -> dict[str, Any]:
    """A dataclass's field annotations, resolved once per class."""
    hints = typing.get_type_hints(kind)
    return {spec.name: hints[spec.name] for spec in fields(kind)}
