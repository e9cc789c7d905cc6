"""Document error bodies as what they are: every refusal is application/problem+json (service.errors.problem),
while flask-smorest writes each response it documents with its default type, application/json."""
from __future__ import annotations

from apispec import BasePlugin

from ..errors import PROBLEM
from ..schemas import Problem

JSON = "application/json"


def _is_problem(schema) -> bool:
    if isinstance(schema, dict):
        return schema.get("$ref", "").rsplit("/", 1)[-1] == "Problem"
    return schema is Problem or isinstance(schema, Problem)


def _retype(response) -> None:
    content = response.get("content") if isinstance(response, dict) else None
    if content and JSON in content and _is_problem(content[JSON].get("schema")):
        content[PROBLEM] = content.pop(JSON)


class ProblemContentType(BasePlugin):
    """Moves a response whose schema is Problem from application/json to application/problem+json."""

    def response_helper(self, response, **kwargs):
        _retype(response)
        return response

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            for response in operation.get("responses", {}).values():
                _retype(response)
