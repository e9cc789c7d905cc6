"""Evaluation pages: the evaluations a principal may read, one evaluation with its trace, and its submission under
two policy versions.

They call what the API calls (service.evaluation.listing and .get, service.comparisons.comparison), so a page shows
nothing the API would refuse the same token, and an evaluation out of scope is the same 404. The evaluation page
reads the stored outcome and submission; nothing is evaluated again.
"""
from __future__ import annotations

import re
from urllib.parse import quote

import orjson
from flask import current_app, render_template, request, url_for
from sqlalchemy import select

from engine import SubmissionInvalid, UnknownPolicy
from engine.policy import parse_ref, version_key

from .. import comparisons, documents, evaluation
from ..auth import AUTHORITY, ENTERPRISE, POLICY_ADMIN, REVIEWER, Principal
from ..errors import BadRequest, NotFound
from ..models import Evaluation, PolicyVersion
from ..schemas import REF
from . import blp, i18n, signin, trace_view

PAGE_SIZE = 50
READERS = (ENTERPRISE, REVIEWER, AUTHORITY)
EVERYONE = (ENTERPRISE, REVIEWER, AUTHORITY, POLICY_ADMIN)  # as POST /api/v1/comparisons
FILTERS = {"policy": re.compile(REF), "region": re.compile(r"[0-9]{6}"), "uscc": re.compile(r"[0-9A-Z]{18}")}


def _services():
    return current_app.extensions["greenfactory"]


def line_href(policy_id: str, version: str, line: int) -> str:
    """The policy page's line: /policies/<id>/versions/<version>#L<line>."""
    return f"{request.script_root}/policies/{quote(policy_id)}/versions/{quote(version)}#L{int(line)}"


def policy_href(policy_id: str, version: str) -> str:
    return f"{request.script_root}/policies/{quote(policy_id)}/versions/{quote(version)}"


# -- the list -------------------------------------------------------------------------------------------

@blp.route("/evaluations")
@signin.page(*READERS)
def evaluations():
    who = signin.current()
    wanted = {}
    for name, pattern in FILTERS.items():
        value = (request.args.get(name) or "").strip()
        if value and not pattern.fullmatch(value):
            raise BadRequest(f"page.filter.{name}", f'"{value}" is not a valid {name}: correct the filter or clear it.')
        wanted[name] = value or None
    after = request.args.get("after", type=int)
    with _services().db.read() as session:
        rows = evaluation.listing(session, who, **wanted, after=after if after and after > 0 else None,
                                  limit=PAGE_SIZE)
    items = [_summary(row) for row in rows]
    following = None
    if len(rows) == PAGE_SIZE:
        following = url_for("pages.evaluations", **{k: v for k, v in wanted.items() if v}, after=rows[-1].pk)
    first = url_for("pages.evaluations", **{k: v for k, v in wanted.items() if v}) if after else None
    return render_template("evaluations.html", items=items, wanted=wanted, following=following, first=first)


def _summary(row: Evaluation) -> dict:
    submission = orjson.loads(row.submission)
    enterprise = submission.get("enterprise") if isinstance(submission, dict) else None
    decision = orjson.loads(row.outcome).get("decision") or {}
    return {"id": row.id, "created_at": row.created_at, "policy": f"{row.policy_id}@{row.policy_version}",
            "uscc": row.uscc, "name": (enterprise or {}).get("name") if isinstance(enterprise, dict) else None,
            "region": row.region, "sector": row.sector, "period": row.period, "score": row.score,
            "eligible": decision.get("eligible"), "recommended": decision.get("recommended")}


# -- one evaluation ---------------------------------------------------------------------------------------

