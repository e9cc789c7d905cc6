"""Read-side of the cohort functions: factories, rounds, baselines, an enterprise's standing and what it would take,
removal and plausibility flags for reviewers, and the authorities' view per region and round."""
from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import evaluate, parse_submission
from engine.cohort import APPLICANT, EXISTING, Cohort, rule_gaps, target_score, what_it_takes
from engine.policy import version_key
from engine.submission import AUTHORITIES

from .auth import ENTERPRISE, POLICY_ADMIN, REGIONAL, Principal, region_prefix
from .cohort_models import Approval, BaselineSnapshot, Factory, PlausibilityResolution, Round, RoundEntry
from .cohorts import get_round
from .db import in_chunks
from .errors import BadRequest, NotFound
from .evaluation import comparison
from .models import Evaluation
from .policy_store import PolicyStore


def _scoped(query, who: Principal, region_column, uscc_column):
    if who.role == ENTERPRISE:
        return query.where(uscc_column == who.enterprise)
    if who.role in REGIONAL:
        return query.where(region_column.startswith(region_prefix(who.region or ""), autoescape=True))
    return query if who.role == POLICY_ADMIN else query.where(False)


def level_of(f: Factory) -> str:
    if f.national_year is not None and f.removed_year is None:
        return "national"
    if f.removed_year is not None:
        return "removed"
    return "provincial" if f.provincial_year is not None else "applicant"


def factory_dict(f: Factory) -> dict:
    return {"uscc": f.uscc, "name": f.name, "region": f.region, "authority": f.authority, "sector": f.sector,
            "level": level_of(f), "provincial_year": f.provincial_year, "national_year": f.national_year,
            "removed_year": f.removed_year}


def list_factories(session: Session, who: Principal, *, region=None, sector=None, after=None, limit=50) -> list[Factory]:
    query = _scoped(select(Factory).order_by(Factory.pk).limit(limit), who, Factory.region, Factory.uscc)
    if region:
        query = query.where(Factory.region.startswith(region_prefix(region), autoescape=True))
    if sector:
        query = query.where(Factory.sector == sector)
    if after:
        query = query.where(Factory.pk > after)
    return list(session.execute(query).scalars())


def entry_dict(e: RoundEntry, round_id: str) -> dict:
    return {"round": round_id, "role": e.role, "evaluation": e.evaluation_id, "score": e.score, "eligible": e.eligible,
            "meets_baseline": e.meets_baseline, "recommended": e.recommended, "rank": e.rank,
            "cohort_size": e.cohort_size, "percentile": e.percentile, "grade": e.grade, "bottom": e.bottom,
            "removal": e.removal, "flags": e.flags.split() if e.flags else []}


def factory_history(session: Session, who: Principal, uscc: str) -> dict:
    f = session.execute(select(Factory).where(Factory.uscc == uscc)).scalar_one_or_none()
    if f is None or not who.may_read(f.region, f.uscc):
        raise NotFound("factory.unknown", f"No factory {uscc} that this token may read: check the code.")
    rows = session.execute(select(RoundEntry, Round.id).join(Round, Round.pk == RoundEntry.round_pk)
                           .where(RoundEntry.factory_pk == f.pk)).all()
    return {**factory_dict(f), "rounds": [entry_dict(e, rid) for e, rid in sorted(rows, key=lambda r: version_key(r[1]))]}


def round_dict(r: Round, entries: int | None = None) -> dict:
    return {"id": r.id, "year": r.year, "policy": f"{r.policy_id}@{r.policy_version}", "status": r.status,
            "snapshot": r.snapshot, "run_at": r.run_at, "entries": entries}


def rounds(session: Session) -> list[dict]:
    counts = dict(session.execute(select(RoundEntry.round_pk, func.count()).group_by(RoundEntry.round_pk)).all())
    return [round_dict(r, counts.get(r.pk, 0)) for r in sorted(session.execute(select(Round)).scalars(),
                                                               key=lambda r: version_key(r.id))]


def baselines(session: Session, round_id: str, authority: str | None = None) -> dict:
    rnd = get_round(session, round_id)
    query = select(BaselineSnapshot).where(BaselineSnapshot.round_pk == rnd.pk).order_by(BaselineSnapshot.scope)
    if authority:
        query = query.where(BaselineSnapshot.authority == authority)
    items = [{"scope": b.scope, "authority": b.authority, "sector": b.sector, "size": b.size, "mean": b.mean}
             for b in session.execute(query).scalars()]
    return {"round": rnd.id, "snapshot": rnd.snapshot, "taken_at": rnd.run_at, "policy": f"{rnd.policy_id}@{rnd.policy_version}",
            "items": items}


