"""Factories, rounds and their runs: imports (every bad row reported, none half-imported), a round's run (new and
existing in parallel, stored in bulk with the audit log), approvals and plausibility resolutions.
Read-side views are in service.cohort_views.
"""
from __future__ import annotations

import json
import uuid
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import Issue, SubmissionInvalid, canonical_json, parse_submission
from engine.cohort import APPLICANT, EXISTING, Member, removal_reason, run_round
from engine.policy import version_key
from engine.scoring import FLAGS
from engine.submission import authority_for, region_problem, uscc_problem

from . import audit
from .auth import ENTERPRISE, POLICY_ADMIN, Principal, region_prefix
from .cohort_models import Approval, BaselineSnapshot, Factory, PlausibilityResolution, Round, RoundEntry
from .db import in_chunks
from .errors import Conflict, Forbidden, NotFound, Unprocessable
from .evaluation import context_json, region_mismatch
from .models import Evaluation, now
from .policy_store import PolicyStore


REPORTED_ISSUES = 100  # enough to fix a file by; a file of bad rows would otherwise answer with one issue per cell


def ImportInvalid(issues: tuple) -> Unprocessable:  # noqa: N802 - raised like an exception class
    """Rows that cannot be imported: the first REPORTED_ISSUES of them, and how many there are; nothing was."""
    return Unprocessable("import.invalid", "Nothing was imported: fix every row listed, then send them all again.",
                         issues[:REPORTED_ISSUES], extra={"issues_total": len(issues)})


def _nonempty(rows: list[dict]) -> None:
    """An import of no rows changes nothing, and an empty CSV usually means the wrong file: refused, saying so."""
    if not rows:
        raise ImportInvalid((Issue("import.empty", "The table has no data rows: send a header row and at least one"
                                   " row under it.", ("rows",)),))


def _in_scope(who: Principal, region: str) -> bool:
    return who.role in (POLICY_ADMIN, "system") or (who.region is not None and region.startswith(region_prefix(who.region)))


def _year(value, path: tuple, issues: list) -> int | None:
    if value in (None, ""):
        return None
    try:
        year = int(str(value).strip())
    except ValueError:
        year = 0
    if not 2000 <= year <= 2100:
        issues.append(Issue("import.year.invalid", f"{value!r} is not a year: write it as four digits, e.g. 2023.", path))
        return None
    return year


def import_factories(store: PolicyStore, who: Principal, rows: list[dict]) -> dict:
    """Add or update factories by USCC: all rows or none. Authorities import within their region."""
    _nonempty(rows)
    issues: list[Issue] = []
    clean, seen = [], set()
    for n, row in enumerate(rows):
        at = ("rows", n)
        uscc, region = str(row.get("uscc") or "").strip(), str(row.get("region") or "").strip()
        sector, name = str(row.get("sector") or "general").strip(), str(row.get("name") or "").strip()
        problem = uscc_problem(uscc) if uscc else "The uscc column is empty: give the unified social credit code."
        if problem:
            issues.append(Issue("import.uscc.invalid", problem, at + ("uscc",)))
        elif uscc in seen:
            issues.append(Issue("import.uscc.duplicate", f"{uscc} is on two rows: keep one.", at + ("uscc",)))
        seen.add(uscc)
        authority = None
        if region_problem(region):
            issues.append(Issue("import.region.invalid", region_problem(region), at + ("region",)))
        else:
            try:
                authority = authority_for(region)
            except ValueError as exc:
                issues.append(Issue("import.region.no_authority", str(exc), at + ("region",)))
            if not _in_scope(who, region):
                issues.append(Issue("import.region.forbidden", f"Region {region} is outside this token's region:"
                                    " import only your region's factories.", at + ("region",)))
        if not name:
            issues.append(Issue("import.name.missing", "The name column is empty: give the enterprise's name.", at + ("name",)))
        years = {k: _year(row.get(k), at + (k,), issues) for k in ("provincial_year", "national_year", "removed_year")}
        clean.append({"uscc": uscc, "name": name, "region": region, "authority": authority, "sector": sector, **years})
    with store.db.write() as session:
        known = _factories(session, [r["uscc"] for r in clean if r["uscc"]])
        issues += _registered_outside(who, known, clean)
        if issues:
            raise ImportInvalid(tuple(issues))  # inside the transaction: nothing was written, and it rolls back
        new = [r for r in clean if r["uscc"] not in known]
        for r in clean:
            if r["uscc"] in known:
                for k, v in r.items():
                    setattr(known[r["uscc"]], k, v)
        if new:
            stamp = now()
            session.execute(Factory.__table__.insert(), [{**r, "created_at": stamp} for r in new])
        audit.append(session, who, "factory.import", f"{len(clean)} rows",
                     input_digest=audit.sha256(json.dumps(clean, sort_keys=True).encode("utf-8")))
    return {"imported": len(clean), "added": len(new), "updated": len(clean) - len(new)}


