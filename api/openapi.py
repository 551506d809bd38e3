"""The OpenAPI 3.1 document, generated from the route table and the same msgspec Structs that
validate requests and shape responses."""

from __future__ import annotations

from typing import Any

import msgspec

from api import routes
from api.errors import ErrorResponse

_REF = "#/components/schemas/{name}"


def _query_parameters(kind: type) -> list[dict[str, Any]]:
    _, found = msgspec.json.schema_components([kind], ref_template=_REF)
    properties = found[kind.__name__]["properties"]
    required = set(found[kind.__name__].get("required", ()))
    return [
        {"name": field, "in": "query", "required": field in required, "schema": spec}
        for field, spec in properties.items()
    ]


def document() -> dict[str, Any]:
    types: list[Any] = [ErrorResponse]
    for e in routes.ENDPOINTS:
        types += [t for t in (e.response, e.body) if t is not None]
    refs, components = msgspec.json.schema_components(types, ref_template=_REF)
    ref = dict(zip(types, refs, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    for e in routes.ENDPOINTS:
        operation: dict[str, Any] = {
            "operationId": e.handler.__name__,
            "summary": e.summary,
            "responses": {
                str(e.status): {
                    "description": "OK" if e.status < 300 else "Created",
                    **(
                        {"content": {"application/json": {"schema": ref[e.response]}}}
                        if e.response
                        else {}
                    ),
                },
                **{
                    str(code): {
                        "description": "Error",
                        "content": {"application/json": {"schema": ref[ErrorResponse]}},
                    }
                    for code in e.errors
                },
            },
        }
        parameters = [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
            for p in _path_params(e.path)
        ]
        if e.query is not None:
            parameters += _query_parameters(e.query)
        if parameters:
            operation["parameters"] = parameters
        if e.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": ref[e.body]}},
            }
        if e.auth:
            operation["security"] = [{"bearer": []}]
        paths.setdefault(e.path, {})[e.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "ocppcore API", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _path_params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]
