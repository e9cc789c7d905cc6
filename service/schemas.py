"""The API's bodies as marshmallow schemas: they validate requests and describe responses in the OpenAPI document.

Numbers that the engine computes exactly (Decimal) are strings in JSON, as engine.policy.digest.jsonable writes them:
"86.5", never a float. A policy document is the YAML's data with the same rule: integers stay numbers, decimals
become strings.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from .json_schemas import ref

# the shapes the server checks, stated once: the views' validators and the document's patterns use these
POLICY_ID = "[a-z0-9][a-z0-9-]{0,63}"  # engine.policy.catalog.REF's
VERSION = "[0-9A-Za-z][0-9A-Za-z._-]{0,39}"
REF = f"^{POLICY_ID}(@{VERSION})?$"
UUID = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"  # evaluation ids (uuid4, lowercase)
USCC = "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"  # as schemas/submission.schema.json
REGION = "^[0-9]{6}$"
ROUND_ID = "^[0-9]{4}[0-9A-Za-z._-]{0,11}$"
SHA256 = "^[0-9a-f]{64}$"
ROW_ID = validate.Range(min=1, max=2**63 - 1)  # a cursor is a row id: a 64-bit integer in SQLite and PostgreSQL


class StrictBoolean(fields.Boolean):
    """true or false, nothing else: marshmallow's Boolean also takes "yes", "on", 1 and "t", which the document
    (type boolean) does not allow."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Label(Schema):
    zh = fields.String()
    en = fields.String()


class PolicyStamp(Schema):
    """The policy version a response depends on."""

    id = fields.String(required=True)
    version = fields.String(required=True)
    digest = fields.String(required=True, metadata={"description": "sha256 of the canonical policy document"})


class PolicySummary(Schema):
    id = fields.String()
    title = fields.Nested(Label, allow_none=True)
    latest = fields.String(allow_none=True, metadata={"description": "the newest published version"})
    versions = fields.Integer(metadata={"description": "how many versions this token can see"})


class PolicyList(Schema):
    items = fields.List(fields.Nested(PolicySummary))


class VersionSummary(Schema):
    id = fields.String(attribute="policy_id")
    version = fields.String()
    status = fields.String(metadata={"enum": ["draft", "published"]})
    digest = fields.String()
    title = fields.Method("title_of", metadata={"type": "object"})
    origin = fields.String(metadata={"enum": ["bundled", "uploaded"]})
    created_at = fields.String()
    created_by = fields.String()
    updated_at = fields.String()
    published_at = fields.String(allow_none=True)
    published_by = fields.String(allow_none=True)

    def title_of(self, row) -> dict:
        return {"zh": row.title_zh, "en": row.title_en}


class VersionList(Schema):
    policy = fields.String()
    items = fields.List(fields.Nested(VersionSummary))


class Version(VersionSummary):
    document = fields.Raw(metadata={"type": "object", "description": "the policy as data (comments are in the YAML:"
                                                                     " ask for application/yaml)"})


class EvaluationRequest(Schema):
    policy = fields.String(required=True, validate=validate.Regexp(REF),
                           metadata={"example": "green-factory@2025.1",
                                     "description": "id@version of a published version; a bare id means its latest"})
    submission = fields.Dict(required=True, metadata={"description": "the self-report, as schemas/submission.schema.json",
                                                      **ref("Submission")})


class Evaluation(Schema):
    id = fields.String()
    created_at = fields.String()
    created_by = fields.String()
    policy = fields.Nested(PolicyStamp)
    submission = fields.Raw(metadata={"description": "the self-report as received", **ref("Submission")})
    outcome = fields.Raw(metadata={"description": "scores, decision and trace, as schemas/outcome.schema.json;"
                                                  " decimals as strings", **ref("Outcome")})


class EvaluationSummary(Schema):
    id = fields.String()
    created_at = fields.String()
    policy = fields.Nested(PolicyStamp)
    uscc = fields.String()
    region = fields.String()
    sector = fields.String()
    period = fields.String()
    score = fields.String()


class EvaluationList(Schema):
    items = fields.List(fields.Nested(EvaluationSummary))
    next = fields.String(allow_none=True, metadata={"description": "the address of the next page, if any"})


class EvaluationQuery(Schema):
    policy = fields.String(validate=validate.Regexp(REF))
    region = fields.String(validate=validate.Regexp(REGION))
    uscc = fields.String(validate=validate.Regexp(USCC))
    after = fields.Integer(validate=ROW_ID, metadata={"description": "cursor from the previous page"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))


class Replay(Schema):
    id = fields.String()
    policy = fields.Nested(PolicyStamp)
    matches = fields.Boolean(metadata={"description": "true when replaying gives the stored bytes"})
    stored_sha256 = fields.String()
    replayed_sha256 = fields.String()


class Health(Schema):
    status = fields.String()


class IssueItem(Schema):
    code = fields.String()
    message = fields.String()
    path = fields.String(metadata={"description": "JSON path in the request body, or in the policy document"})
    file = fields.String()
    line = fields.Integer()
    col = fields.Integer()


class Problem(Schema):
    """RFC 9457 problem details, with a stable code and every issue found."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    code = fields.String()
    detail = fields.String()
    instance = fields.String()
    request_id = fields.String()
    issues = fields.List(fields.Nested(IssueItem))
    issues_total = fields.Integer(metadata={"description": "an import's refusal: how many issues there are (issues"
                                            " lists the first 100)"})