def _registered_outside(who: Principal, known: dict, clean: list[dict]) -> list[Issue]:
    """Rows that would change a factory registered outside the token's region: the stored region decides whose
    factory it is, never the region a row gives it (else a row could move another region's factory into its own)."""
    return [Issue("import.region.forbidden", f"{r['uscc']} is registered outside this token's region: only an"
                  " authority of its region can change it.", ("rows", n, "uscc"))
            for n, r in enumerate(clean) if r["uscc"] in known and not _in_scope(who, known[r["uscc"]].region)]


def create_round(store: PolicyStore, who: Principal, round_id: str, policy: str) -> Round:
    version, _ = store.published(policy)
    if not round_id[:4].isdigit():
        raise ImportInvalid((Issue("round.id.invalid", "A round id starts with its year, e.g. 2025.", ("id",)),))
    with store.db.write() as session:
        if session.execute(select(Round).where(Round.id == round_id)).scalar_one_or_none() is not None:
            raise Conflict("round.exists", f"Round {round_id} exists: choose another id.")
        row = Round(id=round_id, year=int(round_id[:4]), policy_id=version.policy_id, policy_version=version.version,
                    status="open")
        session.add(row)
        audit.append(session, who, "round.create", round_id, policy_digest=version.digest)
    return row


def get_round(session: Session, round_id: str) -> Round:
    row = session.execute(select(Round).where(Round.id == round_id)).scalar_one_or_none()
    if row is None:
        raise NotFound("round.unknown", f'No round "{round_id}": list the rounds at /api/v1/rounds.')
    return row


def open_round(store: PolicyStore, round_id: str) -> Round:
    """The round, if it takes submissions: checked before a body is read, and again as it is imported."""
    with store.db.read() as session:
        return _open(get_round(session, round_id))


def _open(rnd: Round) -> Round:
    if rnd.status != "open":
        raise Conflict("round.closed", f"Round {rnd.id} has run: submissions are closed.")
    return rnd


def import_submissions(store: PolicyStore, who: Principal, round_id: str, rows: list[dict]) -> dict:
    """Each row: {"submission": {...}} (or its JSON text), for an open round. Unknown enterprises are added as
    applicants. All rows or none; enterprises submit their own, authorities their region's."""
    _nonempty(rows)
    rnd = open_round(store, round_id)
    _, cp = store.published(f"{rnd.policy_id}@{rnd.policy_version}")
    issues, parsed, seen = [], [], set()
    for n, row in enumerate(rows):
        raw = row.get("submission", row)
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                issues.append(Issue("import.submission.malformed", "The submission column is not JSON.", ("rows", n, "submission")))
                continue
        try:
            sub = parse_submission(cp.policy, raw)
        except SubmissionInvalid as exc:
            issues += [Issue(i.code, i.message, ("rows", n, "submission") + i.path) for i in exc.issues]
            continue
        if who.role == ENTERPRISE and sub.uscc != who.enterprise:
            issues.append(_submission_forbidden(n))
            continue
        if sub.uscc in seen:
            issues.append(Issue("import.uscc.duplicate", f"{sub.uscc} is on two rows: keep one.", ("rows", n)))
            continue
        seen.add(sub.uscc)
        parsed.append((n, raw, sub))
    with store.db.write() as session:
        rnd = _open(get_round(session, round_id))  # again inside the transaction: it may have run since
        known = _factories(session, [s.uscc for _, _, s in parsed])
        issues += _outside_registration(who, known, parsed)
        if issues:
            raise ImportInvalid(tuple(issues))  # nothing was written; the transaction rolls back
        count = add_entries(session, rnd, [(raw, sub) for _, raw, sub in parsed], known)
        audit.append(session, who, "round.submissions", round_id, input_digest=audit.sha256(
            json.dumps([r for _, r, _ in parsed], sort_keys=True, ensure_ascii=False).encode("utf-8")))
    return {"round": round_id, "imported": count}


