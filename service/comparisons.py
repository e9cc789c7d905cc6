"""What a policy change does, over HTTP: the diff of two versions, one submission under both, a population under
both (stored submissions or inline ones). The engine does the work (engine.versions.diff, engine.versions.compare, engine.versions.impact);
this module resolves versions, scopes stored data to the caller and loads it.

Who may do what:
- any role reads the diff of versions it can read; only policy admins see drafts, here as everywhere;
- a comparison is of an inline submission or a stored evaluation: an enterprise's own, a reviewer's or an
  authority's within their region, anything for a policy admin;
- an impact run over stored submissions: policy admins over all of them (filtered or not), reviewers and
  authorities over their own region only; over inline submissions: policy admins, reviewers and authorities
  (every submission within their region). Enterprises run none.
Only policy admins may name a draft: the point is to see what a change does before it is published.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

import orjson
from flask import current_app
from sqlalchemy import func, select

from engine import CompiledPolicy, Issue, SubmissionInvalid
from engine.policy import parse_ref
from engine.population import frame_of
from engine.versions import compare, diff_policies, run_impact

from .auth import ENTERPRISE, POLICY_ADMIN, REGIONAL, Principal, region_prefix
from .errors import Forbidden, NotFound, Unprocessable
from .models import Evaluation
from .policy_store import PolicyStore

INLINE_LIMIT = 5000  # submissions in one impact request (the body limit usually comes first)


def version(store: PolicyStore, who: Principal, ref: str) -> CompiledPolicy:
    """A version by id@version (or a bare id: the latest published); drafts only for policy admins."""
    policy_id, number = parse_ref(ref)
    if who.role != POLICY_ADMIN or number is None:
        return store.published(ref)[1]
    with store.db.read() as session:
        row = store.version(session, policy_id, number, drafts=True)
        return store.compiled(row)


def diff(store: PolicyStore, who: Principal, before: str, after: str) -> dict:
    a, b = version(store, who, before).policy, version(store, who, after).policy
    changes = diff_policies(a, b)
    counts: dict = {}
    for c in changes:
        counts[c.kind] = counts.get(c.kind, 0) + 1
    return {"from": _stamp(a), "to": _stamp(b), "counts": counts, "changes": [c.to_dict(a, b) for c in changes]}


def comparison(store: PolicyStore, who: Principal, before: str, after: str, submission=None,
               evaluation_id: str | None = None) -> dict:
    a, b = version(store, who, before), version(store, who, after)
    if (submission is None) == (evaluation_id is None):
        raise Unprocessable("request.comparison.subject", "Send either a submission or the id of a stored evaluation.",
                            [{"code": "request.comparison.subject", "message": "one of the two", "path": "$"}])
    where = ("submission",)
    if evaluation_id is not None:
        submission = _stored(store, who, evaluation_id)
        where = ("evaluation",)
    else:
        _may_submit(who, submission)
    try:
        result = compare(a, b, submission)
    except SubmissionInvalid as exc:  # locate the issues in the request body
        raise SubmissionInvalid(tuple(Issue(i.code, i.message, where + i.path, i.location) for i in exc.issues)) from None
    out = result.to_dict()
    if evaluation_id is not None:
        out["evaluation"] = evaluation_id
    return out


def impact(store: PolicyStore, who: Principal, args: dict) -> dict:
    a, b = version(store, who, args["from"]), version(store, who, args["to"])
    inline = args.get("submissions")
    if inline is not None:
        if who.role == ENTERPRISE:
            raise Forbidden("auth.role.forbidden", "An enterprise token cannot run an impact: ask the policy office.")
        if len(inline) > INLINE_LIMIT:
            raise Unprocessable("request.impact.too_many", f"Send at most {INLINE_LIMIT} submissions inline; for more,"
                                " run over the stored submissions or use greenfactory impact.")
        for s in inline:
            _may_submit(who, s)
        raws, keys = inline, [f"/submissions/{i}" for i in range(len(inline))]
        frame = frame_of(raws)
    else:
        keys, frame = _population(store, who, args.get("filter") or {})
    result = run_impact(a, b, frame, keys=keys, movers=args["movers"], grade_by=args["grade_by"]).to_dict()
    for mover in result["movers"]:
        body = {"from": a.policy.ref, "to": b.policy.ref}
        if inline is None:
            mover["evaluation"] = mover["key"]
            body["evaluation"] = mover["key"]
        else:
            body["submission"] = inline[mover["row"] - 1]
        mover["comparison"] = {"method": "POST", "href": "/api/v1/comparisons", "body": body}
    result["population"]["source"] = "inline" if inline is not None else {"stored": args.get("filter") or {}}
    return result


def _stamp(policy) -> dict:
    return {"policy": policy.ref, "digest": policy.digest}


def _within(who: Principal, region) -> bool:
    return isinstance(region, str) and who.region is not None and region.startswith(region_prefix(who.region))


def _may_submit(who: Principal, submission) -> None:
    """An enterprise compares its own submissions; reviewers and authorities those of their region."""
    ent = submission.get("enterprise") if isinstance(submission, dict) else None
    ent = ent if isinstance(ent, dict) else {}
    uscc, region = ent.get("uscc"), ent.get("region")  # missing ones: intake refuses the submission, with the issue
    if who.role == ENTERPRISE and isinstance(uscc, str) and uscc != who.enterprise:
        raise Forbidden("auth.enterprise.mismatch", "An enterprise token compares its own submissions only: the"
                        " submission's enterprise.uscc must be the token's.")
    if who.role in REGIONAL and isinstance(region, str) and not _within(who, region):
        raise Forbidden("auth.region.forbidden", f"A {who.role} token works within its region ({who.region}): the"
                        " submission's enterprise.region is outside it.")


def _stored(store: PolicyStore, who: Principal, evaluation_id: str) -> dict:
    with store.db.read() as session:
        row = session.execute(select(Evaluation).where(Evaluation.id == evaluation_id)).scalar_one_or_none()
    if row is None or not (who.role == POLICY_ADMIN or who.may_read(row.region, row.uscc)):
        raise NotFound("evaluation.unknown", f'No evaluation "{evaluation_id}" that this token may read: check the id.')
    return orjson.loads(row.submission)


class FrameCache:
    """The frames of the last few stored populations. Evaluations are only ever added, so a population is known by
    its filter and the newest evaluation and count it holds: while those stay, its frame (the costly part of a
    run: reading and checking every submission) is reused, and trying one draft after another costs only the
    evaluation under each."""

    def __init__(self, size: int = 2):
        self.size, self._items, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def _frames() -> FrameCache:
    return current_app.extensions.setdefault("greenfactory.frames", FrameCache())


def _population(store: PolicyStore, who: Principal, wanted: dict) -> tuple[list, object]:
    """The latest stored submission of each enterprise and period, within the caller's scope and the filter: their
    evaluation ids and their frame."""
    region = wanted.get("region")
    if who.role in REGIONAL:
        region = region or who.region
        if not _within(who, region):
            raise Forbidden("auth.region.forbidden", f"A {who.role} token works within its region ({who.region}):"
                            " filter by a region inside it.")
    elif who.role != POLICY_ADMIN:
        raise Forbidden("auth.role.forbidden", "Only policy admins, reviewers and authorities run an impact.")
    query = select(Evaluation.id, Evaluation.uscc, Evaluation.period, Evaluation.submission) \
        .order_by(Evaluation.pk.desc())
    if region:
        query = query.where(Evaluation.region.startswith(region_prefix(region), autoescape=True))
    if wanted.get("sector"):
        query = query.where(Evaluation.sector == wanted["sector"])
    if wanted.get("period"):
        query = query.where(Evaluation.period == wanted["period"])
    if wanted.get("policy"):
        policy_id, number = parse_ref(wanted["policy"])
        query = query.where(Evaluation.policy_id == policy_id)
        if number:
            query = query.where(Evaluation.policy_version == number)
    seen, raws, keys = set(), [], []
    with store.db.read() as session:
        newest = session.execute(query.with_only_columns(func.max(Evaluation.pk), func.count()).order_by(None)).one()
        key = (region and region_prefix(region), wanted.get("sector"), wanted.get("period"), wanted.get("policy"),
               tuple(newest))
        cached = _frames().get(key)
        if cached is not None:
            return cached
        for eid, uscc, period, blob in session.execute(query):
            if (uscc, period) in seen:
                continue
            seen.add((uscc, period))
            raws.append(orjson.loads(blob))
            keys.append(eid)
    found = (keys[::-1], frame_of(raws[::-1]))  # oldest first, as stored
    _frames().put(key, found)
    return found
