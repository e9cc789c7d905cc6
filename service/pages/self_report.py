"""The self-report page: an enterprise fills in a submission for a period under a published policy version, attaches
supporting documents per indicator, and on submit gets the evaluation page with its score and trace.

The form's fields come from the policy (self_report_form); the page's script checks each field as it is entered
and uploads each document as soon as it is picked (POST /self-report/documents, the same documents.check and
documents.store as POST /api/v1/documents). Without the script the documents travel with the form. On submit the
server checks everything again with the intake (through service.evaluation.create, as POST /api/v1/evaluations)
and shows each issue next to its field.
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache

from flask import current_app, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from engine import SubmissionInvalid, UnknownPolicy, parse_submission
from engine.policy import parse_ref, version_key

from .. import documents, evaluation
from ..api.documents import document_response, dump
from ..auth import AUTHORITY, ENTERPRISE, REVIEWER, Principal
from ..cohort_models import Factory
from ..errors import ApiError, BadRequest, NotFound, Unprocessable, problem
from ..http import upload
from ..models import PolicyVersion
from ..policy_store import PUBLISHED
from . import blp, i18n, signin
from .self_report_form import Form, build, build_form, field_of, script_rules
from .signin import page

DEFAULT_POLICY = "green-factory"


def _services():
    return current_app.extensions["greenfactory"]


@lru_cache(maxsize=16)
def form_for(policy) -> Form:
    return build_form(policy)


def published_refs() -> list[str]:
    with _services().db.read() as session:
        rows = session.execute(select(PolicyVersion.policy_id, PolicyVersion.version)
                               .where(PolicyVersion.status == PUBLISHED)).all()
    return [f"{p}@{v}" for p, v in sorted(rows, key=lambda r: (r[0], version_key(r[1])))]


def chosen_policy(refs: list[str]):
    """The published version asked for (?policy=id@version), else the newest of the general policy."""
    ref = request.values.get("policy") or next((r for r in reversed(refs) if r.startswith(DEFAULT_POLICY + "@")),
                                               refs[-1] if refs else DEFAULT_POLICY)
    try:
        parse_ref(ref)
        version, cp = _services().store.published(ref)
    except UnknownPolicy as exc:
        raise (BadRequest if exc.code == "policy.ref.malformed" else NotFound)(exc.code, exc.message) from None
    return version, cp


def prefill(who: Principal, form: Form, policy) -> dict[str, str]:
    """What is known of the token's enterprise: its code, and its registered factory's name, region and sector."""
    values = {"period": str(datetime.now(timezone.utc).year - 1), "enterprise.uscc": who.enterprise or ""}
    with _services().db.read() as session:
        factory = session.execute(select(Factory).where(Factory.uscc == who.enterprise)).scalar_one_or_none()
    if factory is not None:
        values.update({"enterprise.name": factory.name, "enterprise.region": factory.region,
                       "enterprise.sector": factory.sector})
        sector = policy.sector(factory.sector)
        if sector is not None and sector.codes:
            values["enterprise.industry_code"] = sector.codes[0]
    return values


def attached(who: Principal, form: Form, region: str | None) -> tuple[dict, dict, dict]:
    """The documents filed under each file field: those uploaded before (hidden fields carry their hashes) and the
    files sent with this form, stored now. Returns evidence entries, what to show as attached, and refusals."""
    evidence: dict[str, list[dict]] = {}
    shown: dict[str, list[dict]] = {}
    issues: dict[str, list[dict]] = {}
    settings, db = _services().settings, _services().db
    for f in (f for f in form.fields() if f.kind == "file"):
        hashes = [h for h in request.form.getlist(f.name) if h.strip()]
        with db.read() as session:
            known = documents.uploads_of(session, who, hashes)
        for h in hashes:
            if h not in known:
                issues.setdefault(f.name, []).append({"code": "document.unknown", "message": i18n.tr(
                    "找不到此前上传的文件，请重新上传。", "A document uploaded before is not found: attach it again.")})
        uploads = [known[h] for h in dict.fromkeys(hashes) if h in known]
        for storage in request.files.getlist(f.name):
            if not storage.filename:
                continue
            try:
                checked = documents.check(storage.filename, storage.mimetype,
                                          storage.stream.read(settings.max_document_bytes + 1), None,
                                          settings.max_document_bytes)
                uploads.append(documents.store(db, who, checked, region)[0])
            except ApiError as exc:
                issues.setdefault(f.name, []).append({"code": exc.code, "message": exc.message})
        uploads = list({u.sha256: u for u in uploads}.values())
        evidence[f.name] = [documents.evidence_entry(u) for u in uploads]
        shown[f.name] = [{"sha256": u.sha256, "name": u.name} for u in uploads]
    return evidence, shown, issues


def _issue(code: str, message: str) -> dict:
    return {"code": code, "message": message}


@blp.route("/self-report", methods=["GET", "POST"])
@upload(lambda settings: settings.max_body_bytes + settings.max_document_bytes)  # the form may carry its documents
@page(ENTERPRISE)
def self_report():
    who = signin.current()
    refs = published_refs()
    version, cp = chosen_policy(refs)
    form = form_for(cp.policy)
    status, issues, general, shown = 200, {}, [], {}
    if request.method == "GET":
        values = prefill(who, form, cp.policy)
    else:
        values = {k: v for k, v in request.form.items() if k != "csrf_token"}
        region = values.get("enterprise.region") or None
        evidence, shown, issues = attached(who, form, region)
        built = build(form, values, evidence)
        for name in built.missing:
            issues.setdefault(name, []).append(_issue("page.field.required", i18n.tr("此项必填。",
                                                                                      "This field is required.")))
        if values.get("enterprise.uscc", "").strip() not in ("", who.enterprise):
            issues.setdefault("enterprise.uscc", []).append(_issue("auth.enterprise.mismatch", i18n.tr(
                "只能为本企业填报：统一社会信用代码须为登录令牌所属企业的代码。",
                "You report for your own enterprise only: the USCC must be your token's.")))
            status = 403
        if not issues:
            try:
                row = evaluation.create(_services().store, who, version.ref, built.raw)
            except (SubmissionInvalid, Unprocessable) as exc:  # e.g. a region other than the registered one
                _place(exc.issues, built, issues, general)
            else:
                return redirect(url_for("pages.evaluation", evaluation_id=row.id), 303)
        else:  # the intake's issues too, so that one submit shows everything
            try:
                parse_submission(cp.policy, built.raw)
            except SubmissionInvalid as exc:
                _place(exc.issues, built, issues, general, skip_required=bool(built.missing))
        status = status if status != 200 else 422
    rules = script_rules(form, i18n.lang(), _services().settings.max_document_bytes, documents.EXTENSIONS)
    return render_template("self_report.html", form=form, refs=refs, ref=version.ref, values=values, issues=issues,
                           general=general, shown=shown, rules=rules, allowed=documents.allowed_types(),
                           max_mib=_services().settings.max_document_bytes / (1024 * 1024)), status


def _place(found, built, issues: dict, general: list, skip_required: bool = False) -> None:
    """Each intake issue next to the field its JSON path leads to; those of no field above the form."""
    for issue in found:
        path = issue.json_path().replace("$.submission", "$", 1) if issue.path[:1] == ("submission",) else \
            issue.json_path()
        if skip_required and issue.code.endswith("schema.required"):
            continue  # an empty required field is already marked at the field itself
        name = field_of(path, built.field_at)
        item = {"code": issue.code, "message": issue.message, "path": path}
        if name is None:
            general.append(item)
        elif item not in issues.setdefault(name, []):
            issues[name].append(item)


@blp.route("/self-report/documents", methods=["POST"])
@upload(lambda settings: settings.max_document_bytes)
@page(ENTERPRISE)
def self_report_document():
    """One document, uploaded by the page's script as soon as it is picked: JSON as the API answers."""
    settings, who = _services().settings, signin.current()
    storage = request.files.get("file")
    try:
        if storage is None:
            raise Unprocessable("document.file.missing", "Send the document as the form's file part.")
        checked = documents.check(storage.filename, storage.mimetype,
                                  storage.stream.read(settings.max_document_bytes + 1), request.form.get("sha256"),
                                  settings.max_document_bytes)
        upload, created = documents.store(_services().db, who, checked, request.form.get("region") or None)
    except ApiError as exc:
        return problem(exc.status, exc.code, exc.message, exc.issues)
    return jsonify(dump(upload, checked.size, checked.media_type)), 201 if created else 200


@blp.route("/documents/<sha256>")
@page(ENTERPRISE, REVIEWER, AUTHORITY)
def document(sha256: str):
    """A supporting document for the signed-in: the same scope as GET /api/v1/documents/<sha256>."""
    with _services().db.read() as session:
        upload, content = documents.read(session, signin.current(), sha256)
    return document_response(upload.name, content.media_type, content.content, content.sha256)