def _submission_forbidden(n: int) -> Issue:
    return Issue("import.submission.forbidden", "This token may not submit for this enterprise or region.",
                 ("rows", n, "submission", "enterprise"))


def _outside_registration(who: Principal, known: dict, parsed: list[tuple[int, dict, object]]) -> list[Issue]:
    """Rows whose factory is registered outside the token's region, or that declare another region than the one
    registered. A registered factory's region decides (a round evaluates and ranks it there, and its entry replaces
    the earlier one): a submission's own claim must not open another region's factory to an authority. An
    enterprise not registered yet is added in the region it declares, which must then be the token's."""
    out = []
    for n, _, sub in parsed:
        registered = known.get(sub.uscc)
        region = registered.region if registered is not None else sub.region
        if who.role != ENTERPRISE and not _in_scope(who, region):
            out.append(_submission_forbidden(n))
        elif registered is not None and sub.region != registered.region:
            out.append(region_mismatch(registered.region, ("rows", n, "submission", "enterprise", "region")))
    return out


def _factories(session: Session, usccs: list[str]) -> dict:
    return {f.uscc: f for part in in_chunks(usccs)
            for f in session.execute(select(Factory).where(Factory.uscc.in_(part))).scalars()}


def add_entries(session: Session, rnd: Round, parsed: list[tuple[dict, object]], known: dict) -> int:
    """Round entries for (raw, submission) pairs, replacing a factory's earlier entry in this round; bulk. known: the
    registered factories of these USCCs (read in this transaction), to which the new ones are added."""
    known = dict(known)
    fresh = [{"uscc": s.uscc, "name": s.name, "region": s.region, "authority": authority_for(s.region), "sector": s.sector,
              "created_at": now()} for _, s in parsed if s.uscc not in known]
    if fresh:
        session.execute(Factory.__table__.insert(), fresh)
        known.update(_factories(session, [f["uscc"] for f in fresh]))
    for pks in in_chunks(known[s.uscc].pk for _, s in parsed):
        session.execute(RoundEntry.__table__.delete().where(RoundEntry.round_pk == rnd.pk, RoundEntry.factory_pk.in_(pks)))
    entries = []
    for raw, sub in parsed:
        f = known[sub.uscc]
        existing = f.national_year is not None and f.national_year < rnd.year and f.removed_year is None
        entries.append({"round_pk": rnd.pk, "factory_pk": f.pk, "role": EXISTING if existing else APPLICANT, "flags": "",
                        "submission": json.dumps(raw, ensure_ascii=False, separators=(",", ":")).encode("utf-8")})
    session.execute(RoundEntry.__table__.insert(), entries)
    return len(entries)


