"""Hypothesis strategies built from the message Structs' own constraints.

`st.from_type` ignores msgspec `Meta` limits, so this walks `msgspec.inspect.type_info` and
produces JSON-ready values (camelCase keys, RFC 3339 strings) that honour max_length, enums,
min_length and optional fields.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from hypothesis import strategies as st

_printable = st.characters(min_codepoint=32, max_codepoint=126)


def _datetime_text() -> st.SearchStrategy[str]:
    moments = st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
    )
    return moments.map(lambda d: d.isoformat(timespec="milliseconds").replace("+00:00", "Z"))


def for_type(info: msgspec.inspect.Type) -> st.SearchStrategy[Any]:
    t = msgspec.inspect
    if isinstance(info, t.StructType):
        return for_struct(info)
    if isinstance(info, t.StrType):
        return st.text(
            _printable, min_size=info.min_length or 0, max_size=min(info.max_length or 60, 60)
        )
    if isinstance(info, t.IntType):
        lo = info.ge if info.ge is not None else -(2**31)
        hi = info.le if info.le is not None else 2**31 - 1
        return st.integers(min_value=lo, max_value=hi)
    if isinstance(info, t.FloatType):
        return st.integers(min_value=0, max_value=10_000).map(lambda n: n / 10)
    if isinstance(info, t.BoolType):
        return st.booleans()
    if isinstance(info, t.LiteralType):
        return st.sampled_from(info.values)
    if isinstance(info, t.DateTimeType):
        return _datetime_text()
    if isinstance(info, t.ListType):
        return st.lists(for_type(info.item_type), min_size=info.min_length or 0, max_size=3)
    if isinstance(info, t.UnionType):
        options = [for_type(x) for x in info.types if not isinstance(x, t.NoneType)]
        return st.one_of(options)
    raise TypeError(f"no strategy for {info!r}")


def for_struct(info: msgspec.inspect.StructType) -> st.SearchStrategy[dict[str, Any]]:
    required = {f.encode_name: for_type(f.type) for f in info.fields if f.required}
    optional = {f.encode_name: for_type(f.type) for f in info.fields if not f.required}
    return st.fixed_dictionaries(required, optional=optional)


def payloads(struct: type[msgspec.Struct]) -> st.SearchStrategy[dict[str, Any]]:
    """JSON-ready payloads of `struct`, as a peer would send them."""
    info = msgspec.inspect.type_info(struct)
    assert isinstance(info, msgspec.inspect.StructType)
    return for_struct(info)


def from_json_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid under `schema`, for the draft-4 subset the OCPP 1.6 schemas use.

    Built from the schema alone (not from our Structs), so it can catch a Struct that is
    stricter than the official schema.
    """
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        required = set(schema.get("required", ()))
        return st.fixed_dictionaries(
            {k: from_json_schema(v) for k, v in props.items() if k in required},
            optional={k: from_json_schema(v) for k, v in props.items() if k not in required},
        )
    if kind == "array":
        return st.lists(
            from_json_schema(schema["items"]), min_size=schema.get("minItems", 0), max_size=3
        )
    if kind == "string":
        if schema.get("format") == "date-time":
            return _datetime_text()
        if schema.get("format") == "uri":
            return st.sampled_from(
                ["ftp://diag.example.com/upload", "https://fw.example.com/v2.bin"]
            )
        return st.text(_printable, max_size=min(schema.get("maxLength", 60), 60))
    if kind == "integer":
        return st.integers(min_value=-(2**31), max_value=2**31 - 1)
    if kind == "number":
        if "multipleOf" in schema:
            return st.integers(min_value=-10_000, max_value=10_000).map(lambda n: n / 10)
        return st.floats(allow_nan=False, allow_infinity=False, width=32)
    if kind == "boolean":
        return st.booleans()
    raise TypeError(f"unsupported schema {schema!r}")
