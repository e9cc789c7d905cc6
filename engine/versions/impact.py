"""Impact of a policy change over a population: every submission evaluated under version A and under B.

What moves: eligibility and recommendation flips, grade flips (grades ranked within each version's cohort),
the distribution of score deltas (exact quantiles, a histogram), which rules move, breakdowns by key sector and
by recommending authority, and the biggest movers, each with what a comparison of it needs.

Each row is read by each version as engine.versions.compare reads one submission: keys a version does not know are
left out, not refused (project=True). A row either version refuses is counted with its issues, not compared.
Numbers are exact: deltas are whole quanta at the finer of the two policies' places; quantiles interpolate
linearly between order statistics (NumPy's default method) in exact arithmetic; the mean is rounded half-even
to two places more than the scores.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Sequence

import numpy as np

from ..population.columns import bind
from ..population.frame import Frame
from ..population.grade import grade_codes
from ..population.result import NO, UNKNOWN, YES, Population, evaluate_population
from ..scoring.compiled import CompiledPolicy
from ..submission.region import AUTHORITIES, authority_for

QUANTILES = ("0", "0.01", "0.05", "0.25", "0.5", "0.75", "0.95", "0.99", "1")
DECISIONS = {NO: "false", UNKNOWN: "undetermined", YES: "true"}


@dataclass(frozen=True, slots=True)
class Impact:
    before: Population
    after: Population
    summary: dict  # JSON-ready: decimals as strings

    def to_dict(self) -> dict:
        return self.summary


def run_impact(before: CompiledPolicy, after: CompiledPolicy, frame: Frame, *, keys: Sequence | None = None,
               movers: int = 20, grade_by: str = "sector") -> Impact:
    """Bind frame to both versions (keys a version does not know left out), evaluate both, compare."""
    a = evaluate_population(bind(before, frame, project=True))
    b = evaluate_population(bind(after, frame, project=True))
    return impact(a, b, keys=keys, movers=movers, grade_by=grade_by)


def impact(a: Population, b: Population, *, keys: Sequence | None = None, movers: int = 20,
           grade_by: str = "sector") -> Impact:
    """Compare two evaluations of the same frame. keys: what to call row i in movers (default its number,
    1-based). grade_by: "sector" ranks a row among its sector's rows (as engine.cohort), "all" among all."""
    frame = a.cols.frame
    n = frame.n
    places = max(a.cp.policy.rounding_places, b.cp.policy.rounding_places)
    unit = Decimal(1).scaleb(-places)
    sa, sb = _rescaled(a, a.score, places), _rescaled(b, b.score, places)
    both = a.valid & b.valid
    rows = np.flatnonzero(both)
    delta = sb - sa
    sector_codes, sectors = _factorise(frame.sector)
    authority_codes, authorities = _factorise(_authorities(frame.region))
    ga, gb = _grades(a, sa, grade_by, sector_codes), _grades(b, sb, grade_by, sector_codes)
    graded = both & (ga >= 0) & (gb >= 0)
    grade_ids_a = [g.id for g in a.cp.policy.decision.grades]
    grade_ids_b = [g.id for g in b.cp.policy.decision.grades]
    flipped = (a.eligible != b.eligible) | (graded & (np.array(grade_ids_a + [""], dtype=object)[ga] !=
                                                      np.array(grade_ids_b + [""], dtype=object)[gb]))
    d = delta[rows]
    summary = {
        "from": _stamp(a), "to": _stamp(b),
        "population": {"rows": n, "compared": int(both.sum()),
                       "refused": {a.cp.policy.ref: int((~a.valid).sum()), b.cp.policy.ref: int((~b.valid).sum())},
                       "issues": _issues(a, b, keys)},
        "score_delta": {"up": int((d > 0).sum()), "down": int((d < 0).sum()), "unchanged": int((d == 0).sum()),
                        "mean": _mean(d, unit), "quantiles": _quantiles(d, unit), "histogram": _histogram(d, unit)},
        "flips": {"eligible": _matrix(a.eligible[rows], b.eligible[rows]),
                  "recommended": _matrix(a.recommended[rows], b.recommended[rows]),
                  "pass_to_fail": int(((a.eligible == YES) & (b.eligible == NO))[rows].sum()),
                  "fail_to_pass": int(((a.eligible == NO) & (b.eligible == YES))[rows].sum())},
        "grades": _grade_summary(ga, gb, grade_ids_a, grade_ids_b, both, graded, grade_by),
        "rules": _rules(a, b, rows, places, unit),
        "by_sector": _breakdown(sector_codes, sectors, rows, d, flipped, unit, "sector"),
        "by_authority": _breakdown(authority_codes, authorities, rows, d, flipped, unit, "authority"),
        "movers": _movers(a, b, rows, delta, ga, gb, grade_ids_a, grade_ids_b, keys, movers, unit),
    }
    for item in summary["by_authority"]:
        authority = AUTHORITIES.get(item["authority"])
        item["name"] = {"zh": authority.label.zh, "en": authority.label.en} if authority else None
    return Impact(a, b, summary)