def _entry(session: Session, who: Principal, round_id: str, uscc: str):
    rnd = get_round(session, round_id)
    row = session.execute(select(RoundEntry, Factory).join(Factory, Factory.pk == RoundEntry.factory_pk)
                          .where(RoundEntry.round_pk == rnd.pk, Factory.uscc == uscc)).first()
    if row is None or not who.may_read(row[1].region, uscc):
        raise NotFound("factory.unknown", f"No entry of {uscc} in round {round_id} that this token may read.")
    if row[0].evaluation_id is None:
        raise NotFound("round.not_run", f"Round {round_id} has not run yet: its standings come with the run.")
    return rnd, row[0], row[1]


def _points(outcome: bytes) -> dict[str, Decimal]:
    return {r["id"]: Decimal(r["points"]) for r in json.loads(outcome)["rules"]}


def benchmark(session: Session, who: Principal, round_id: str, uscc: str) -> dict:
    """Standing in the sector (existing national green factories of the round), leaders and per-rule gaps."""
    rnd, entry, factory = _entry(session, who, round_id, uscc)
    mine = session.execute(select(Evaluation.outcome, Evaluation.sector).where(Evaluation.id == entry.evaluation_id)).one()
    peers = session.execute(select(RoundEntry.score, Evaluation.outcome).join(
        Evaluation, Evaluation.id == RoundEntry.evaluation_id).where(
        RoundEntry.round_pk == rnd.pk, RoundEntry.role == EXISTING, Evaluation.sector == mine.sector)).all()
    leader_share = Decimal("0.05")
    ordered = sorted(peers, key=lambda p: Decimal(p.score), reverse=True)
    cohort, top = Cohort([Decimal(q.score) for q in peers], ()), max(int(leader_share * len(peers)), 1)
    leaders = [p for p in ordered if cohort.rank(Decimal(p.score)) <= top]
    own, points = _points(mine.outcome), {id(p): _points(p.outcome) for p in peers}
    gaps = rule_gaps(own, list(points.values()), [points[id(p)] for p in leaders], Decimal("0.01"))
    return {"round": rnd.id, "uscc": uscc, "sector": mine.sector, **entry_dict(entry, rnd.id),
            "leaders": [{"score": p.score} for p in leaders],
            "gaps": [{k: (str(v) if isinstance(v, Decimal) else v) for k, v in g.items()} for g in gaps],
            # how many peers have each score, and each rule's points: the sector's distribution, no one named
            "distribution": {"scores": _counts(Decimal(p.score) for p in peers),
                             "points": {rule: _counts(p[rule] for p in points.values() if rule in p) for rule in own}}}


def _counts(values) -> list[dict]:
    tally: dict[Decimal, int] = {}
    for v in values:  # equal Decimals are one key whatever their places (4.00 and 4)
        tally[v] = tally.get(v, 0) + 1
    return [{"value": format(v.normalize(), "f"), "count": n} for v, n in sorted(tally.items())]


def what_it_would_take(store: PolicyStore, session: Session, who: Principal, round_id: str, uscc: str, target: str) -> dict:
    rnd, entry, factory = _entry(session, who, round_id, uscc)
    row = session.execute(select(Evaluation).where(Evaluation.id == entry.evaluation_id)).scalar_one()
    cp = store.compiled(store.version(session, row.policy_id, row.policy_version, drafts=False))
    sub = parse_submission(cp.policy, json.loads(row.submission))
    baseline, _ = comparison(row.context)
    outcome = evaluate(cp, sub, trace=False)
    rule = cp.policy.decision.regional_baseline
    if target == "baseline":
        if baseline is None or rule is None:
            raise NotFound("baseline.unknown", "No regional baseline applies to this entry (no existing national green"
                           " factory in its region).")
        goal, about = target_score(baseline, rule.op, cp.quantum), {"snapshot": baseline.snapshot, "scope": baseline.scope,
                                                                     "size": baseline.size, "mean": str(baseline.mean)}
    elif target == "next_grade":
        scores = [Decimal(s) for s in session.execute(select(RoundEntry.score).join(
            Evaluation, Evaluation.id == RoundEntry.evaluation_id).where(
            RoundEntry.round_pk == rnd.pk, RoundEntry.role == EXISTING, Evaluation.sector == row.sector)).scalars()]
        grades = cp.policy.decision.grades
        now_at = next((n for n, g in enumerate(grades) if g.id == entry.grade), len(grades))
        if now_at == 0:
            return {"round": rnd.id, "uscc": uscc, "target": target, "score": str(outcome.score), "goal": None,
                    "about": {"grade": entry.grade}, "changes": []}
        wanted = grades[now_at - 1] if now_at <= len(grades) and grades else None
        least = Cohort(scores, grades).least_score_for(wanted.top_share, Decimal(entry.score)
                                                       if entry.role == EXISTING else None) if wanted else None
        if least is None:  # the cohort is too small for the grade to hold anyone
            return {"round": rnd.id, "uscc": uscc, "target": target, "score": str(outcome.score), "goal": None,
                    "about": {"grade": wanted.id if wanted else None, "reachable": False}, "changes": []}
        goal, about = max(least, outcome.score + cp.quantum), {"grade": wanted.id}
    else:
        raise BadRequest("target.unknown", "target is baseline or next_grade.")
    changes = what_it_takes(cp, sub, outcome, goal)
    return {"round": rnd.id, "uscc": uscc, "target": target, "score": str(outcome.score), "goal": str(goal),
            "about": about, "changes": [{k: (str(v) if isinstance(v, Decimal) else v) for k, v in (
                ("rule", c.rule), ("value", c.value), ("unit", c.unit), ("current", c.current), ("required", c.required),
                ("change", c.change), ("points_now", c.points_now), ("points_then", c.points_then),
                ("points_added", c.points_added), ("score_then", c.score_then), ("reachable", c.reachable))}
                for c in changes]}


