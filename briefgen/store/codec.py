"""The build cache's values as plain JSON data, and back, checked field by field.

The cache in ``.briefgen/`` may come with a cloned digest, so reading it must never run code
(pickle would) and must never trust its shape: each decoder checks every value against the
type the pipeline expects and returns ``BAD`` on any mismatch, so the entry is rebuilt.
A dataclass is written as the list of its field values in declaration order (compact, and
the field list is part of the cache format's version).

Written by hand: the JSON schema libraries check shapes but do not rebuild frozen
dataclasses, and the types here are few and fixed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from briefgen.errors import Diagnostic, SourcePos
from briefgen.model import Brief, Entities, PreparedBody, Quote, Related, Source

BAD: Any = object()  # returned by a decoder for a value of the wrong shape


class _Bad(Exception):
    """Raised inside a decoder; turned into ``BAD`` at the top."""


def encode(value: Any) -> Any:
    """Plain JSON data for a cache value: dataclasses as lists, dates as ISO strings."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value  # the common case first: most values are strings
    if kind is tuple or kind is list:
        return [encode(v) for v in value]
    if kind is PreparedBody:  # not kept: see _none below
        return None
    known = _FIELD_CACHE.get(kind)
    if known is not None:  # a dataclass met before
        return [encode(getattr(value, f.name)) for f in known]
    if isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, tuple | list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, dt.date):  # datetime too
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [encode(getattr(value, f.name)) for f in _fields(type(value))]
    raise TypeError(f"cannot store a {type(value).__name__} in the cache")


_FIELD_CACHE: dict[type[Any], tuple[dataclasses.Field[Any], ...]] = {}


def _fields(cls: type[Any]) -> tuple[dataclasses.Field[Any], ...]:
    found = _FIELD_CACHE.get(cls)
    if found is None:
        found = _FIELD_CACHE[cls] = dataclasses.fields(cls)
    return found


# Decoders for the leaf types. Each raises _Bad on a mismatch.
Decoder = Callable[[Any], Any]


def _str(value: Any) -> str:
    if type(value) is not str:
        raise _Bad
    return value


def _int(value: Any) -> int:
    if type(value) is not int:
        raise _Bad
    return value


def _float(value: Any) -> float:
    if type(value) is float or type(value) is int:
        return float(value)
    raise _Bad


def _bool(value: Any) -> bool:
    if type(value) is not bool:
        raise _Bad
    return value


def _date(value: Any) -> dt.date:
    if type(value) is not str or len(value) != 10:
        raise _Bad
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise _Bad from exc


def _datetime(value: Any) -> dt.datetime:
    if type(value) is not str or len(value) > 40:
        raise _Bad
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise _Bad from exc


def _none(value: Any) -> None:
    """A brief's prepared body is not kept: the bodies memo holds the finished HTML, and a
    brief whose HTML must be made again from the cache is rendered whole (one parse)."""
    if value is not None:
        raise _Bad


def _optional(inner: Decoder) -> Decoder:
    return lambda value: None if value is None else inner(value)


def _tuple_of(inner: Decoder) -> Decoder:
    def decode(value: Any) -> tuple[Any, ...]:
        if type(value) is not list:
            raise _Bad
        return tuple(inner(v) for v in value)
    return decode


def _str_tuple(value: Any) -> tuple[str, ...]:
    if type(value) is not list or not set(map(type, value)) <= _STR_TYPE:
        raise _Bad
    return tuple(value)


_STR_TYPE = {str}


def _link(value: Any) -> tuple[str, int, int]:
    """A wikilink found in a body: (target, line, col)."""
    if type(value) is not list or len(value) != 3:
        raise _Bad
    return _str(value[0]), _int(value[1]), _int(value[2])


def _dict_of(inner: Decoder) -> Decoder:
    def decode(value: Any) -> dict[str, Any]:
        if type(value) is not dict:
            raise _Bad
        return {k: inner(v) for k, v in value.items()}
    return decode


def _record(cls: type[Any], decoders: dict[str, Decoder]) -> Decoder:
    """A decoder for a dataclass written as the list of its field values.

    Fields whose decoder is a plain type check (str, int, bool) are checked inline rather
    than through a call each: a warm build decodes every cached brief, and the calls were
    most of the cache's load time."""
    names = tuple(f.name for f in _fields(cls))
    assert set(names) == set(decoders), cls  # nosec B101 - a programming error, caught by tests
    plain: dict[Decoder, type[Any]] = {_str: str, _int: int, _bool: bool}
    checks = tuple((i, plain[decoders[n]]) for i, n in enumerate(names) if decoders[n] in plain)
    calls = tuple((i, n, decoders[n]) for i, n in enumerate(names) if decoders[n] not in plain)
    size = len(names)

    def decode(value: Any) -> Any:
        if type(value) is not list or len(value) != size:
            raise _Bad
        for i, kind in checks:
            if type(value[i]) is not kind:
                raise _Bad
        args = dict(zip(names, value, strict=True))
        for i, name, step in calls:
            args[name] = step(value[i])
        try:
            return cls(**args)
        except (TypeError, ValueError) as exc:
            raise _Bad from exc
    return decode


_quote = _record(Quote, {"speaker": _str, "text": _str})
_source = _record(Source, {"name": _str, "url": _str, "file": _str, "retrieved": _str})
_entities = _record(Entities, {"people": _str_tuple, "organizations": _str_tuple,
                               "places": _str_tuple, "other": _str_tuple})
_brief = _record(Brief, {
    "path": _str, "slug": _str, "title": _str, "date": _date,
    "time": _optional(_datetime), "summary": _str, "summary_is_auto": _bool,
    "key_points": _str_tuple, "tags": _str_tuple, "section": _str, "entities": _entities,
    "quotes": _tuple_of(_quote), "author": _str, "source": _source, "draft": _bool,
    "lead": _bool,
    "updates": _str, "body": _str, "body_line": _int, "key_lines": _dict_of(_int),
    "content_hash": _str, "word_count": _int, "wikilinks": _tuple_of(_link), "prepared": _none,
})
_pos = _record(SourcePos, {"path": _str, "line": _int, "col": _int})
_diagnostic = _record(Diagnostic, {"pos": _pos, "code": _str, "message": _str, "hint": _str,
                                   "severity": _str, "source_line": _str})
_related = _record(Related, {"id": _str, "score": _float, "shared": _str_tuple})


def _top(decoder: Decoder) -> Decoder:
    def decode(value: Any) -> Any:
        try:
            return decoder(value)
        except (_Bad, RecursionError):
            return BAD
    return decode


def _parsed(value: Any) -> tuple[Brief | None, tuple[Diagnostic, ...]]:
    if type(value) is not list or len(value) != 2:
        raise _Bad
    brief = None if value[0] is None else _brief(value[0])
    return brief, _tuple_of(_diagnostic)(value[1])


decode_parsed = _top(_parsed)  # the briefs memo: (Brief or None, diagnostics)
def _body(value: Any) -> str | tuple[str, ...]:
    """A bodies-memo value: a brief's rendered HTML, or a feed entry's strings."""
    return _str(value) if type(value) is str else _str_tuple(value)


decode_body = _top(_body)  # the bodies memo: rendered HTML and feed entries
decode_ranked = _top(_dict_of(_tuple_of(_related)))  # the related memo: slug -> related
