"""Evaluations: score a submission under a published policy version, store both with the trace, replay them.

The submission is stored as the JSON it arrived as (key order kept), the outcome as engine.scoring.trace.canonical_json.
Replaying parses the stored submission again, evaluates it under the stored policy version and must give the
same bytes; `greenfactory audit verify` replays every evaluation that way.
"""
from __future__ import annotations

import json
import uuid
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, Iterator

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine import Issue, RegionalBaseline, SectorBest, SubmissionInvalid, canonical_json, evaluate, parse_submission

from . import audit
from .auth import ENTERPRISE, REGIONAL, Principal, region_prefix
from .cohort_models import Factory
from .errors import Forbidden, NotFound, Unprocessable
from .models import AuditEntry, Evaluation, PolicyVersion, now
from .policy_store import PolicyStore


def create(store: PolicyStore, who: Principal, ref: str, submission: Any) -> SimpleNamespace:
    """Evaluate and store, in one transaction with the audit entry; nothing is written if anything fails."""
    claimed = submission.get("enterprise") if isinstance(submission, dict) else None
    uscc = claimed.get("uscc") if isinstance(claimed, dict) else None
    if isinstance(uscc, str):  # before parsing, so that another enterprise's data is not even checked
        _check_own(who, uscc)
    version, cp = store.published(ref)
    try:
        sub = parse_submission(cp.policy, submission)
    except SubmissionInvalid as exc:  # locate the issues in the request body, under "submission"
        raise SubmissionInvalid(tuple(Issue(i.code, i.message, ("submission",) + i.path, i.location)
                                      for i in exc.issues)) from None
    _check_own(who, sub.uscc)  # and on what is stored, whatever the intake made of the raw value
    outcome = evaluate(cp, sub)
    blob = canonical_json(outcome)
    received = json.dumps(submission, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    values = {"id": str(uuid.uuid4()), "policy_version_pk": version.pk, "policy_id": version.policy_id,
              "policy_version": version.version, "policy_digest": version.digest, "uscc": sub.uscc,
              "region": sub.region, "sector": sub.sector, "period": sub.period, "submission": received,
              "submission_digest": sub.digest, "outcome": blob, "outcome_sha256": audit.sha256(blob),
              "score": str(outcome.score), "created_at": now(), "created_by": who.token_id}
    # a Core INSERT, not the ORM's unit of work (which cost more than the rest of the request); the audit entry
    # follows in the same transaction
    with store.db.write() as session:
        _check_registered_region(session, sub.uscc, sub.region)
        pk = session.connection().execute(_INSERT_EVALUATION, values).inserted_primary_key[0]
        audit.append(session, who, "evaluation.create", values["id"], input_digest=audit.sha256(received),
                     policy_digest=version.digest, outcome_digest=values["outcome_sha256"])
    return SimpleNamespace(pk=pk, context=None, **values)  # the stored columns: an ORM instance costs 0.1 ms


_INSERT_EVALUATION = Evaluation.__table__.insert()


def _check_own(who: Principal, uscc: str) -> None:
    if who.role == ENTERPRISE and uscc != who.enterprise:
        raise Forbidden("auth.enterprise.mismatch", "An enterprise token submits for its own enterprise only: the"
                        " submission's enterprise.uscc must be the token's.")


_REGISTERED_REGION = select(Factory.__table__.c.region).where(Factory.__table__.c.uscc == bindparam("uscc"))


def _check_registered_region(session: Session, uscc: str, declared: str) -> None:
    """An evaluation is filed under the region its submission declares, and that region decides which reviewers
    see it; so an enterprise with a registered factory declares the registered region, or nothing is stored. One
    not registered yet files under the region it declares (docs/security.md)."""
    registered = session.connection().execute(_REGISTERED_REGION, {"uscc": uscc}).scalar_one_or_none()
    if registered is not None and registered != declared:
        issue = region_mismatch(registered, ("submission", "enterprise", "region"))
        raise Unprocessable(issue.code, issue.message, [issue])


def region_mismatch(registered: str, path: tuple) -> Issue:
    """A submission declaring another region than its factory's registered one (evaluations and round entries)."""
    return Issue("submission.region.mismatch", f"The enterprise's factory is registered in region {registered}: submit"
                 " under that region; an authority of its region changes a registration.", path)


def get(session: Session, who: Principal, evaluation_id: str) -> Evaluation:
    """The evaluation if this principal may read it; otherwise the same 404 as for one that does not exist."""
    row = session.execute(select(Evaluation).where(Evaluation.id == evaluation_id)).scalar_one_or_none()
    if row is None or not who.may_read(row.region, row.uscc):
        raise NotFound("evaluation.unknown", f'No evaluation "{evaluation_id}" that this token may read: check the id.')
    return row


def listing(session: Session, who: Principal, *, policy: str | None, region: str | None, uscc: str | None,
            after: int | None, limit: int) -> list[Evaluation]:
    """The newest first, within the principal's scope, then the filters; `after` is the last pk of the page before."""
    query = select(Evaluation).order_by(Evaluation.pk.desc()).limit(limit)
    if who.role == ENTERPRISE:
        query = query.where(Evaluation.uscc == who.enterprise)
    elif who.role in REGIONAL:
        query = query.where(Evaluation.region.startswith(region_prefix(who.region or ""), autoescape=True))
    else:
        return []
    if region:
        query = query.where(Evaluation.region.startswith(region_prefix(region), autoescape=True))
    if uscc:
        query = query.where(Evaluation.uscc == uscc)
    if policy:
        pid, _, version = policy.partition("@")
        query = query.where(Evaluation.policy_id == pid)
        if version:
            query = query.where(Evaluation.policy_version == version)
    if after is not None:
        query = query.where(Evaluation.pk < after)
    return list(session.execute(query).scalars())


def replay(store: PolicyStore, session: Session, row: Evaluation) -> bytes:
    """The canonical outcome bytes that evaluating the stored submission under the stored version gives now."""
    version = session.get(PolicyVersion, row.policy_version_pk)
    cp = store.compiled(version)
    sub = parse_submission(cp.policy, json.loads(row.submission))
    baseline, best = comparison(row.context)
    return canonical_json(evaluate(cp, sub, baseline=baseline, sector_best=best))


def context_json(baseline: RegionalBaseline | None, best: SectorBest | None) -> bytes | None:
    """What a round compared an evaluation with, stored beside it so that a replay compares the same way."""
    if baseline is None and best is None:
        return None
    out: dict = {}
    if baseline is not None:
        out["baseline"] = {"snapshot": baseline.snapshot, "scope": baseline.scope, "size": baseline.size,
                           "mean": str(baseline.mean)}
    if best is not None:
        out["sector_best"] = {"snapshot": best.snapshot, "sector": best.sector, "size": best.size,
                              "best": {k: str(v) for k, v in best.best.items()}}
    return json.dumps(out, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def comparison(context: bytes | None) -> tuple[RegionalBaseline | None, SectorBest | None]:
    if not context:
        return None, None
    doc = json.loads(context)
    b, s = doc.get("baseline"), doc.get("sector_best")
    baseline = RegionalBaseline(b["snapshot"], b["scope"], b["size"], Decimal(b["mean"])) if b else None
    best = SectorBest(s["snapshot"], s["sector"], s["size"], {k: Decimal(v) for k, v in s["best"].items()}) if s else None
    return baseline, best


def verify_all(store: PolicyStore, session: Session) -> Iterator[audit.Finding]:
    """Every stored evaluation: its audit entry agrees with what is stored, and its replay gives the same bytes."""
    entries = {e.subject: e for e in session.execute(
        select(AuditEntry).where(AuditEntry.action == "evaluation.create")).scalars()}
    for row in session.execute(select(Evaluation).order_by(Evaluation.pk).execution_options(yield_per=200)).scalars():
        subject = f"evaluation {row.id}"
        entry = entries.pop(row.id, None)
        if entry is None:
            yield audit.Finding("evaluation.audit.missing", subject, "No audit entry records this evaluation.")
        elif (entry.input_digest, entry.policy_digest, entry.outcome_digest) != (
                audit.sha256(row.submission), row.policy_digest, audit.sha256(row.outcome)):
            yield audit.Finding("evaluation.audit.mismatch", subject, "The stored submission, policy digest or"
                                " outcome differs from what the audit log recorded.")
        version = session.get(PolicyVersion, row.policy_version_pk)
        if version is None or version.digest != row.policy_digest:
            yield audit.Finding("evaluation.policy.changed", subject, "The policy version it was evaluated under is"
                                " gone or has a different digest.")
            continue
        try:
            same = replay(store, session, row) == row.outcome
        except Exception as exc:  # a stored record that no longer even parses is a finding, not a crash
            yield audit.Finding("evaluation.replay.failed", subject, f"Replaying it fails ({type(exc).__name__}).")
            continue
        if not same:
            yield audit.Finding("evaluation.replay.mismatch", subject, "Replaying the stored submission gives a"
                                " different outcome than the one stored.")
    for subject in entries:
        yield audit.Finding("evaluation.missing", f"evaluation {subject}", "The audit log records this evaluation but"
                            " it is not stored.")