def entries(session: Session, who: Principal, round_id: str, *, removals=False, flags=False, after: int | None = None,
            limit: int | None = None) -> dict:
    """The round's entries this token may read, in entry order; with limit, one page of them after the cursor
    `after`, and then `after` in the answer is the next page's cursor when the page is full (None on the last
    page). Without limit, every entry, and no cursor."""
    rnd = get_round(session, round_id)
    query = select(RoundEntry, Factory).join(Factory, Factory.pk == RoundEntry.factory_pk).where(
        RoundEntry.round_pk == rnd.pk).order_by(RoundEntry.pk)
    query = _scoped(query, who, Factory.region, Factory.uscc)
    if removals:
        query = query.where(RoundEntry.removal.is_not(None))
    if flags:
        query = query.where(RoundEntry.flags != "")
    if after:
        query = query.where(RoundEntry.pk > after)
    if limit:
        query = query.limit(limit)
    rows = session.execute(query).all()
    resolved: dict = {}
    if flags and rows:
        for ids in in_chunks(e.evaluation_id for e, _ in rows):
            for r in session.execute(select(PlausibilityResolution).where(
                    PlausibilityResolution.evaluation_id.in_(ids))).scalars():
                resolved.setdefault(r.evaluation_id, {})[r.flag] = r.resolution
    out = {"round": rnd.id, "items": [{"uscc": f.uscc, "name": f.name, "region": f.region, "sector": f.sector,
                                       **entry_dict(e, rnd.id), "resolutions": resolved.get(e.evaluation_id, {})}
                                      for e, f in rows]}
    if limit:
        out["after"] = rows[-1][0].pk if len(rows) == limit else None
    return out


def authority_view(session: Session, who: Principal, code: str) -> dict:
    """Per round: applicants, recommended, approved, approval rate, mean score against the baseline, change."""
    if code not in AUTHORITIES:
        raise NotFound("authority.unknown", f"{code} is not one of the 37 recommending authorities.")
    if who.role != POLICY_ADMIN and (who.region is None or not code.startswith(region_prefix(who.region))):
        raise NotFound("authority.unknown", f"Authority {code} is outside this token's region.")
    out, before = [], None
    for rnd in sorted(session.execute(select(Round).where(Round.status == "run")).scalars(), key=lambda r: version_key(r.id)):
        rows = session.execute(select(RoundEntry.role, RoundEntry.score, RoundEntry.recommended, Approval.approved).join(
            Factory, Factory.pk == RoundEntry.factory_pk).outerjoin(
            Approval, (Approval.round_pk == RoundEntry.round_pk) & (Approval.factory_pk == RoundEntry.factory_pk)).where(
            RoundEntry.round_pk == rnd.pk, Factory.authority == code)).all()
        applicants = [r for r in rows if r.role == APPLICANT]
        recommended = sum(1 for r in applicants if r.recommended)
        approved = sum(1 for r in applicants if r.approved)
        base = session.execute(select(BaselineSnapshot.mean, BaselineSnapshot.size).where(
            BaselineSnapshot.round_pk == rnd.pk, BaselineSnapshot.authority == code,
            BaselineSnapshot.sector.is_(None))).first()
        mean = (sum(Decimal(r.score) for r in applicants) / len(applicants)).quantize(Decimal("0.01")) if applicants else None
        item = {"round": rnd.id, "applicants": len(applicants), "recommended": recommended, "approved": approved,
                "approval_rate": str((Decimal(approved) / recommended).quantize(Decimal("0.001"))) if recommended else None,
                "mean_applicant_score": str(mean) if mean is not None else None,
                "baseline": base.mean if base else None, "baseline_size": base.size if base else None,
                "existing": sum(1 for r in rows if r.role == EXISTING)}
        item["mean_minus_baseline"] = str(mean - Decimal(base.mean)) if base and mean is not None else None
        item["change"] = None if before is None else {k: _delta(item[k], before[k]) for k in (
            "applicants", "recommended", "approved", "approval_rate", "mean_applicant_score", "baseline")}
        out.append(item)
        before = item
    return {"authority": code, "name": {"zh": AUTHORITIES[code].label.zh, "en": AUTHORITIES[code].label.en}, "rounds": out}


def _delta(now, then):
    if now is None or then is None:
        return None
    diff = Decimal(str(now)) - Decimal(str(then))
    return int(diff) if isinstance(now, int) else str(diff)
