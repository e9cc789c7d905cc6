"""The enterprise's benchmark page (/benchmark) and the authorities' regional dashboard (/regions, /regions/<code>).

Both call the functions behind the API (service.cohort_views): the benchmark and what-it-takes of
GET /api/v1/rounds/{id}/factories/{uscc}/..., the authorities' view of GET /api/v1/authorities/{code}/rounds and
the round's scoped entries, so a page shows no more than the API would give the same principal.
"""
from __future__ import annotations

import json
from decimal import Decimal

from flask import current_app, render_template, request, url_for
from markupsafe import Markup

from engine.cohort import APPLICANT, EXISTING
from engine.submission import AUTHORITIES, authority_for

from .. import cohort_views as views
from .. import evaluation
from ..auth import AUTHORITY, ENTERPRISE, POLICY_ADMIN, REVIEWER
from ..errors import NotFound
from . import blp, signin, svg
from .i18n import lang, tr
from .signin import page

TARGETS = ("baseline", "next_grade")


def _services():
    return current_app.extensions["greenfactory"]


def evaluation_href(evaluation_id: str) -> str:
    """The evaluation page (agreed URL /evaluations/<id>; built by its own module)."""
    if "pages.evaluation" in current_app.view_functions:
        return url_for("pages.evaluation", evaluation_id=evaluation_id)
    return f"/evaluations/{evaluation_id}"


# -- the benchmark page ----------------------------------------------------------------------------------------

@blp.route("/benchmark")
@page(ENTERPRISE)
def benchmark():
    who = signin.current()
    services = _services()
    with services.db.read() as session:
        try:
            history = views.factory_history(session, who, who.enterprise)
        except NotFound:  # not a factory of any round yet: the page says so
            history = None
        evaluated = [r for r in history["rounds"] if r["evaluation"]] if history else []
        if not evaluated:
            return render_template("benchmark.html", history=history, evaluated=[], standing=None)
        round_id = request.args.get("round") or evaluated[-1]["round"]
        standing = views.benchmark(session, who, round_id, who.enterprise)
        targets = {t: _what_it_takes(services.store, session, who, round_id, t) for t in TARGETS}
        row = evaluation.get(session, who, standing["evaluation"])
        policy = services.store.compiled(services.store.version(session, row.policy_id, row.policy_version,
                                                                drafts=False)).policy
        outcome_rules = {r["id"]: r for r in json.loads(row.outcome)["rules"]}
    labels = {r.id: r.label for r in policy.rules}
    return render_template("benchmark.html", history=history, evaluated=evaluated, standing=standing,
                           targets=targets, overall=_overall_chart(standing, targets, policy.total_points),
                           indicators=_indicators(standing, targets, outcome_rules, labels),
                           label=lambda rule: _label(labels, rule), evaluation_href=evaluation_href)


def _what_it_takes(store, session, who, round_id: str, target: str) -> dict:
    """The API's answer, or {"missing": why} when no regional baseline applies (the API's 404 baseline.unknown)."""
    try:
        return views.what_it_would_take(store, session, who, round_id, who.enterprise, target)
    except NotFound as exc:
        if exc.code != "baseline.unknown":
            raise
        return {"missing": exc.message, "target": target}


def _label(labels: dict, rule: str) -> str:
    found = labels.get(rule)
    return (found.zh if lang() == "zh" else found.en) if found else rule


def _overall_chart(standing: dict, targets: dict, total_points) -> Markup:
    counts = [(Decimal(c["value"]), c["count"]) for c in standing["distribution"]["scores"]]
    marks = [svg.Mark(Decimal(standing["score"]), tr("本企业", "You"), "me")]
    if standing["leaders"]:
        marks.append(svg.Mark(min(Decimal(p["score"]) for p in standing["leaders"]), tr("领先者起", "Leaders from"),
                              "leader"))
    base = targets["baseline"]
    if "about" in base:
        marks.append(svg.Mark(Decimal(base["about"]["mean"]), tr("地区基准", "Regional baseline"), "baseline"))
    grade = targets["next_grade"]
    if grade.get("goal") and grade["about"].get("grade"):
        marks.append(svg.Mark(Decimal(grade["goal"]), tr(f"{grade['about']['grade']} 级最低分",
                                                         f"Least for {grade['about']['grade']}"), "goal"))
    peers = sum(n for _, n in counts)
    summary = tr(f"本行业 {peers} 家现有国家级绿色工厂的得分分布", f"Scores of the sector's {peers} existing national"
                 " green factories")
    return svg.distribution("chart-score", counts, Decimal(total_points), marks, tr("总分在行业中的位置",
                            "Your score in the sector"), summary)


