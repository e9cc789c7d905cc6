"""Load the demo population (engine.testing.demo) into an empty database: factories, three rounds run in order with
every evaluation stored (outcome, trace, audit entry), the ministry's approvals of recommended applicants, and the
removals the rounds flag. One transaction, bulk inserts; skipped when the database has factories already.
"""
from __future__ import annotations

import json
import sys
import time
from typing import Callable

from sqlalchemy import func, select, update

from engine.cohort import APPLICANT, EXISTING
from engine.submission import authority_for
from engine.testing import ROUNDS, Reporter, applies, approves, population

from . import audit, cohorts
from .auth import SYSTEM
from .cohort_models import Approval, Factory, Round, RoundEntry
from .models import now
from .policy_store import PolicyStore

DEFAULT_FACTORIES = 10_000
DEFAULT_SEED = 2025
POLICY = "green-factory"


def _say(message: str) -> None:
    print(f"greenfactory: {message}", file=sys.stderr, flush=True)


def load(store: PolicyStore, *, factories: int = DEFAULT_FACTORIES, seed: int = DEFAULT_SEED, policy: str = POLICY,
         say: Callable[[str], None] = _say) -> dict | None:
    """The demo population in one transaction; None (nothing done) when the database has factories already."""
    with store.db.read() as session:
        if session.scalar(select(func.count()).select_from(Factory)):
            return None
    version, cp = store.published(policy)
    started = time.perf_counter()
    people = population(cp.policy, factories, seed)
    reporter = Reporter(cp.policy)
    summary = {"factories": len(people), "rounds": [], "policy": version.ref}
    with store.db.write() as session:
        stamp = now()
        session.execute(Factory.__table__.insert(), [
            {"uscc": f["uscc"], "name": f["name"], "region": f["region"], "authority": authority_for(f["region"]),
             "sector": f["sector"], "provincial_year": f.get("provincial_year"), "national_year": f.get("national_year"),
             "removed_year": None, "created_at": stamp} for f in people])
        pks = dict(session.execute(select(Factory.uscc, Factory.pk)).all())
        state = {f["uscc"]: [f.get("national_year"), None] for f in people}  # national year, removed year
        audit.append(session, SYSTEM, "factory.import", f"demo {len(people)} factories seed {seed}")
        for year in ROUNDS:
            rnd = Round(id=str(year), year=year, policy_id=version.policy_id, policy_version=version.version, status="open")
            session.add(rnd)
            session.flush()
            entries = []
            for f in people:
                national, removed = state[f["uscc"]]
                existing = national is not None and national < year and removed is None
                if existing or (national is None and applies(f, year, seed)):
                    raw = reporter.submission(f, year, seed)
                    entries.append({"round_pk": rnd.pk, "factory_pk": pks[f["uscc"]], "role": EXISTING if existing
                                    else APPLICANT, "flags": "", "submission": json.dumps(
                                        raw, ensure_ascii=False, separators=(",", ":")).encode("utf-8")})
            session.execute(RoundEntry.__table__.insert(), entries)
            audit.append(session, SYSTEM, "round.create", rnd.id, policy_digest=version.digest)
            done = cohorts.run(store, SYSTEM, rnd.id, session=session)
            decided = _decide(session, rnd, people, state, seed, year)
            summary["rounds"].append({**done, **decided})
            say(f"demo round {year}: {done['evaluated']} evaluated ({done['existing']} existing), {decided['approved']}"
                f" approved, {decided['removed']} removed; {time.perf_counter() - started:.0f} s")
    summary["seconds"] = round(time.perf_counter() - started, 1)
    return summary


def _decide(session, rnd: Round, people: list[dict], state: dict, seed: int, year: int) -> dict:
    """The ministry's decisions after a round: approve recommended applicants, remove flagged existing factories."""
    by_uscc = {f["uscc"]: f for f in people}
    rows = session.execute(select(Factory.pk, Factory.uscc, RoundEntry.role, RoundEntry.recommended, RoundEntry.removal)
                           .join(RoundEntry, RoundEntry.factory_pk == Factory.pk).where(RoundEntry.round_pk == rnd.pk)).all()
    approvals, listed, removed, items = [], [], [], []
    for r in rows:
        if r.role == APPLICANT and r.recommended:
            ok = approves(by_uscc[r.uscc], year, seed)
            approvals.append({"round_pk": rnd.pk, "factory_pk": r.pk, "approved": ok, "decided_by": SYSTEM.token_id,
                              "decided_at": now()})
            items.append({"action": "approval.approve" if ok else "approval.reject", "subject": f"{rnd.id}/{r.uscc}"})
            if ok:
                listed.append(r.pk)
                state[r.uscc][0] = year
        elif r.role == EXISTING and r.removal:
            removed.append(r.pk)
            state[r.uscc][1] = year
            items.append({"action": "factory.remove", "subject": f"{rnd.id}/{r.uscc}"})
    if approvals:
        session.execute(Approval.__table__.insert(), approvals)
    for pks, values in ((listed, {"national_year": year}), (removed, {"removed_year": year})):
        for start in range(0, len(pks), 500):
            session.execute(update(Factory).where(Factory.pk.in_(pks[start:start + 500])).values(**values)
                            .execution_options(synchronize_session=False))
    audit.append_many(session, SYSTEM, items)
    return {"recommended": len(approvals), "approved": len(listed), "removed": len(removed)}


def export(policy, factories: int, seed: int) -> bytes:
    """The generated population and every round's self-reports as JSON lines: the same bytes for the same inputs.
    Which factories report in a later round depends on earlier approvals; here every applicant's first round is
    written, and every factory listed before the first round reports in every round."""
    reporter = Reporter(policy)
    out = []
    for f in population(policy, factories, seed):
        out.append({"factory": f})
        for year in ROUNDS:
            if (f.get("national_year") or 9999) < year or f.get("apply_year") == year:
                out.append({"round": str(year), "submission": reporter.submission(f, year, seed)})
    return b"".join(json.dumps(o, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8") + b"\n"
                    for o in out)