def _stamp(p: Population) -> dict:
    return {"policy": p.cp.policy.ref, "digest": p.cp.policy.digest}


def _rescaled(p: Population, q: np.ndarray, places: int) -> np.ndarray:
    return q * 10 ** (places - p.cp.policy.rounding_places)


def _authority(region) -> str | None:
    try:
        return authority_for(region)
    except (ValueError, TypeError):
        return None


def _authorities(regions: Sequence) -> list:
    """_authority of each region, worked out once per distinct region code."""
    memo: dict = {}
    out = []
    for region in regions:
        if type(region) is not str:  # not a code (a row intake refuses), and maybe not hashable
            out.append(_authority(region))
            continue
        found = memo.get(region, memo)
        if found is memo:
            found = memo[region] = _authority(region)
        out.append(found)
    return out


def _factorise(values: Sequence) -> tuple[np.ndarray, list]:
    index: dict = {}
    # a refused row may carry a list or an object as its sector: one shared key, never a crash
    codes = np.array([index.setdefault(v if v is None or isinstance(v, (str, int)) else "?", len(index))
                      for v in values], dtype=np.int64)
    return codes, list(index)


def _grades(p: Population, scores: np.ndarray, grade_by: str, sector_codes: np.ndarray) -> np.ndarray:
    grades = p.cp.policy.decision.grades
    if grade_by == "all":
        return grade_codes(scores, p.valid, grades)
    if grade_by != "sector":
        raise ValueError(f'grade_by is "sector" or "all", not "{grade_by}"')
    out = np.full(len(scores), -1, dtype=np.int64)
    for code in np.unique(sector_codes[p.valid]):
        members = p.valid & (sector_codes == code)
        out[members] = grade_codes(scores, members, grades)[members]
    return out


def _issues(a: Population, b: Population, keys, limit: int = 20) -> list[dict]:
    """The first rows each version refused, with every issue."""
    out = []
    for p in (a, b):
        for row, issues in sorted(p.cols.issues.items())[:limit]:
            out.append({"row": row + 1, "key": keys[row] if keys is not None else row + 1, "policy": p.cp.policy.ref,
                        "issues": [{"code": i.code, "path": i.json_path(), "message": i.message} for i in issues]})
    return out[:limit]


def _exact(quanta_value: Fraction | int, unit: Decimal) -> str:
    """A number of quanta as a decimal: at the scores' places when whole, with the digits it needs when not."""
    value = Fraction(quanta_value)
    if value.denominator == 1:
        return str(Decimal(value.numerator) * unit)
    number = Decimal(value.numerator) / Decimal(value.denominator) * unit  # denominators here divide 100: exact
    return str(number.normalize())


def _mean(d: np.ndarray, unit: Decimal) -> str | None:
    if len(d) == 0:
        return None
    total = int(d.sum(dtype=np.int64))
    return str((Decimal(total) * unit / Decimal(len(d))).quantize(unit.scaleb(-2), rounding=ROUND_HALF_EVEN))


def _quantiles(d: np.ndarray, unit: Decimal) -> dict:
    if len(d) == 0:
        return {}
    x = np.sort(d)
    out = {}
    for q in QUANTILES:
        h = (len(x) - 1) * Fraction(q)
        j = int(h)
        value = int(x[j]) + (h - j) * (int(x[min(j + 1, len(x) - 1)]) - int(x[j]))
        out[q] = _exact(value, unit)
    return out


