"""GET /healthz: the process answers. No token, no database: the floor the load script measures against."""
from __future__ import annotations

from flask import jsonify
from flask_smorest import Blueprint

from ..auth import public
from ..schemas import Health

blp = Blueprint("health", __name__, description="Liveness")


@blp.route("/healthz", methods=["GET"])
@blp.doc(operationId="getHealth")
@blp.doc(security=[])
@blp.response(200, Health)
@public
def healthz():
    """The service is up. Needs no token."""
    return jsonify(status="ok")
