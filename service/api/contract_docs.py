"""What flask-smorest cannot say from the routes and the marshmallow schemas alone: the pattern of each path
parameter, and keywords a request schema holds as a whole (one of two fields). Both are what the server enforces,
so that a request valid by /api/v1/openapi.json is not refused for its shape and one invalid by it is."""
from __future__ import annotations

from apispec import BasePlugin

from ..schemas import POLICY_ID, REGION, ROUND_ID, SHA256, USCC, UUID, VERSION

# every path parameter, by name: the routes name each kind of id the same way throughout
PATH_PARAMETERS = {
    "policy_id": {"type": "string", "pattern": f"^{POLICY_ID}$", "example": "green-factory"},
    "version": {"type": "string", "pattern": f"^{VERSION}$", "example": "2026.1"},
    "evaluation_id": {"type": "string", "format": "uuid", "pattern": UUID},
    "round_id": {"type": "string", "pattern": ROUND_ID, "example": "2026"},
    "uscc": {"type": "string", "pattern": USCC, "example": "91320500MA1MXXXX0X"},
    "code": {"type": "string", "pattern": REGION, "example": "320000", "description": "a recommending authority's"
                                                                                   " GB/T 2260 code"},
    "sha256": {"type": "string", "pattern": SHA256, "description": "SHA-256 of the document's bytes, lowercase hex"},
}


class ContractDetails(BasePlugin):
    """Path parameters typed from PATH_PARAMETERS; a schema's `Meta.openapi` keywords merged into its component."""

    def path_helper(self, path=None, operations=None, parameters=None, **kwargs):
        for parameter in parameters or []:
            if isinstance(parameter, dict) and parameter.get("in") == "path":
                parameter["schema"] = dict(PATH_PARAMETERS[parameter["name"]])  # a new name needs its pattern here

    def schema_helper(self, name, definition, **kwargs):
        schema = kwargs.get("schema")
        meta = getattr(schema, "Meta", None) if schema is not None else None
        extra = getattr(meta, "openapi", None)
        return dict(extra) if extra else None