def _histogram(d: np.ndarray, unit: Decimal, most: int = 24) -> dict:
    """Bins [edge_k, edge_k+1) of a round width (1, 2 or 5 times a power of ten, in quanta)."""
    if len(d) == 0:
        return {"edges": [], "counts": []}
    lo, hi = int(d.min()), int(d.max())
    width = 1
    while (hi - lo) // width + 1 > most:  # 1, 2, 5, 10, 20, 50, ... quanta
        width = _next_round(width)
    start = (lo // width) * width
    counts = np.bincount((d - start) // width)
    edges = [start + k * width for k in range(len(counts) + 1)]
    return {"edges": [str(Decimal(e) * unit) for e in edges], "counts": counts.tolist()}


def _next_round(width: int) -> int:
    magnitude = 10 ** (len(str(width)) - 1)
    lead = width // magnitude
    return {1: 2, 2: 5, 5: 10}[lead] * magnitude


def _text(value) -> str | None:
    return None if value is None else str(value)


def _matrix(x: np.ndarray, y: np.ndarray) -> dict:
    out: dict = {}
    for u in (YES, NO, UNKNOWN):
        for v in (YES, NO, UNKNOWN):
            count = int(((x == u) & (y == v)).sum())
            if count:
                out.setdefault(DECISIONS[u], {})[DECISIONS[v]] = count
    return out


def _grade_summary(ga, gb, ids_a, ids_b, both, graded, grade_by: str) -> dict:
    def distribution(codes, ids) -> dict:
        return {gid: int(((codes == k) & both).sum()) for k, gid in enumerate(ids)}
    moves: dict = {}
    changed = 0
    for u, gu in enumerate(ids_a):
        for v, gv in enumerate(ids_b):
            count = int((graded & (ga == u) & (gb == v)).sum())
            if count:
                moves.setdefault(gu, {})[gv] = count
                changed += count if gu != gv else 0
    return {"ranked_within": grade_by, "from": distribution(ga, ids_a), "to": distribution(gb, ids_b),
            "matrix": moves, "changed": changed}


def _rule_points(p: Population, places: int) -> dict:
    return {cr.rule.id: _rescaled(p, s.points, places) for cr, s in zip(p.cp.rules, p.rules)}


def _rules(a: Population, b: Population, rows: np.ndarray, places: int, unit: Decimal) -> list[dict]:
    pa, pb = _rule_points(a, places), _rule_points(b, places)
    out = []
    for rule in dict.fromkeys([*pa, *pb]):
        x = pa[rule][rows] if rule in pa else np.zeros(len(rows), np.int64)
        y = pb[rule][rows] if rule in pb else np.zeros(len(rows), np.int64)
        d = y - x
        out.append({"rule": rule, "in": [p.cp.policy.ref for p, pts in ((a, pa), (b, pb)) if rule in pts],
                    "changed": int((d != 0).sum()), "mean_delta": _mean(d, unit),
                    "min_delta": str(Decimal(int(d.min())) * unit) if len(d) else None,
                    "max_delta": str(Decimal(int(d.max())) * unit) if len(d) else None})
    return out


def _breakdown(codes, names, rows, d, flipped, unit: Decimal, label: str) -> list[dict]:
    c = codes[rows]
    out = []
    for k in np.unique(c):
        mine = c == k
        dk = d[mine]
        out.append({label: names[k], "rows": int(mine.sum()), "mean_delta": _mean(dk, unit),
                    "up": int((dk > 0).sum()), "down": int((dk < 0).sum()),
                    "flips": int(flipped[rows][mine].sum())})
    return sorted(out, key=lambda item: (-item["rows"], str(item[label])))


def _movers(a, b, rows, delta, ga, gb, ids_a, ids_b, keys, limit: int, unit: Decimal) -> list[dict]:
    frame = a.cols.frame
    d = delta[rows]
    order = rows[np.lexsort((rows, -np.abs(d)))][:limit]  # biggest |delta| first, then row order
    pa = {cr.rule.id: s.points for cr, s in zip(a.cp.rules, a.rules)}
    pb = {cr.rule.id: s.points for cr, s in zip(b.cp.rules, b.rules)}
    out = []
    for i in order.tolist():
        rule_moves = []
        for rule in dict.fromkeys([*pa, *pb]):
            x = a.number(pa[rule][i]) if rule in pa else None
            y = b.number(pb[rule][i]) if rule in pb else None
            change = (y or 0) - (x or 0)
            if change or (x is None) != (y is None):
                rule_moves.append((abs(change), rule, x, y, change))
        rule_moves.sort(key=lambda m: (-m[0], m[1]))
        out.append({
            "row": i + 1, "key": keys[i] if keys is not None else i + 1, "uscc": frame.uscc[i], "name": frame.name[i],
            "sector": frame.sector[i], "region": frame.region[i], "authority": _authority(frame.region[i]),
            "from": {"score": str(a.number(a.score[i])), "eligible": DECISIONS[int(a.eligible[i])],
                     "grade": ids_a[ga[i]] if ga[i] >= 0 else None},
            "to": {"score": str(b.number(b.score[i])), "eligible": DECISIONS[int(b.eligible[i])],
                   "grade": ids_b[gb[i]] if gb[i] >= 0 else None},
            "delta": str(Decimal(int(delta[i])) * unit),
            "rules": [{"rule": r, "from": _text(x), "to": _text(y), "delta": str(change)}
                      for _, r, x, y, change in rule_moves[:3]],
        })
    return out