def run(store: PolicyStore, who: Principal, round_id: str, *, session: Session | None = None) -> dict:
    """Evaluate every entry of an open round: one snapshot, every evaluation stored with its trace and audit entry."""
    if session is None:
        with store.db.write() as own:
            return run(store, who, round_id, session=own)
    rnd = get_round(session, round_id)
    if rnd.status != "open":
        raise Conflict("round.already_run", f"Round {round_id} has run already: create a new round.")
    version, cp = store.published(f"{rnd.policy_id}@{rnd.policy_version}")
    rows = session.execute(select(RoundEntry, Factory).join(Factory, Factory.pk == RoundEntry.factory_pk)
                           .where(RoundEntry.round_pk == rnd.pk).order_by(RoundEntry.pk)).all()
    if not rows:  # a run closes the round for good: running it empty would close it with nothing in it
        raise Conflict("round.empty", f"Round {round_id} has no submissions: import them before running it.")
    members = [Member(f.uscc, e.role, f.authority, parse_submission(cp.policy, json.loads(e.submission))) for e, f in rows]
    stamp = now()
    snapshot = f"bs-{rnd.id}-{stamp[:10]}"
    result = run_round(cp, members, snapshot)
    history = _bottoms(session, rnd, [f.pk for _, f in rows])
    evaluations, items, updates = [], [], []
    for (entry, factory), res in zip(rows, result.results):
        blob, received = canonical_json(res.outcome), entry.submission
        eid = str(uuid.uuid4())
        evaluations.append({"id": eid, "policy_version_pk": version.pk, "policy_id": version.policy_id,
                            "policy_version": version.version, "policy_digest": version.digest, "uscc": factory.uscc,
                            "region": factory.region, "sector": res.member.sub.sector, "period": res.member.sub.period,
                            "submission": received, "submission_digest": res.member.sub.digest, "outcome": blob,
                            "outcome_sha256": audit.sha256(blob), "score": str(res.outcome.score), "created_at": stamp,
                            "created_by": who.token_id, "context": context_json(res.baseline, res.sector_best)})
        items.append({"action": "evaluation.create", "subject": eid, "input_digest": audit.sha256(received),
                      "policy_digest": version.digest, "outcome_digest": evaluations[-1]["outcome_sha256"]})
        o, st = res.outcome, res.standing
        removal = removal_reason(o.decided("eligible"), history.get(factory.pk, []) + [res.bottom]) \
            if entry.role == EXISTING else None
        updates.append({"k": entry.pk, "evaluation_id": eid, "score": str(o.score), "eligible": o.decided("eligible"),
                        "meets_baseline": o.decided("meets_regional_baseline"), "recommended": o.decided("recommended"),
                        "rank": st.rank if st else None, "cohort_size": st.size if st else None,
                        "percentile": str(st.percentile) if st else None, "grade": st.grade if st else None,
                        "bottom": res.bottom, "removal": removal,
                        "flags": " ".join(f for f in o.flags if f.split(":")[0] in FLAGS)})
    session.execute(Evaluation.__table__.insert(), evaluations)
    table = RoundEntry.__table__
    if updates:
        session.execute(update(table).where(table.c.pk == _bind("k")).values({c: _bind("v_" + c) for c in updates[0] if c != "k"})
                        .execution_options(synchronize_session=False),
                        [{("v_" + k if k != "k" else k): v for k, v in u.items()} for u in updates])
    if result.baselines:
        session.execute(BaselineSnapshot.__table__.insert(), [
            {"round_pk": rnd.pk, "snapshot": snapshot, "scope": b.scope, "authority": key[0], "sector": key[1],
             "size": b.size, "mean": str(b.mean), "policy_digest": version.digest, "taken_at": stamp}
            for key, b in result.baselines.items()])
    rnd.status, rnd.snapshot, rnd.run_at = "run", snapshot, stamp
    rnd.bests = json.dumps({s: {k: str(v) for k, v in b.best.items()} for s, b in result.bests.items()}).encode("utf-8")
    items.append({"action": "round.run", "subject": rnd.id, "policy_digest": version.digest})
    audit.append_many(session, who, items)
    return {"round": rnd.id, "snapshot": snapshot, "evaluated": len(rows),
            "existing": sum(1 for e, _ in rows if e.role == EXISTING), "baselines": len(result.baselines)}


def _bind(name: str):
    from sqlalchemy import bindparam

    return bindparam(name)


