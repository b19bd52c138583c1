"""The error answers every API operation may give, added to the OpenAPI schema.

Every error is the same JSON shape (core.api.exception_handler): `detail` for a person, `code`
for a program, and `errors` by field for invalid input. Which statuses an operation can answer
follows from what it takes and who may call it, so they are derived here rather than repeated
on every view.
"""

from __future__ import annotations

from typing import Any

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
UNSAFE_METHODS = {"post", "put", "patch", "delete"}
DESCRIPTIONS = {
    "400": "Invalid input (field errors) or a malformed request.",
    "401": "Not signed in, or the session token expired.",
    "403": "Signed in without the role, or a staff account without two-factor authentication.",
    "404": "No such object, or not yours to see.",
    "409": "The object's state does not allow this now.",
    "413": "The request body is over the size limit.",
    "429": "Too many requests; retry after the time in Retry-After.",
}


def _statuses(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    statuses = ["400", "429"]
    # drf-spectacular lists `{}` among the security requirements when anonymous calls are fine.
    if {} not in operation.get("security", [{}]):
        statuses += ["401", "403"]
    if "{" in path:
        statuses.append("404")
    if method in UNSAFE_METHODS:
        statuses.append("409")
    if "requestBody" in operation:
        statuses.append("413")
    return statuses


def error_responses_document(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: documents the error answers of each operation
    (those an operation documents itself are left as they are)."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    reference = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status in _statuses(path, method, operation):
                operation["responses"].setdefault(
                    status,
                    {
                        "description": DESCRIPTIONS[status],
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result
