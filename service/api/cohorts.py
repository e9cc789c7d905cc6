"""Factories and rounds: imports (CSV, XLSX or JSON; every bad row reported, none half-imported), the round run,
baseline snapshots, standings, what it would take, removal and plausibility flags, approvals, resolutions."""
from __future__ import annotations

from flask import current_app, jsonify, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from .. import cohort_views as views
from .. import cohorts
from ..auth import AUTHORITY, ENTERPRISE, POLICY_ADMIN, REVIEWER, access, principal
from ..errors import PayloadTooLarge, Unprocessable
from ..http import next_page
from ..json_schemas import ref
from ..schemas import REF, REGION, ROUND_ID, ROW_ID, USCC, UUID, Problem, StrictBoolean
from ..tables import CSV, JSON, XLSX, TableInvalid, TableTooLarge, read_rows

blp = Blueprint("cohorts", __name__, description="Factories, rounds, baselines, benchmarks and review flags")
READERS = (ENTERPRISE, REVIEWER, AUTHORITY)
EVERYONE = (ENTERPRISE, REVIEWER, AUTHORITY, POLICY_ADMIN)
ROWS = {"type": "array", "minItems": 1, "items": {"type": "object"}}


def table_body(row: dict, columns: str) -> dict:
    """A table of rows as CSV or XLSX (a header row, then one row each) or JSON ({"rows": [...]} or the list)."""
    rows = {**ROWS, "items": row}
    return {"requestBody": {"required": True, "description": f"rows as CSV or XLSX (header row: {columns}), or JSON"
                                                             ' {"rows": [...]}; at least one row',
                            "content": {CSV: {"schema": {"type": "string", "minLength": 1}},
                                        XLSX: {"schema": {"type": "string", "format": "binary"}},
                                        JSON: {"schema": {"oneOf": [
                                            {"type": "object", "required": ["rows"], "properties": {"rows": rows}},
                                            rows]}}}}}


# cells are read as text whatever their type (a CSV's are text): only text's own constraints are declared
FACTORY_ROW = {"type": "object", "description": "a factory; other columns are ignored",
               "required": ["uscc", "name", "region"],
               "properties": {"uscc": {"pattern": USCC}, "name": {"minLength": 1}, "region": {"pattern": REGION},
                              "sector": {"description": "a sector id; general when empty"},
                              **{year: {"anyOf": [{"type": "integer"}, {"type": "string"}], "nullable": True,
                                        "description": "a year, 2000 to 2100"}
                                 for year in ("provincial_year", "national_year", "removed_year")}}}
SUBMISSION_ROW = {"type": "object", "description": "the self-report in a submission column (JSON text, or the object"
                                                   " in JSON rows), or the row itself",
                  "anyOf": [{"required": ["submission"]}, ref("Submission")]}


class Body(Schema):
    """A JSON object; see the endpoint's description for its fields."""

    class Meta:
        unknown = "include"


