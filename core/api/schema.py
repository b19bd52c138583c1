"""The error answers every API operation may give, added to the OpenAPI schema.

Every error is the same JSON shape (core.api.exception_handler): `detail` for a person, `code`
for a program, and `errors` by field for invalid input. Which statuses an operation can answer
follows from what it takes and who may call it, so they are derived here rather than repeated
on every view.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter

from core.idempotency import HEADER

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, for a person to read."},
        "code": {"type": "string", "description": "What went wrong, for a program."},
        "errors": {
            "type": "object",
            "description": "For invalid input: the messages of each field.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["detail", "code"],
}
DESCRIPTIONS = {
    "400": "Invalid input (field errors) or a malformed request.",
    "401": "Not signed in, or the session token expired.",
    "403": "Signed in without the role, or a staff account without two-factor authentication.",
    "404": "No such object (in the path, the query or the body), or not yours to see.",
    "409": "The state of an object involved does not allow this now.",
    "413": "The request body is over the size limit.",
    "415": "The request body is in a media type this operation does not take.",
    "422": "This Idempotency-Key was already used with a different request.",
    "429": "Too many requests; retry after the time in Retry-After.",
    "503": "The document cannot be rendered on this server right now.",
}


def _statuses(operation: dict[str, Any]) -> list[str]:
    # Any operation may name a missing or foreign object (in its path, query or body) and meet
    # an object in a state that refuses it.
    statuses = ["400", "404", "409", "429"]
    # drf-spectacular lists `{}` among the security requirements when anonymous calls are fine.
    if {} not in operation.get("security", [{}]):
        statuses += ["401", "403"]
    if "requestBody" in operation:
        statuses += ["413", "415"]
    parameters = operation.get("parameters", [])
    if any(p.get("in") == "header" and p.get("name") == "Idempotency-Key" for p in parameters):
        statuses.append("422")
    if any("application/pdf" in r.get("content", {}) for r in operation["responses"].values()):
        statuses.append("503")
    return statuses


def error_responses_document(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: documents the error answers of each operation
    (those an operation documents itself are left as they are)."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    reference = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status in _statuses(operation):
                operation["responses"].setdefault(
                    status,
                    {
                        "description": DESCRIPTIONS[status],
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result


# The header of every POST that creates a money-moving object (core.idempotency).
IDEMPOTENCY_HEADER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    description="Same key + same body → the first response again; different body → 422.",
)