def _indicators(standing: dict, targets: dict, outcome_rules: dict, labels: dict) -> list[dict]:
    """Per rule: the numbers of the API's gaps and a chart of the sector's points with yours marked."""
    to_baseline = {c["rule"]: c for c in targets["baseline"].get("changes", []) if c["reachable"]}
    out = []
    for gap in standing["gaps"]:
        rule = gap["rule"]
        top = Decimal(outcome_rules[rule]["max_points"]) if rule in outcome_rules else Decimal(0)
        counts = [(Decimal(c["value"]), c["count"]) for c in standing["distribution"]["points"].get(rule, [])]
        marks = [svg.Mark(Decimal(gap["points"]), tr("本企业", "You"), "me")]
        if gap["median"] is not None:
            marks.append(svg.Mark(Decimal(gap["median"]), tr("中位数", "Median"), "median"))
        if gap["leaders_mean"] is not None:
            marks.append(svg.Mark(Decimal(gap["leaders_mean"]), tr("领先者平均", "Leaders' mean"), "leader"))
        if rule in to_baseline:  # the points this rule alone would need for the regional baseline
            marks.append(svg.Mark(Decimal(to_baseline[rule]["points_then"]), tr("达基准需", "For baseline"), "baseline"))
        name = _label(labels, rule)
        chart = svg.distribution(f"chart-{rule}", counts, top, marks, tr(f"{name}：得分分布", f"{name}: points"),
                                 tr(f"满分 {top}，{sum(n for _, n in counts)} 家同行", f"out of {top}, "
                                    f"{sum(n for _, n in counts)} peers"), bins=10, bar_height=30, width=340,
                                 labels=False)
        out.append({**gap, "label": name, "max_points": str(top), "chart": chart,
                    "status": outcome_rules.get(rule, {}).get("status")})
    return out


# -- the regional dashboard ------------------------------------------------------------------------------------

@blp.route("/regions")
@page(AUTHORITY, REVIEWER, POLICY_ADMIN)
def regions():
    who = signin.current()
    with _services().db.read() as session:
        rounds = [r for r in views.rounds(session) if r["status"] == "run"]
        round_id = _chosen_round(rounds)
        rows = []
        for code, authority in AUTHORITIES.items():
            try:  # the API's rule for who may see which authority
                view = views.authority_view(session, who, code)
            except NotFound:
                continue
            item = next((i for i in view["rounds"] if i["round"] == round_id), None)
            rows.append({"code": code, "name": _name(code), "kind": authority.kind, "item": item})
    chart = _means_chart(rows) if rows else None
    return render_template("regions.html", rounds=rounds, round_id=round_id, rows=rows, chart=chart)


@blp.route("/regions/<code>")
@page(AUTHORITY, REVIEWER, POLICY_ADMIN)
def region(code: str):
    who = signin.current()
    with _services().db.read() as session:
        view = views.authority_view(session, who, code)  # 404 outside the principal's region, like the API
        rounds = [r for r in views.rounds(session) if r["status"] == "run"]
        round_id = _chosen_round(rounds)
        item = next((i for i in view["rounds"] if i["round"] == round_id), None)
        factories = None
        if who.role in (AUTHORITY, REVIEWER) and round_id:  # the API lists factories to these roles only
            factories = [e for e in views.entries(session, who, round_id)["items"] if authority_for(e["region"]) == code]
            factories.sort(key=lambda e: (e["role"] != APPLICANT, -Decimal(e["score"] or "-1")))
    cities = _cities(factories) if factories else []
    chart = _region_chart(code, factories, item) if factories else None
    return render_template("region.html", code=code, name=_name(code), view=view, rounds=rounds, round_id=round_id,
                           item=item, factories=factories, cities=cities, chart=chart, status=_status,
                           evaluation_href=evaluation_href)