def _bottoms(session: Session, rnd: Round, factory_pks: list[int]) -> dict[int, list]:
    """Per factory, in bottom share or not in each earlier run round, oldest first (None: not evaluated then)."""
    earlier = sorted((r for r in session.execute(select(Round).where(Round.status == "run")).scalars()
                      if version_key(r.id) < version_key(rnd.id)), key=lambda r: version_key(r.id))
    if not earlier:
        return {}
    found = {(e.round_pk, e.factory_pk): e.bottom for e in session.execute(
        select(RoundEntry.round_pk, RoundEntry.factory_pk, RoundEntry.bottom)
        .where(RoundEntry.round_pk.in_([r.pk for r in earlier]), RoundEntry.role == EXISTING))}
    return {pk: [found.get((r.pk, pk)) for r in earlier] for pk in factory_pks}


def record_approval(store: PolicyStore, who: Principal, round_id: str, uscc: str, approved: bool) -> dict:
    """An authority approves or rejects a recommended applicant of its region; approval lists it nationally."""
    with store.db.write() as session:
        rnd = get_round(session, round_id)
        row = session.execute(select(RoundEntry, Factory).join(Factory, Factory.pk == RoundEntry.factory_pk).where(
            RoundEntry.round_pk == rnd.pk, Factory.uscc == uscc)).first()
        if row is None or not who.may_read(row[1].region, uscc):
            raise NotFound("factory.unknown", f"No entry of {uscc} in round {round_id} that this token may decide on.")
        entry, factory = row
        if entry.role != APPLICANT or entry.recommended is not True:
            raise Conflict("approval.not_recommended", "Only a recommended applicant of a run round can be approved.")
        if session.execute(select(Approval).where(Approval.round_pk == rnd.pk, Approval.factory_pk == factory.pk)).first():
            raise Conflict("approval.exists", f"The decision on {uscc} in round {round_id} is recorded already.")
        session.add(Approval(round_pk=rnd.pk, factory_pk=factory.pk, approved=approved, decided_by=who.token_id))
        if approved:
            factory.national_year = rnd.year
        audit.append(session, who, "approval.approve" if approved else "approval.reject", f"{round_id}/{uscc}")
    return {"round": round_id, "uscc": uscc, "approved": approved}


def resolve_flag(store: PolicyStore, who: Principal, evaluation_id: str, flag: str, resolution: str,
                 corrected_by: str | None, note: str) -> dict:
    """A reviewer confirms a flagged value, or records the evaluation of the corrected submission."""
    with store.db.write() as session:
        row = session.execute(select(Evaluation).where(Evaluation.id == evaluation_id)).scalar_one_or_none()
        if row is None or not who.may_read(row.region, row.uscc):
            raise NotFound("evaluation.unknown", f'No evaluation "{evaluation_id}" that this token may read: check the id.')
        if flag not in json.loads(row.outcome)["flags"] or flag.split(":")[0] not in FLAGS:
            raise NotFound("flag.unknown", f'The evaluation has no plausibility flag "{flag}": see its outcome\'s flags.')
        if resolution == "corrected":
            later = session.execute(select(Evaluation).where(Evaluation.id == (corrected_by or ""))).scalar_one_or_none()
            # the correction must be one this reviewer may read too: an id from the body opens nothing outside
            if later is None or later.uscc != row.uscc or not who.may_read(later.region, later.uscc):
                raise NotFound("evaluation.unknown", "corrected_by names no evaluation of the same enterprise: submit"
                               " the corrected data first and give its evaluation id.")
        if session.execute(select(PlausibilityResolution).where(PlausibilityResolution.evaluation_id == evaluation_id,
                                                                PlausibilityResolution.flag == flag)).first():
            raise Conflict("flag.resolved", "This flag is resolved already.")
        session.add(PlausibilityResolution(evaluation_id=evaluation_id, flag=flag, resolution=resolution,
                                           corrected_by=corrected_by if resolution == "corrected" else None, note=note,
                                           resolved_by=who.token_id))
        audit.append(session, who, f"flag.{resolution}", f"{evaluation_id}/{flag}",
                     input_digest=None if resolution == "confirmed" else corrected_by and audit.sha256(corrected_by.encode()))
    return {"evaluation": evaluation_id, "flag": flag, "resolution": resolution, "corrected_by": corrected_by}


def forbid_unless(cond: bool) -> None:
    if not cond:
        raise Forbidden("auth.region.forbidden", "This token's region or enterprise does not cover this.")


def decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)
