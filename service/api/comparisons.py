"""Before publishing: the diff of two policy versions, one submission under both, a population under both."""
from __future__ import annotations

from flask import current_app, jsonify
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from .. import comparisons
from ..auth import AUTHORITY, ENTERPRISE, POLICY_ADMIN, REVIEWER, access, principal
from ..http import body
from ..json_schemas import ref
from ..schemas import REF, UUID, Problem

blp = Blueprint("comparisons", __name__, description="Policy changes: diffs, comparisons, impact")
EVERYONE = (ENTERPRISE, REVIEWER, AUTHORITY, POLICY_ADMIN)
_REF = {"validate": validate.Regexp(REF), "metadata": {"example": "green-factory@2026.1",
                                                       "description": "id@version; a bare id means its latest"}}


class Loose(Schema):
    """A JSON object; the endpoint's description and the examples say what it holds."""

    class Meta:
        unknown = "include"


class DiffQuery(Schema):
    before = fields.String(required=True, data_key="from", **_REF)
    after = fields.String(required=True, data_key="to", **_REF)


class Change(Schema):
    kind = fields.String(metadata={"enum": ["added", "removed", "changed", "renamed"]})
    category = fields.String(metadata={"description": "indicator, threshold, points, direction, gate, bonus, ..."})
    key = fields.String(metadata={"description": "where, by ids: indicators/energy_intensity/metrics/.../leading"})
    old = fields.Raw(allow_none=True)
    new = fields.Raw(allow_none=True)
    from_ = fields.Dict(data_key="from", allow_none=True, metadata={"description": "file and line in version A"})
    to = fields.Dict(allow_none=True, metadata={"description": "file and line in version B"})


class Stamp(Schema):
    policy = fields.String()
    digest = fields.String()


class PolicyDiff(Schema):
    from_ = fields.Nested(Stamp, data_key="from")
    to = fields.Nested(Stamp)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    changes = fields.List(fields.Nested(Change))


class ComparisonRequest(Schema):
    before = fields.String(required=True, data_key="from", **_REF)
    after = fields.String(required=True, data_key="to", **_REF)
    submission = fields.Dict(metadata={"description": "a self-report (schemas/submission.schema.json); or:",
                                       **ref("Submission")})
    evaluation = fields.String(validate=validate.Regexp(UUID),
                               metadata={"description": "the id of a stored evaluation, whose submission is compared"})

    class Meta:
        openapi = {"oneOf": [{"required": ["submission"]}, {"required": ["evaluation"]}]}  # comparisons.comparison's


class Comparison(Loose):
    """Both outcomes (scores, decisions), per rule the points under each version, the delta and both reasons, the
    gate changes, the decision flips, and the keys of the submission a version does not read."""


class ImpactFilter(Schema):
    region = fields.String(validate=validate.Regexp(r"^[0-9]{6}$"),
                           metadata={"description": "a region code; 320000 covers 3205xx. Reviewers and authorities:"
                                                    " within theirs (the default)"})
    sector = fields.String()
    period = fields.String(validate=validate.Regexp(r"^[0-9]{4}$"))
    policy = fields.String(validate=validate.Regexp(REF), metadata={"description": "evaluated under this version"})


class ImpactRequest(Schema):
    before = fields.String(required=True, data_key="from", **_REF)
    after = fields.String(required=True, data_key="to", **_REF)
    filter = fields.Nested(ImpactFilter, metadata={"description": "which stored submissions (the latest of each"
                                                                  " enterprise and period); the default"})
    submissions = fields.List(fields.Dict(), validate=validate.Length(max=comparisons.INLINE_LIMIT),
                              metadata={"description": "or: the submissions themselves; one that does not validate is"
                                                       " counted under population.refused with its issues, not refused"})
    movers = fields.Integer(strict=True, load_default=20, validate=validate.Range(min=0, max=200))
    grade_by = fields.String(load_default="sector", validate=validate.OneOf(["sector", "all"]),
                             metadata={"description": "rank for grades among a sector's rows (as rounds do) or all"})


class Impact(Loose):
    """population (rows, compared, refused with issues), score_delta (up, down, unchanged, mean, quantiles,
    histogram), flips (eligible, recommended), grades, rules, by_sector, by_authority, movers (each with the
    comparison request that explains it)."""


def _store():
    return current_app.extensions["greenfactory"].store


@blp.route("/policies/diff", methods=["GET"])
@blp.doc(operationId="getPolicyDiff")
@blp.arguments(DiffQuery, location="query")
@blp.response(200, PolicyDiff)
@blp.alt_response(404, schema=Problem, description="No such version this token may read")
@access(*EVERYONE)
def policy_diff(query: dict):
    """What changed between two versions, by id (thresholds by sector, product and tier), each change located by
    file and line in both. Drafts only for policy admins."""
    return jsonify(comparisons.diff(_store(), principal(), query["before"], query["after"]))


@blp.route("/comparisons", methods=["POST"])
@blp.doc(operationId="createComparison")
@blp.arguments(ComparisonRequest)
@blp.response(200, Comparison)
@blp.alt_response(403, schema=Problem, description="The submission is not the token's enterprise's or region's")
@blp.alt_response(404, schema=Problem)
@blp.alt_response(422, schema=Problem, description="The submission cannot be evaluated under a version: every issue")
@access(*EVERYONE)
@body("json")
def create_comparison(args: dict):
    """One submission (inline, or a stored evaluation's) under two versions: per rule the points under each, the
    delta and both traces' reasons side by side, the total's delta, gate changes, decision flips. Nothing is
    stored."""
    return jsonify(comparisons.comparison(_store(), principal(), args["before"], args["after"], args.get("submission"),
                                          args.get("evaluation")))


@blp.route("/impact", methods=["POST"])
@blp.doc(operationId="createImpact")
@blp.arguments(ImpactRequest)
@blp.response(200, Impact)
@blp.alt_response(403, schema=Problem, description="Outside the token's region, or an enterprise token")
@blp.alt_response(404, schema=Problem)
@blp.alt_response(422, schema=Problem)
@access(REVIEWER, AUTHORITY, POLICY_ADMIN)
@body("json")
def create_impact(args: dict):
    """A population under two versions: stored submissions (the filter; reviewers and authorities within their
    region) or inline ones. Pass/fail and grade flips, score delta quantiles and histogram, rules, sectors and
    authorities most affected, and the biggest movers, each with the comparison request that explains it."""
    return jsonify(comparisons.impact(_store(), principal(), {**args, "from": args["before"], "to": args["after"]}))
