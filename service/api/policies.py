"""Policy versions: list, read (JSON or the YAML as written), upload drafts, replace, delete, publish."""
from __future__ import annotations

from flask import Response, current_app, jsonify, request, url_for
from flask_smorest import Blueprint

from engine.policy import jsonable

from ..auth import AUTHORITY, ENTERPRISE, POLICY_ADMIN, REVIEWER, access, principal
from ..http import YAML, body, conditional, stamp, wants_yaml
from ..models import PolicyVersion
from ..schemas import PolicyList, Problem, Version, VersionList, VersionSummary

blp = Blueprint("policies", __name__, description="Policy versions")
EVERYONE = (ENTERPRISE, REVIEWER, AUTHORITY, POLICY_ADMIN)


def _services():
    return current_app.extensions["greenfactory"]


def _drafts() -> bool:
    return principal().role == POLICY_ADMIN


def _summary(row: PolicyVersion, status: int = 200) -> Response:
    response = jsonify(VersionSummary().dump(row))
    response.status_code = status
    return stamp(response, row)


@blp.route("/policies", methods=["GET"])
@blp.doc(operationId="listPolicies")
@blp.response(200, PolicyList)
@access(*EVERYONE)
def list_policies():
    """The policies, each with its newest published version. Drafts count only for policy admins."""
    services = _services()
    with services.db.read() as session:
        return {"items": services.store.policies(session, _drafts())}


@blp.route("/policies/<policy_id>/versions", methods=["GET"])
@blp.doc(operationId="listPolicyVersions")
@blp.response(200, VersionList)
@blp.alt_response(404, schema=Problem)
@access(*EVERYONE)
def list_versions(policy_id: str):
    """The versions of a policy, oldest first. Drafts are listed only for policy admins."""
    services = _services()
    with services.db.read() as session:
        rows = services.store.versions(session, policy_id, _drafts())
    return {"policy": policy_id, "items": rows}


@blp.route("/policies/<policy_id>/versions/<version>", methods=["GET"])
@blp.doc(operationId="getPolicyVersion")
@blp.response(200, Version, headers={"ETag": {"schema": {"type": "string"}}})
@blp.alt_response(304, description="Not modified (If-None-Match)")
@blp.alt_response(404, schema=Problem)
@blp.alt_response(406, schema=Problem)
@access(*EVERYONE)
def get_version(policy_id: str, version: str):
    """One version: JSON by default, or the YAML as written (comments included) for Accept: application/yaml.
    Conditional with ETag and If-None-Match. Drafts are readable only by policy admins."""
    services = _services()
    yaml = wants_yaml()
    with services.db.read() as session:
        row = services.store.version(session, policy_id, version, _drafts())
    if yaml:
        response = Response(row.text, mimetype=YAML)
    else:
        response = jsonify({**VersionSummary().dump(row), "document": jsonable(services.store.compiled(row).policy.data)})
    return conditional(stamp(response, row))


@blp.route("/policies/<policy_id>/versions", methods=["POST"])
@blp.doc(operationId="createPolicyVersion")
@blp.doc(requestBody={"required": True, "content": {YAML: {"schema": {"type": "string"}}}})
@blp.response(201, VersionSummary)
@blp.alt_response(409, schema=Problem)
@blp.alt_response(415, schema=Problem)
@blp.alt_response(422, schema=Problem, description="The YAML does not validate: every issue with its line and column")
@access(POLICY_ADMIN)
@body("yaml")
def create_version(policy_id: str):
    """Upload a new version as a draft: the YAML's id must be the path's, its status draft."""
    row = _services().store.create_draft(principal(), policy_id, request.get_data(cache=True))
    response = _summary(row, 201)
    response.headers["Location"] = url_for("policies.get_version", policy_id=row.policy_id, version=row.version)
    return response


@blp.route("/policies/<policy_id>/versions/<version>", methods=["PUT"])
@blp.doc(operationId="replacePolicyVersion")
@blp.doc(requestBody={"required": True, "content": {YAML: {"schema": {"type": "string"}}}})
@blp.response(200, VersionSummary)
@blp.alt_response(409, schema=Problem, description="The version is published: it never changes")
@blp.alt_response(422, schema=Problem)
@access(POLICY_ADMIN)
@body("yaml")
def replace_version(policy_id: str, version: str):
    """Replace a draft's YAML. A published version is never replaced (409)."""
    row = _services().store.replace_draft(principal(), policy_id, version, request.get_data(cache=True))
    return _summary(row)


@blp.route("/policies/<policy_id>/versions/<version>", methods=["DELETE"])
@blp.doc(operationId="deletePolicyVersion")
@blp.response(204)
@blp.alt_response(409, schema=Problem, description="The version is published: it never changes")
@access(POLICY_ADMIN)
def delete_version(policy_id: str, version: str):
    """Delete a draft. A published version is never deleted (409)."""
    _services().store.delete_draft(principal(), policy_id, version)
    return Response(status=204)


@blp.route("/policies/<policy_id>/versions/<version>/publish", methods=["POST"])
@blp.doc(operationId="publishPolicyVersion")
@blp.response(200, VersionSummary)
@blp.alt_response(409, schema=Problem, description="Already published, or changed while publishing")
@access(POLICY_ADMIN)
def publish_version(policy_id: str, version: str):
    """Publish a draft: from now on it never changes, and enterprises can be evaluated under it."""
    return _summary(_services().store.publish(principal(), policy_id, version))
