"""Editing policy drafts in the browser, for policy admins: the YAML in a textarea, Validate (every issue at its line,
nothing stored), Save draft (PolicyStore.replace_draft), Impact against the newest published version over the
stored submissions (service.comparisons.impact, as POST /api/v1/impact), Publish (PolicyStore.publish); and a new
draft from any version under a version number the admin types (PolicyStore.create_draft).

Every write goes through the store, in one transaction with its audit entry, exactly as through the API.
"""
from __future__ import annotations

from decimal import Decimal

from flask import flash, get_flashed_messages, redirect, render_template, request, url_for

from engine import Issue, PolicyInvalid, UnknownPolicy
from engine.policy import set_scalar

from .. import comparisons
from ..auth import POLICY_ADMIN
from ..errors import BadRequest, Conflict, NotFound
from ..models import PolicyVersion
from ..policy_store import DRAFT, PUBLISHED, check_draft
from . import blp, i18n, signin
from .policies import next_version, numbered_lines, refs_checked, render_version, short, store

ACTIONS = ("validate", "save", "impact", "publish")
MOVERS = 20
HISTOGRAM = {"width": 640, "height": 150, "top": 10, "bottom": 24}  # the score-delta chart's frame, in px


def editable_text(form_text: str | None) -> str:
    """The textarea's text as the YAML the admin sees: browsers send its line breaks as \\r\\n."""
    return (form_text or "").replace("\r\n", "\n")


def draft_issues(row: PolicyVersion, text: str) -> tuple[Issue, ...]:
    """What Save draft would refuse, found without storing anything."""
    try:
        check_draft(row.policy_id, row.version, text.encode("utf-8"))
    except PolicyInvalid as exc:
        return exc.issues
    return ()


def newest_published(policy_id: str) -> PolicyVersion | None:
    with store().db.read() as session:
        try:
            return store().versions(session, policy_id, drafts=False)[-1]
        except NotFound:
            return None


def render_editor(row: PolicyVersion, text: str, status: int = 200, *, issues=None, impact=None, message=None,
                  base: PolicyVersion | None = None):
    lines = numbered_lines(text)
    bad = {i.location.line for i in issues or () if i.location}
    view = impact_view(impact, store().compiled(row).policy) if impact else None
    return render_template(
        "policy_edit.html", row=row, text=text, lines=lines, bad_lines=bad, issues=issues, impact=view, base=base,
        message=message, unsaved=text != row.text, notices=get_flashed_messages(), short=short, read_only=False,
        issue_href=lambda issue: f"#L{issue.location.line}"), status


@blp.route("/policies/<policy_id>/versions/<version>/edit", methods=["GET", "POST"])
@signin.page(POLICY_ADMIN)
def policy_edit(policy_id: str, version: str):
    with refs_checked(), store().db.read() as session:
        row = store().version(session, policy_id, version, drafts=True)
    if row.status == PUBLISHED:
        refused = request.method == "POST"  # a published version never changes, whichever button was pressed
        with store().db.read() as session:
            taken = {r.version for r in store().versions(session, policy_id, drafts=True)}
        return render_template("policy_edit.html", row=row, read_only=True, refused=refused, short=short,
                               notices=get_flashed_messages(), suggested_version=next_version(version, taken)), \
            409 if refused else 200
    if request.method == "GET":
        return render_editor(row, row.text)
    action, text = request.form.get("action"), editable_text(request.form.get("yaml"))
    if action not in ACTIONS:
        raise BadRequest("page.action.unknown", f"Press one of the buttons ({', '.join(ACTIONS)}).")
    if action == "validate":
        issues = draft_issues(row, text)
        return render_editor(row, text, 422 if issues else 200, issues=issues)
    if action == "save":
        try:
            store().replace_draft(signin.current(), policy_id, version, text.encode("utf-8"))
        except PolicyInvalid as exc:
            return render_editor(row, text, 422, issues=exc.issues)
        flash(i18n.tr("草稿已保存。", "The draft is saved."))
        return redirect(url_for("pages.policy_edit", policy_id=policy_id, version=version))
    if action == "impact":
        return impact_of(row, text)
    if text != row.text:  # publish what was saved and seen, not an older save under newer edits
        return render_editor(row, text, 409, message=i18n.tr(
            "文本有未保存的修改：请先保存草稿，再发布。", "The text has unsaved changes: save the draft first, then publish."))
    store().publish(signin.current(), policy_id, version)
    flash(i18n.tr(f"{row.ref} 已发布，今后不再改变。", f"{row.ref} is published; it never changes from now on."))
    return redirect(url_for("pages.policy_version", policy_id=policy_id, version=version))