class PageQuery(Schema):
    after = fields.Integer(validate=ROW_ID, metadata={"description": "cursor from the previous page"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class FactoryQuery(PageQuery):
    region = fields.String(validate=validate.Regexp(REGION))
    sector = fields.String()


class RoundRequest(Schema):
    id = fields.String(required=True, validate=validate.Regexp(ROUND_ID),
                       metadata={"example": "2026"})
    policy = fields.String(required=True, validate=validate.Regexp(REF), metadata={"example": "green-factory@2026.1"})


class BaselineQuery(Schema):
    authority = fields.String(validate=validate.Regexp(REGION), metadata={"description": "one recommending authority's"
                                                                                       " code: its baselines only"})


class TargetQuery(Schema):
    target = fields.String(load_default="baseline", validate=validate.OneOf(["baseline", "next_grade"]))


class ApprovalRequest(Schema):
    uscc = fields.String(required=True, validate=validate.Regexp(USCC))
    approved = StrictBoolean(required=True)


class ResolutionRequest(Schema):
    flag = fields.String(required=True, metadata={"example": "implausible_range:water_reuse_rate"})
    resolution = fields.String(required=True, validate=validate.OneOf(["confirmed", "corrected"]))
    corrected_by = fields.String(validate=validate.Regexp(UUID),
                                 metadata={"description": "the evaluation of the corrected submission (corrected)"})
    note = fields.String(load_default="")


def _services():
    return current_app.extensions["greenfactory"]


def _rows() -> list[dict]:
    """The body's rows, at most max_import_rows; called after every check that needs no body (role, round)."""
    try:
        return read_rows(request.mimetype, request.get_data(cache=True), _services().settings.max_import_rows)
    except TableTooLarge as exc:
        raise PayloadTooLarge(exc.issue.code, exc.issue.message, [exc.issue], extra={"issues_total": 1}) from None
    except TableInvalid as exc:
        raise Unprocessable(exc.issue.code, exc.issue.message, [exc.issue], extra={"issues_total": 1}) from None


@blp.route("/factories", methods=["POST"])
@blp.doc(operationId="importFactories")
@blp.doc(**table_body(FACTORY_ROW, "uscc, name, region, sector, provincial_year, national_year, removed_year"))
@blp.response(200, Body)
@blp.alt_response(413, schema=Problem, description="More rows than one import takes (max_import_rows)")
@blp.alt_response(422, schema=Problem, description="The first 100 bad rows' issues and issues_total; nothing was imported")
@access(AUTHORITY, POLICY_ADMIN)
def import_factories():
    """Add or update factories by USCC: uscc, name, region, sector, provincial_year, national_year, removed_year.
    Authorities import their region's only."""
    return jsonify(cohorts.import_factories(_services().store, principal(), _rows()))


@blp.route("/factories", methods=["GET"])
@blp.doc(operationId="listFactories")
@blp.arguments(FactoryQuery, location="query")
@blp.response(200, Body)
@access(*READERS)
def list_factories(query: dict):
    """Factories this token may read (an enterprise its own, reviewers and authorities their region's), with level."""
    with _services().db.read() as session:
        rows = views.list_factories(session, principal(), region=query.get("region"), sector=query.get("sector"),
                                    after=query.get("after"), limit=query["limit"])
    following = rows[-1].pk if len(rows) == query["limit"] else None
    return jsonify({"items": [views.factory_dict(f) for f in rows], "next": next_page(following)})


@blp.route("/factories/<uscc>", methods=["GET"])
@blp.doc(operationId="getFactory")
@blp.response(200, Body)
@blp.alt_response(404, schema=Problem)
@access(*READERS)
def get_factory(uscc: str):
    """A factory, its listing history and its entry in every round."""
    with _services().db.read() as session:
        return jsonify(views.factory_history(session, principal(), uscc))


@blp.route("/rounds", methods=["POST"])
@blp.doc(operationId="createRound")
@blp.arguments(RoundRequest)
@blp.response(201, Body)
@blp.alt_response(409, schema=Problem)
@access(POLICY_ADMIN)
def create_round(args: dict):
    """Open a round under a published policy version."""
    row = cohorts.create_round(_services().store, principal(), args["id"], args["policy"])
    response = jsonify(views.round_dict(row, 0))
    response.status_code = 201
    return response


@blp.route("/rounds", methods=["GET"])
@blp.doc(operationId="listRounds")
@blp.response(200, Body)
@access(*EVERYONE)
def list_rounds():
    """Every round, its policy version, status and snapshot."""
    with _services().db.read() as session:
        return jsonify({"items": views.rounds(session)})


@blp.route("/rounds/<round_id>/submissions", methods=["POST"])
@blp.doc(operationId="importRoundSubmissions")
@blp.doc(**table_body(SUBMISSION_ROW, "submission"))
@blp.response(200, Body)
@blp.alt_response(413, schema=Problem, description="More rows than one import takes (max_import_rows)")
@blp.alt_response(422, schema=Problem, description="The first 100 bad rows' issues and issues_total; nothing was imported")
@access(ENTERPRISE, AUTHORITY, POLICY_ADMIN)
def import_submissions(round_id: str):
    """Submissions for an open round, one per row (a `submission` column or field holding the self-report JSON).
    An enterprise submits its own; an authority its region's."""
    store = _services().store
    cohorts.open_round(store, round_id)  # an unknown or closed round is refused before the body is read
    return jsonify(cohorts.import_submissions(store, principal(), round_id, _rows()))


@blp.route("/rounds/<round_id>/run", methods=["POST"])
@blp.doc(operationId="runRound")
@blp.response(200, Body)
@blp.alt_response(409, schema=Problem)
@access(POLICY_ADMIN)
def run_round(round_id: str):
    """Evaluate the round: existing factories re-benchmarked and applicants evaluated in parallel, one snapshot."""
    return jsonify(cohorts.run(_services().store, principal(), round_id))


@blp.route("/rounds/<round_id>/baselines", methods=["GET"])
@blp.doc(operationId="getRoundBaselines")
@blp.arguments(BaselineQuery, location="query")
@blp.response(200, Body)
@access(*EVERYONE)
def round_baselines(query: dict, round_id: str):
    """The round's dated snapshot: per region (and sector) the existing national green factories' count and mean."""
    with _services().db.read() as session:
        return jsonify(views.baselines(session, round_id, query.get("authority")))


@blp.route("/rounds/<round_id>/factories/<uscc>/benchmark", methods=["GET"])
@blp.doc(operationId="getBenchmark")
@blp.response(200, Body)
@blp.alt_response(404, schema=Problem)
@access(*READERS)
def benchmark(round_id: str, uscc: str):
    """Percentile, rank and grade within the sector, the leaders (top 5 %), per rule the gap to leaders and median,
    and the sector's distribution: how many peers have each score and each rule's points."""
    with _services().db.read() as session:
        return jsonify(views.benchmark(session, principal(), round_id, uscc))


@blp.route("/rounds/<round_id>/factories/<uscc>/what-it-takes", methods=["GET"])
@blp.doc(operationId="getWhatItTakes")
@blp.arguments(TargetQuery, location="query")
@blp.response(200, Body)
@blp.alt_response(404, schema=Problem)
@access(*READERS)
def what_it_takes(query: dict, round_id: str, uscc: str):
    """Per rule alone, the smallest change of its value that reaches the regional baseline or the next grade."""
    services = _services()
    with services.db.read() as session:
        return jsonify(views.what_it_would_take(services.store, session, principal(), round_id, uscc, query["target"]))


@blp.route("/rounds/<round_id>/removals", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.doc(operationId="listRemovals")
@blp.response(200, Body)
@access(REVIEWER, AUTHORITY)
def removals(query: dict, round_id: str):
    """Existing factories flagged for removal: a failed gate, or the bottom 5 % three rounds in a row. Paged: follow
    `next`."""
    return _entries_page(query, round_id, removals=True)


@blp.route("/rounds/<round_id>/flags", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.doc(operationId="listFlags")
@blp.response(200, Body)
@access(REVIEWER, AUTHORITY)
def flags(query: dict, round_id: str):
    """Entries with plausibility flags for review, and their resolutions so far. Paged: follow `next`."""
    return _entries_page(query, round_id, flags=True)


def _entries_page(query: dict, round_id: str, **which):
    with _services().db.read() as session:
        page = views.entries(session, principal(), round_id, after=query.get("after"), limit=query["limit"], **which)
    following = page.pop("after")
    return jsonify({**page, "next": next_page(following, round_id=round_id)})


@blp.route("/rounds/<round_id>/approvals", methods=["POST"])
@blp.doc(operationId="recordApproval")
@blp.arguments(ApprovalRequest)
@blp.response(201, Body)
@blp.alt_response(409, schema=Problem)
@access(AUTHORITY)
def record_approval(args: dict, round_id: str):
    """Record the decision on a recommended applicant of the authority's region; approval lists it nationally."""
    response = jsonify(cohorts.record_approval(_services().store, principal(), round_id, args["uscc"], args["approved"]))
    response.status_code = 201
    return response


@blp.route("/evaluations/<evaluation_id>/resolutions", methods=["POST"])
@blp.doc(operationId="resolveFlag")
@blp.arguments(ResolutionRequest)
@blp.response(201, Body)
@blp.alt_response(404, schema=Problem)
@access(REVIEWER)
def resolve(args: dict, evaluation_id: str):
    """Resolve a plausibility flag: confirmed, or corrected by a new submission's evaluation; in the audit log."""
    response = jsonify(cohorts.resolve_flag(_services().store, principal(), evaluation_id, args["flag"],
                                            args["resolution"], args.get("corrected_by"), args["note"]))
    response.status_code = 201
    return response
