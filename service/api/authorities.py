"""The authorities' view: per recommending authority and round, applicants, recommended, approved, approval rate,
mean score against the regional baseline, and the change from the round before."""
from __future__ import annotations

from flask import current_app, jsonify
from flask_smorest import Blueprint

from .. import cohort_views as views
from ..auth import AUTHORITY, POLICY_ADMIN, REVIEWER, access, principal
from ..schemas import Problem
from .cohorts import Body

blp = Blueprint("authorities", __name__, description="Authorities' view of their region over rounds")


@blp.route("/authorities/<code>/rounds", methods=["GET"])
@blp.doc(operationId="listAuthorityRounds")
@blp.response(200, Body)
@blp.alt_response(404, schema=Problem)
@access(AUTHORITY, REVIEWER, POLICY_ADMIN)
def authority_rounds(code: str):
    """One of the 37 recommending authorities (its own or one within the token's region; every one for the
    ministry's policy_admin), round by round."""
    with current_app.extensions["greenfactory"].db.read() as session:
        return jsonify(views.authority_view(session, principal(), code))
