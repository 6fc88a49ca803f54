"""A generic codec between dataclasses and plain JSON data, checked on the way in.

`to_plain(value, kind)` writes a dataclass (annotated `kind`) as dicts and
lists; `from_plain(kind, raw, where)` checks plain data against the
annotations and builds the dataclasses, raising `CodecError` with the path
of the first part that does not fit (`record.nodes[3].shape: expected list`).
Both build one converter per annotation, once: asking `typing` about every
value again was most of the cost of reading a long program's record.

Tensor contents are annotated `Annotated[Any, Values]` (`graphs.record.model.Nested`),
alone or in a union with their `Summary` (`Numbers`).
Both directions take an optional value hook, called on each of them in
document order: the worker's wire form packs them (`graphs.record.packing`), the server's
gate unpacks and checks them (`graphs.record.decode`). Without one they pass through
as they are. The hook is an argument of each call, not of the converters,
so one record's hook may remember what it met (`Packer`, `Unpacker`).
"""

from __future__ import annotations

import functools
import types
import typing
from dataclasses import fields, is_dataclass
from typing import Annotated, Any, Literal

# torch's own limit on a tensor's dimensions.
MAX_DIMS = 64
ValueHook = typing.Callable[[Any], Any]
# A converter: the data and the call's value hook (or None) -> the converted data.
Converter = typing.Callable[[Any, ValueHook | None], Any]


class Values:
    """The `Annotated` marker of tensor contents: where the codec calls its value hook."""


def to_plain(value: Any, kind: Any, values: ValueHook | None = None) -> Any:
    """`value` (annotated `kind`) as dicts and lists; tensor contents through
    `values` (a `Packer` for the wire), or shared with `value` without it."""
    return _plainer(kind)(value, values)


def _is_values(kind: Any) -> bool:
    return typing.get_origin(kind) is Annotated and Values in kind.__metadata__


@functools.cache
def _plainer(kind: Any) -> Converter:
    """The conversion of one annotation to plain data, made once per annotation
    (like `_check`): asking `typing` per value was most of a long record's `to_dict`."""
    origin = typing.get_origin(kind)
    if _is_values(kind):
        return _hooked
    if is_dataclass(kind):
        converters = [(name, _plainer(hint)) for name, hint in _hints(kind).items()]
        return lambda value, values: {
            name: convert(getattr(value, name), values) for name, convert in converters
        }
    if origin in (list, dict):
        return _container(origin, _plainer(typing.get_args(kind)[-1]))
    if origin in (typing.Union, types.UnionType):
        return _union_plainer([o for o in typing.get_args(kind) if o is not type(None)])
    return _as_is  # numbers, strings and literals, shared with the record


def _union_plainer(kinds: list[Any]) -> Converter:
    """Numbers and strings need nothing; one kind or None (`Summary | None`)
    is that kind's; else a dataclass and one other kind (a `Summary` or
    listed contents: `Numbers`), told apart by type."""
    options = [_plainer(kind) for kind in kinds]
    if all(option is _as_is for option in options):
        return _as_is
    if len(kinds) == 1:
        (only,) = options
        return lambda value, values: None if value is None else only(value, values)
    cls, other = sorted(kinds, key=lambda kind: not is_dataclass(kind))
    plain_cls, plain_other = _plainer(cls), _plainer(other)
    return lambda value, values: (
        None
        if value is None
        else plain_cls(value, values)
        if isinstance(value, cls)
        else plain_other(value, values)
    )


def _as_is(raw: Any, values: ValueHook | None) -> Any:
    return raw


def _container(origin: type, item: Converter) -> Converter:
    """A list's or a dict's conversion: a shallow copy when its items need none
    (numbers, or tensor contents without a hook): gpt2_small's `to_dict` took
    1.8x as long converting its gradients one by one."""

    def convert(value: Any, values: ValueHook | None) -> Any:
        if item is _as_is or item is _hooked and values is None:
            return origin(value)
        if origin is list:
            return [item(v, values) for v in value]
        return {key: item(v, values) for key, v in value.items()}

    return convert


def _hooked(raw: Any, values: ValueHook | None) -> Any:
    """Tensor contents through the call's hook: a hook's `CodecError` gets the path."""
    if values is None:
        return raw
    try:
        return values(raw)
    except CodecError as exc:
        raise _Mistyped(str(exc)) from None


class CodecError(ValueError):
    """Record data that does not have the record's shape; a value hook raises
    it with the problem alone, and `from_plain` adds where the value sits."""


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