@blp.route("/evaluations/<evaluation_id>", endpoint="evaluation")
@signin.page(*READERS)
def evaluation_page(evaluation_id: str):
    services = _services()
    with services.db.read() as session:
        row = evaluation.get(session, signin.current(), evaluation_id)  # the API's scoping: else the same 404
        version = session.get(PolicyVersion, row.policy_version_pk)
        policy = services.store.compiled(version).policy if version is not None else None
        outcome, submission = orjson.loads(row.outcome), orjson.loads(row.submission)
        view = trace_view.evaluation_view(outcome, submission, policy, i18n.lang(), line_href)
        named = sorted({d.sha256 for p in view.pillars for r in p.rows for d in r.documents})
        uploaded = documents.readable(session, signin.current(), named)  # linked when this reader may open them
    baseline, _ = evaluation.comparison(row.context)
    ref = f"{row.policy_id}@{row.policy_version}"
    other = _other(_choices(signin.current()), ref)
    compare = url_for("pages.compare", evaluation=row.id, **{"from": ref, **({"to": other} if other else {})})
    return render_template("evaluation.html", row=row, ref=ref, view=view, outcome=outcome, submission=submission,
                           enterprise=submission.get("enterprise") or {}, policy=policy, baseline=baseline,
                           compare=compare, policy_href=policy_href(row.policy_id, row.policy_version),
                           uploaded=uploaded)


# -- one submission under two versions -------------------------------------------------------------------

@blp.route("/compare")
@signin.page(*EVERYONE)
def compare():
    who = signin.current()
    services = _services()
    evaluation_id = (request.args.get("evaluation") or "").strip()
    if not evaluation_id:
        raise BadRequest("page.compare.evaluation", "Say which evaluation to compare: open the comparison from an"
                         " evaluation's page.")
    with services.db.read() as session:
        row = _stored(session, who, evaluation_id)
    own = f"{row.policy_id}@{row.policy_version}"
    choices = _choices(who)
    before = (request.args.get("from") or "").strip() or own
    after = (request.args.get("to") or "").strip() or _other(choices, before) or own
    page = {"row": row, "choices": choices, "before": before, "after": after, "result": None, "rows": [],
            "issues": ()}
    try:
        result = comparisons.comparison(services.store, who, before, after, evaluation_id=row.id)
    except UnknownPolicy as exc:
        raise (BadRequest if exc.code == "policy.ref.malformed" else NotFound)(exc.code, exc.message) from None
    except SubmissionInvalid as exc:  # the stored submission cannot be evaluated under one of the two
        page["issues"] = exc.issues
        return render_template("compare.html", **page), 422
    policies = [comparisons.version(services.store, who, ref).policy for ref in (before, after)]
    page.update(result=result, rows=trace_view.comparison_rows(result, *policies, i18n.lang(), line_href),
                policies=policies)
    return render_template("compare.html", **page)


def _stored(session, who: Principal, evaluation_id: str) -> Evaluation:
    """A stored evaluation this principal may compare: as POST /api/v1/comparisons, a policy admin any, the others
    those they may read (service.evaluation.get: the same 404 otherwise)."""
    if who.role == POLICY_ADMIN:
        row = session.execute(select(Evaluation).where(Evaluation.id == evaluation_id)).scalar_one_or_none()
        if row is not None:
            return row
    return evaluation.get(session, who, evaluation_id)


def _choices(who: Principal) -> list[dict]:
    """The versions this principal may compare under: published ones, and drafts for policy admins."""
    store, drafts = _services().store, who.role == POLICY_ADMIN
    out = []
    with store.db.read() as session:
        for policy in store.policies(session, drafts):
            for v in store.versions(session, policy["id"], drafts):
                out.append({"ref": v.ref, "id": v.policy_id, "version": v.version, "status": v.status,
                            "title": {"zh": v.title_zh, "en": v.title_en}})
    return out


def _other(choices: list[dict], ref: str) -> str | None:
    """A version to compare ref with: the latest published one of the same policy, else of another."""
    try:
        policy_id, _ = parse_ref(ref)
    except UnknownPolicy:
        return None
    published = [c for c in choices if c["status"] == "published" and c["ref"] != ref]
    same = sorted((c for c in published if c["id"] == policy_id), key=lambda c: version_key(c["version"]))
    if same:
        return same[-1]["ref"]
    return published[0]["ref"] if published else None
