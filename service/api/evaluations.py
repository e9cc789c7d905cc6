"""Evaluations: submit a self-report under a published policy version; read, list and replay stored ones."""
from __future__ import annotations

import hashlib
import json

from flask import Response, current_app, jsonify, url_for
from flask_smorest import Blueprint

from .. import evaluation
from ..auth import AUTHORITY, ENTERPRISE, REVIEWER, access, principal
from ..http import BodyParser, body, next_page
from ..models import Evaluation as Row
from ..schemas import Evaluation, EvaluationList, EvaluationQuery, EvaluationRequest, Problem, Replay

blp = Blueprint("evaluations", __name__, description="Evaluations")
blp.ARGUMENTS_PARSER = BodyParser()  # the body is parsed once, by service.http's check
READERS = (ENTERPRISE, REVIEWER, AUTHORITY)


def _services():
    return current_app.extensions["greenfactory"]


def _policy(row: Row) -> dict:
    return {"id": row.policy_id, "version": row.policy_version, "digest": row.policy_digest}


def _stamped(response: Response, row: Row, status: int = 200) -> Response:
    response.status_code = status
    response.headers["X-Policy-Id"] = row.policy_id
    response.headers["X-Policy-Version"] = row.policy_version
    response.headers["X-Policy-Digest"] = row.policy_digest
    return response


def _evaluation(row: Row, status: int = 200) -> Response:
    """The stored submission and outcome bytes spliced into the envelope: already JSON, so not parsed and
    serialised again (an outcome with its trace is some 40 kB)."""
    head = json.dumps({"id": row.id, "created_at": row.created_at, "created_by": row.created_by,
                       "policy": _policy(row)}, ensure_ascii=False).encode("utf-8")
    body = b"".join((head[:-1], b',"submission":', row.submission, b',"outcome":', row.outcome, b"}"))
    return _stamped(Response(body, mimetype="application/json"), row, status)


@blp.route("/evaluations", methods=["POST"])
@blp.doc(operationId="createEvaluation")
@blp.arguments(EvaluationRequest)
@blp.response(201, Evaluation)
@blp.alt_response(403, schema=Problem, description="The submission is not for the token's enterprise")
@blp.alt_response(404, schema=Problem, description="No such published policy version")
@blp.alt_response(413, schema=Problem)
@blp.alt_response(415, schema=Problem)
@blp.alt_response(422, schema=Problem, description="The submission cannot be evaluated: every issue with its path")
@access(ENTERPRISE)
@body("json")
def create_evaluation(args: dict):
    """Evaluate a submission under a published policy version; store the submission, the outcome and its trace."""
    row = evaluation.create(_services().store, principal(), args["policy"], args["submission"])
    response = _evaluation(row, 201)
    response.headers["Location"] = url_for("evaluations.get_evaluation", evaluation_id=row.id)
    return response


@blp.route("/evaluations", methods=["GET"])
@blp.doc(operationId="listEvaluations")
@blp.arguments(EvaluationQuery, location="query")
@blp.response(200, EvaluationList)
@access(*READERS)
def list_evaluations(query: dict):
    """Evaluations this token may read, newest first: an enterprise its own, reviewers and authorities their
    region's. Filter by policy (id or id@version), region (a prefix code: 320000 covers 3205xx) and uscc."""
    services = _services()
    with services.db.read() as session:
        rows = evaluation.listing(session, principal(), policy=query.get("policy"), region=query.get("region"),
                                  uscc=query.get("uscc"), after=query.get("after"), limit=query["limit"])
    items = [_summary(r) for r in rows]  # dumped as EvaluationSummary by @blp.response(EvaluationList)
    return {"items": items, "next": next_page(rows[-1].pk if len(rows) == query["limit"] else None)}


def _summary(row: Row) -> dict:
    return {"id": row.id, "created_at": row.created_at, "policy": _policy(row), "uscc": row.uscc, "region": row.region,
            "sector": row.sector, "period": row.period, "score": row.score}


@blp.route("/evaluations/<evaluation_id>", methods=["GET"])
@blp.doc(operationId="getEvaluation")
@blp.response(200, Evaluation)
@blp.alt_response(404, schema=Problem)
@access(*READERS)
def get_evaluation(evaluation_id: str):
    """A stored evaluation: the submission as received and the outcome with its trace, as stored."""
    services = _services()
    with services.db.read() as session:
        row = evaluation.get(session, principal(), evaluation_id)
    return _evaluation(row)


@blp.route("/evaluations/<evaluation_id>/replay", methods=["GET"])
@blp.doc(operationId="replayEvaluation")
@blp.response(200, Replay)
@blp.alt_response(404, schema=Problem)
@access(REVIEWER, AUTHORITY)
def replay_evaluation(evaluation_id: str):
    """Evaluate the stored submission again under the stored policy version and compare the bytes."""
    services = _services()
    with services.db.read() as session:
        row = evaluation.get(session, principal(), evaluation_id)
        again = evaluation.replay(services.store, session, row)
    return _stamped(jsonify({"id": row.id, "policy": _policy(row), "matches": again == row.outcome,
                             "stored_sha256": hashlib.sha256(row.outcome).hexdigest(),
                             "replayed_sha256": hashlib.sha256(again).hexdigest()}), row)