def _chosen_round(rounds: list[dict]) -> str | None:
    """?round=<id> among the run rounds; else the latest run round; None when no round has run yet."""
    asked = request.args.get("round")
    if asked:
        if asked not in {r["id"] for r in rounds}:
            raise NotFound("round.unknown", f'No run round "{asked}": choose one of the rounds listed on the page.')
        return asked
    return rounds[-1]["id"] if rounds else None


def _name(code: str) -> str:
    label = AUTHORITIES[code].label
    return label.zh if lang() == "zh" else label.en


def _means_chart(rows: list[dict]) -> Markup:
    bars = [svg.Bar(("  " if r["kind"] == "planning_city" else "") + r["name"], _dec(r["item"], "mean_applicant_score"),
                    _dec(r["item"], "baseline")) for r in rows if r["item"]]
    return svg.bars("chart-regions", bars, Decimal(100), tr("申报企业平均分与地区基准", "Applicants' mean score and the"
                    " regional baseline"), tr(f"{len(bars)} 个地区", f"{len(bars)} regions"),
                    value_label=tr("平均分", "mean"), baseline_label=tr("基准", "baseline"))


def _region_chart(code: str, factories: list[dict], item: dict | None) -> Markup:
    applicants = [Decimal(e["score"]) for e in factories if e["role"] == APPLICANT and e["score"] is not None]
    tally: dict[Decimal, int] = {}
    for s in applicants:
        tally[s] = tally.get(s, 0) + 1
    marks = []
    if item and item["baseline"] is not None:
        marks.append(svg.Mark(Decimal(item["baseline"]), tr("地区基准", "Regional baseline"), "baseline"))
    if item and item["mean_applicant_score"] is not None:
        marks.append(svg.Mark(Decimal(item["mean_applicant_score"]), tr("申报平均", "Applicants' mean"), "median"))
    return svg.distribution(f"chart-{code}", sorted(tally.items()), Decimal(100), marks,
                            tr("申报企业得分分布", "Applicants' scores"),
                            tr(f"{len(applicants)} 家申报企业", f"{len(applicants)} applicants"))


def _cities(factories: list[dict]) -> list[dict]:
    """The region's factories by city (the first four digits of their region code)."""
    by_city: dict[str, list[dict]] = {}
    for e in factories:
        by_city.setdefault(e["region"][:4] + "00", []).append(e)
    out = []
    for city, rows in sorted(by_city.items()):
        applicants = [e for e in rows if e["role"] == APPLICANT]
        scores = [Decimal(e["score"]) for e in applicants if e["score"] is not None]
        out.append({"code": city, "existing": sum(1 for e in rows if e["role"] == EXISTING),
                    "applicants": len(applicants), "recommended": sum(1 for e in applicants if e["recommended"]),
                    "mean": str((sum(scores) / len(scores)).quantize(Decimal("0.01"))) if scores else None})
    return out


def _status(e: dict) -> tuple[str, str]:
    """(badge class, text) of a factory's entry in the round."""
    if e["role"] == EXISTING:
        if e["removal"] == "gate_failed":
            return "failed", tr("拟撤销：未通过门槛", "To be removed: a gate failed")
        if e["removal"]:
            return "failed", tr("拟撤销：连续三轮末位", "To be removed: bottom 5 % three rounds")
        return "passed", tr("国家级绿色工厂", "National green factory")
    if e["recommended"]:
        return "passed", tr("推荐", "Recommended")
    if e["eligible"] is False:
        return "failed", tr("未通过门槛", "A gate failed")
    if e["recommended"] is None:
        return "undetermined", tr("待定（无地区基准）", "Open (no regional baseline)")
    return "failed", tr("低于地区基准", "Below the regional baseline")


def _dec(item: dict | None, key: str) -> Decimal | None:
    return Decimal(item[key]) if item and item.get(key) is not None else None