def impact_of(row: PolicyVersion, text: str):
    """The saved draft against the newest published version of its policy, over every stored submission."""
    base = newest_published(row.policy_id)
    if base is None:
        return render_editor(row, text, 409, message=i18n.tr(
            "此政策还没有已发布的版本，无从比较。", "This policy has no published version to compare the draft with."))
    result = comparisons.impact(store(), signin.current(), {"from": base.ref, "to": row.ref, "movers": MOVERS,
                                                           "grade_by": "sector"})
    message = i18n.tr("影响按已保存的草稿计算；文本中未保存的修改不计在内。",
                      "The impact is of the saved draft; the unsaved changes in the text are not in it.") \
        if text != row.text else None
    return render_editor(row, text, impact=result, base=base, message=message)


@blp.route("/policies/<policy_id>/versions/<version>/new-draft", methods=["POST"])
@signin.page(POLICY_ADMIN)
def policy_new_draft(policy_id: str, version: str):
    """A draft holding this version's YAML under the typed version number (the `version:` field rewritten)."""
    new_version = (request.form.get("new_version") or "").strip()
    with refs_checked(), store().db.read() as session:
        row = store().version(session, policy_id, version, drafts=True)

    def refused(status: int, code: str | None = None, message: str | None = None, issues=()):
        error = {"code": code, "message": message} if code else None
        return render_version(policy_id, version, status, new_version=new_version, draft_error=error,
                              draft_issues=issues, issue_href=lambda issue: f"#L{issue.location.line}")

    if not new_version:
        return refused(422, "page.version.missing", i18n.tr("请填写新版本号，例如 2026.2。",
                                                            "Type the new version, e.g. 2026.2."))
    try:
        text = set_scalar(set_scalar(row.text, ("version",), new_version), ("status",), DRAFT)
    except ValueError as exc:
        return refused(422, "policy.edit.unwritable", str(exc))
    try:
        draft = store().create_draft(signin.current(), policy_id, text.encode("utf-8"))
    except PolicyInvalid as exc:
        return refused(422, issues=exc.issues)
    except UnknownPolicy as exc:
        return refused(422, exc.code, exc.message)
    except Conflict as exc:
        return refused(409, exc.code, exc.message)
    flash(i18n.tr(f"已从 {row.ref} 新建草稿 {draft.ref}。", f"Draft {draft.ref} made from {row.ref}."))
    return redirect(url_for("pages.policy_edit", policy_id=policy_id, version=draft.version))


# -- the impact, shaped for the page --------------------------------------------------------------------------
def impact_view(result: dict, policy) -> dict:
    """The impact summary plus what the template draws: the histogram's bars and the sectors' names."""
    labels = {s.id: i18n.tr(s.label.zh, s.label.en) for s in policy.sectors}
    moved = [m for m in result["movers"] if Decimal(m["delta"]) or m["from"] != m["to"]]  # the biggest may be 0
    return {**result, "bars": histogram_bars(result["score_delta"]["histogram"]), "moved": moved,
            "sector_names": labels, "frame": HISTOGRAM}


def histogram_bars(histogram: dict) -> list[dict]:
    """One bar per bin [edge_k, edge_k+1): its place and height in the chart, its sign and its label."""
    counts, edges = histogram["counts"], [Decimal(e) for e in histogram["edges"]]
    if not counts:
        return []
    inner = HISTOGRAM["height"] - HISTOGRAM["top"] - HISTOGRAM["bottom"]
    width, most = HISTOGRAM["width"] / len(counts), max(counts) or 1
    bars = []
    for k, count in enumerate(counts):
        low, high = edges[k], edges[k + 1]
        height = inner * count / most
        sign = "down" if high <= 0 else "up" if low > 0 else "zero"
        bars.append({"x": round(k * width, 1), "width": round(max(width - 2, 1), 1), "height": round(height, 1),
                     "y": round(HISTOGRAM["top"] + inner - height, 1), "count": count, "sign": sign,
                     "low": str(low), "high": str(high)})
    return bars