def from_plain(kind: Any, raw: Any, where: str, values: ValueHook | None = None) -> Any:
    """`raw` checked against the annotation `kind` (and dataclasses built);
    tensor contents through `values`, which returns what the record holds or
    raises `CodecError`."""
    try:
        return _check(kind)(raw, values)
    except _Mistyped as exc:
        raise CodecError(f"{where}{exc.path}: {exc.problem}") from None


@functools.cache
def _check(kind: Any) -> Converter:
    """The check of one annotation, made once per annotation: a function that
    returns `raw` as the record holds it or raises `_Mistyped`. Made per
    annotation because asking `typing` about each value again (origin, args,
    hints) was most of the cost of reading a long program's record."""
    origin = typing.get_origin(kind)
    if _is_values(kind):
        return _hooked
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


def _number(raw: Any, values: ValueHook | None) -> Any:
    if type(raw) is float or type(raw) is int:  # the usual case, first
        return raw
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise _Mistyped(f"expected a number, got {type(raw).__name__}")
    return raw


def _instance(kind: type) -> Converter:
    def check(raw: Any, values: ValueHook | None) -> Any:
        if type(raw) is kind:
            return raw
        if not isinstance(raw, kind) or kind is int and isinstance(raw, bool):
            raise _Mistyped(f"expected {kind.__name__}, got {type(raw).__name__}")
        return raw

    return check


def _union(options: tuple) -> Converter:
    """The first option that fits. A dataclass option (a `Summary` among
    `Numbers`) reads dicts, and only dicts: the others read the rest, so a
    mistyped entry's error is theirs ("not a number"), not "expected dict"."""
    nullable = type(None) in options
    kinds = [option for option in options if option is not type(None)]
    classes = [_check(kind) for kind in kinds if is_dataclass(kind)]
    checks = [_check(kind) for kind in kinds if not is_dataclass(kind)] or classes

    def check(raw: Any, values: ValueHook | None) -> Any:
        if raw is None and nullable:
            return None
        if classes and type(raw) is dict:
            return classes[0](raw, values)
        first = None
        for option in checks:
            try:
                return option(raw, values)
            except _Mistyped as exc:
                first = first or exc
        raise first  # type: ignore[misc]

    return check


def _literal(allowed: tuple) -> Converter:
    def check(raw: Any, values: ValueHook | None) -> Any:
        if raw not in allowed:
            raise _Mistyped(f"expected one of {allowed}, got {raw!r}")
        return raw

    return check


def _list(item: Converter) -> Converter:
    """Each item checked once, never again to find a failure's place: a value hook keeps count."""

    def check(raw: Any, values: ValueHook | None) -> Any:
        if not isinstance(raw, list):
            raise _Mistyped(f"expected list, got {type(raw).__name__}")
        checked = []
        for index, value in enumerate(raw):
            try:
                checked.append(item(value, values))
            except _Mistyped as exc:
                raise exc.under(f"[{index}]") from None
        return checked

    return check


def _dict(key: Converter, item: Converter) -> Converter:
    def check(raw: Any, values: ValueHook | None) -> Any:
        if not isinstance(raw, dict):
            raise _Mistyped(f"expected dict, got {type(raw).__name__}")
        checked = {}
        for name, value in raw.items():
            try:
                name = key(name, values)
            except _Mistyped as exc:
                raise exc.under(" key") from None
            try:
                checked[name] = item(value, values)
            except _Mistyped as exc:
                raise exc.under(f"[{name!r}]") from None
        return checked

    return check


def _dataclass(kind: type) -> Converter:
    checks = {name: _check(hint) for name, hint in _hints(kind).items()}

    def check(raw: Any, values: ValueHook | None) -> Any:
        if not isinstance(raw, dict):
            raise _Mistyped(f"expected dict, got {type(raw).__name__}")
        if not raw.keys() <= checks.keys():
            raise _Mistyped(f"unknown field {sorted(raw.keys() - checks.keys())[0]!r}")
        fields_found = {}
        for name, value in raw.items():
            try:
                fields_found[name] = checks[name](value, values)
            except _Mistyped as exc:
                raise exc.under(f".{name}") from None
        try:
            return kind(**fields_found)
        except TypeError as exc:  # a required field is missing
            raise _Mistyped(str(exc)) from None

    return check


@functools.cache
def _hints(kind: type) -> dict[str, Any]:
    """A dataclass's field annotations, resolved once per class (`Values` marks kept)."""
    hints = typing.get_type_hints(kind, include_extras=True)
    return {spec.name: hints[spec.name] for spec in fields(kind)}
