"""Checks on a schema-valid policy that JSON Schema cannot express: sums, references, thresholds."""
from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any, Callable, Iterator

from ..issue import Issue, Location, did_you_mean

Locate = Callable[[tuple, bool], Location]
# what reading a schema-invalid document can raise; only caught in tolerant mode
CHECK_ERRORS = (KeyError, TypeError, IndexError, AttributeError, ValueError, ArithmeticError)


def semantic_issues(doc: dict, locate: Locate, *, tolerant: bool = False) -> list[Issue]:
    """Every check's issues. tolerant: the document failed its schema, so a check that meets a
    missing or mistyped value is skipped instead of failing, and the others still report."""
    out: list[Issue] = []
    try:
        checker = _Checker(doc, locate)
        groups = checker.groups()
    except CHECK_ERRORS:
        if not tolerant:
            raise
        return out
    for group in groups:
        try:
            for issue in group():
                out.append(issue)
        except CHECK_ERRORS:
            if not tolerant:
                raise
    return out


class _Checker:
    def __init__(self, doc: dict, locate: Locate):
        self.doc = doc
        self.locate = locate
        self.pillars = {p["id"] for p in doc["pillars"]}
        self.inputs = set(doc["inputs"])
        self.facts = doc.get("facts") or {}
        self.products = {p["id"] for p in doc.get("products", [])}
        self.sectors = {s["id"]: s for s in doc.get("sectors", [])}
        self.sources = {s["id"] for s in doc["sources"]}
        self.indicators = {i["id"]: i for i in doc["indicators"]}

    def issue(self, code: str, message: str, path: tuple, key: bool = False) -> Issue:
        return Issue(code, message, path, self.locate(path, key))

    def ref(self, kind: str, value: str, known, path: tuple, key: bool = False) -> Iterator[Issue]:
        if value not in known:
            yield self.issue(f"policy.ref.{kind}", f'Unknown {kind} "{value}".{did_you_mean(value, known)}'
                             f" Declare it or fix the name.", path, key)

    def groups(self) -> list[Callable[[], Iterator[Issue]]]:
        """Independent checks: in tolerant mode one failing to read the document spares the rest."""
        out: list[Callable[[], Iterator[Issue]]] = [self.unique_ids, self.metadata, self.points, self.sector_refs]
        out += [partial(self.indicator, i, ind) for i, ind in enumerate(self.doc["indicators"])]
        out += [partial(self.gate, g, gate) for g, gate in enumerate(self.doc.get("gates", []))]
        return out + [self.bonus, self.decision, self.overrides]

    def indicator(self, i: int, ind: dict) -> Iterator[Issue]:
        base = ("indicators", i)
        yield from self.ref("pillar", ind["pillar"], self.pillars, base + ("pillar",))
        if "applies_when" in ind:
            yield from self.condition(ind["applies_when"], base + ("applies_when",))
        for rule_path, rule, points in self.rules(ind, base):
            yield from self.metrics(ind["id"], rule, rule_path, points)

    def gate(self, g: int, gate: dict) -> Iterator[Issue]:
        yield from self.condition(gate["pass_when"], ("gates", g, "pass_when"))
        if "source" in gate:
            yield from self.ref("source", gate["source"]["ref"], self.sources, ("gates", g, "source", "ref"))

    # -- identity and metadata -------------------------------------------------------------
    def unique_ids(self) -> Iterator[Issue]:
        lists: list[tuple] = [("sources",), ("pillars",), ("indicators",), ("products",), ("sectors",), ("gates",)]
        if "bonus" in self.doc:
            lists.append(("bonus", "items"))
        for i, ind in enumerate(self.doc["indicators"]):
            lists.append(("indicators", i, "parts"))
        for path in lists:
            seen: set = set()
            items = self._get(path) or []
            for n, item in enumerate(items):
                if item["id"] in seen:
                    yield self.issue("policy.id.duplicate", f'The id "{item["id"]}" is used twice here: rename one.',
                                     path + (n, "id"))
                seen.add(item["id"])

    def metadata(self) -> Iterator[Issue]:
        eff = self.doc["effective"]
        if "until" in eff and eff["until"] < eff["from"]:
            yield self.issue("policy.effective.order", "The effective period ends before it starts: swap or fix the dates.",
                             ("effective", "until"))
        for name, spec in self.doc["inputs"].items():  # a plausible range lies within what may be reported
            low, high = spec.get("plausible", {}).get("min"), spec.get("plausible", {}).get("max")
            if (low is not None and high is not None and low > high) or (low is not None and spec.get("max") is not None
                                                                         and low > spec["max"]) or (
                    high is not None and spec.get("min") is not None and high < spec["min"]):
                yield self.issue("policy.plausible.range", f'The plausible range of "{name}" is empty or outside its'
                                 " min/max: make plausible.min ≤ plausible.max, within min and max.", ("inputs", name, "plausible"))
        for f, fact in self.facts.items():
            if "values" in fact and fact["type"] != "string":
                yield self.issue("policy.fact.values", f'Fact "{f}" lists values but is not of type string: remove values or make it a string.',
                                 ("facts", f, "values"))

    # -- points ----------------------------------------------------------------------------
    def points(self) -> Iterator[Issue]:
        total = Decimal(self.doc["scoring"]["total_points"])
        declared = sum((Decimal(i["points"]) for i in self.doc["indicators"]), Decimal(0))
        if declared != total:
            yield self.issue("policy.points.total", f"Indicator points add up to {declared}, but total_points is {total}:"
                             " change indicator points or the total.", ("scoring", "total_points"))
        per_pillar: dict[str, Decimal] = {}
        for ind in self.doc["indicators"]:
            per_pillar[ind["pillar"]] = per_pillar.get(ind["pillar"], Decimal(0)) + Decimal(ind["points"])
        for n, pillar in enumerate(self.doc["pillars"]):
            got = per_pillar.get(pillar["id"], Decimal(0))
            if got != Decimal(pillar["points"]):
                yield self.issue("policy.points.pillar", f'Pillar "{pillar["id"]}" declares {pillar["points"]} points but its'
                                 f" indicators add up to {got}: make them agree.", ("pillars", n, "points"))
        for n, ind in enumerate(self.doc["indicators"]):
            parts_total = sum((Decimal(p["points"]) for p in ind.get("parts", [])), Decimal(0))
            if "parts" in ind and parts_total != Decimal(ind["points"]):
                yield self.issue("policy.points.parts", f'The parts of "{ind["id"]}" add up to {parts_total},'
                                 f' not its {ind["points"]} points: make them agree.', ("indicators", n, "points"))
        pillar_total = sum((Decimal(p["points"]) for p in self.doc["pillars"]), Decimal(0))
        for n, con in enumerate(self.doc.get("constraints", [])):
            for m, pid in enumerate(con["pillars"]):
                yield from self.ref("pillar", pid, self.pillars, ("constraints", n, "pillars", m))
            share_points = sum((Decimal(p["points"]) for p in self.doc["pillars"] if p["id"] in con["pillars"]), Decimal(0))
            if pillar_total and share_points / pillar_total < Decimal(con["min_share"]):
                yield self.issue("policy.constraint.share", f'Constraint "{con["id"]}": pillars {", ".join(con["pillars"])} carry'
                                 f" {share_points} of {pillar_total} points, less than the required share {con['min_share']}:"
                                 " move points to them or lower min_share.", ("constraints", n, "min_share"))

    def rules(self, ind: dict, base: tuple) -> Iterator[tuple[tuple, dict, Decimal]]:
        if "parts" in ind:
            for n, part in enumerate(ind["parts"]):
                yield base + ("parts", n), part, Decimal(part["points"])
        else:
            yield base, ind, Decimal(ind["points"])

    # -- metrics and thresholds -------------------------------------------------------------
    def metrics(self, indicator_id: str, rule: dict, path: tuple, points: Decimal) -> Iterator[Issue]:
        metrics = rule["metrics"]
        seen: set = set()
        for n, metric in enumerate(metrics):
            mpath = path + ("metrics", n)
            if metric["id"] in seen:
                yield self.issue("policy.id.duplicate", f'The metric id "{metric["id"]}" is used twice in this rule: rename one.',
                                 mpath + ("id",))
            seen.add(metric["id"])
            unconditional = metric["basis"] != "product" and "when" not in metric
            if unconditional and n < len(metrics) - 1:
                yield self.issue("policy.metric.unreachable", f'Metric "{metric["id"]}" always applies, so the alternatives after it'
                                 " never do: give it a `when` or move it last.", mpath + ("id",))
            if "when" in metric:
                yield from self.condition(metric["when"], mpath + ("when",))
            if metric["basis"] == "input":
                yield from self.ref("input", metric["input"], self.inputs, mpath + ("input",))
            if metric["method"] == "count":
                if Decimal(metric["per_case"]) > points:
                    yield self.issue("policy.points.per_case", f"One case earns {metric['per_case']} points, more than the rule's"
                                     f" {points}: lower per_case.", mpath + ("per_case",))
                continue
            yield from self.tiers(metric, mpath)
            yield from self.thresholds(metric, mpath, points)

    def tiers(self, metric: dict, mpath: tuple) -> Iterator[Issue]:
        if "tier" not in metric:
            return
        by = metric["tier"]["by"]
        if by.startswith("data."):
            yield from self.ref("input", by[5:], self.inputs, mpath + ("tier", "by"))
        yield from self.ranges(metric["tier"]["tiers"], mpath + ("tier", "tiers"), "tier")

    def ranges(self, items: list, path: tuple, what: str) -> Iterator[Issue]:
        """Contiguous [min, max) ranges, ascending, only the last open-ended."""
        for n, item in enumerate(items):
            if "max" in item and Decimal(item["max"]) <= Decimal(item["min"]):
                yield self.issue(f"policy.{what}.empty", f"This {what}'s max is not above its min: fix the bounds.", path + (n, "max"))
            if "max" not in item and n < len(items) - 1:
                yield self.issue(f"policy.{what}.open", f"Only the last {what} may omit max: add max here.", path + (n,), True)
        for n in range(1, len(items)):
            prev, cur = items[n - 1], items[n]
            if "max" not in prev:
                continue
            pmax, cmin = Decimal(prev["max"]), Decimal(cur["min"])
            if cmin > pmax:
                yield self.issue(f"policy.{what}.gap", f"Values from {pmax} up to {cmin} fall in no {what}: make this min equal the"
                                 " previous max.", path + (n, "min"))
            elif cmin < pmax:
                yield self.issue(f"policy.{what}.overlap", f"This {what} starts at {cmin}, inside the previous one (up to {pmax}):"
                                 " make this min equal the previous max, in ascending order.", path + (n, "min"))

    def thresholds(self, metric: dict, mpath: tuple, points: Decimal) -> Iterator[Issue]:
        tiers = [t["id"] for t in metric.get("tier", {}).get("tiers", [])]
        seen: dict = {}
        general_tiers: set = set()
        for n, row in enumerate(metric["thresholds"]):
            rpath = mpath + ("thresholds", n)
            yield from self.ref("source", row["source"]["ref"], self.sources, rpath + ("source", "ref"))
            if "sector" in row:
                yield from self.ref("sector", row["sector"], self.sectors, rpath + ("sector",))
            if metric["basis"] == "product":
                if "product" not in row:
                    yield self.issue("policy.threshold.product_required", "Rows of a per-product metric name a product: add product.",
                                     rpath, True)
                else:
                    yield from self.ref("product", row["product"], self.products, rpath + ("product",))
            elif "product" in row:
                yield self.issue("policy.threshold.product_unexpected", "Only per-product metrics have product rows: remove product.",
                                 rpath + ("product",), True)
            if tiers:
                if "tier" not in row:
                    yield self.issue("policy.threshold.tier_required", f"This metric is tiered: add a tier ({', '.join(tiers)}).", rpath, True)
                else:
                    yield from self.ref("tier", row["tier"], tiers, rpath + ("tier",))
            elif "tier" in row:
                yield self.issue("policy.threshold.tier_unexpected", "This metric has no tiers: remove tier, or declare tiers.",
                                 rpath + ("tier",), True)
            key = (row.get("sector"), row.get("product"), row.get("tier"))
            if key in seen:
                yield self.issue("policy.threshold.duplicate", f"A row for the same selection is at line {seen[key].line}: keep one.",
                                 rpath, True)
            seen.setdefault(key, self.locate(rpath, True))
            if "sector" not in row:
                general_tiers.add(row.get("tier"))
            yield from self.row_values(metric, row, rpath, points)
        if metric["basis"] == "input":
            for tier in tiers or [None]:
                if tier not in general_tiers:
                    what = f' for tier "{tier}"' if tier else ""
                    yield self.issue("policy.threshold.general_missing", f"No general-rules row (without sector){what}: add one,"
                                     " so that enterprises outside the key sectors can be scored.", mpath + ("thresholds",), True)

    def row_values(self, metric: dict, row: dict, rpath: tuple, points: Decimal) -> Iterator[Issue]:
        direction = metric["direction"]
        if metric["method"] == "linear":
            for k in ("leading", "baseline"):
                if k not in row:
                    yield self.issue("policy.threshold.missing_value", f"A linear row needs {k}: add it.", rpath, True)
            if "bands" in row:
                yield self.issue("policy.threshold.bands_unexpected", "A linear row has leading and baseline, not bands: remove bands"
                                 " or set method: bands.", rpath + ("bands",), True)
            if "leading" in row and "baseline" in row:
                lead, base = Decimal(row["leading"]), Decimal(row["baseline"])
                if (direction == "higher" and lead < base) or (direction == "lower" and lead > base):
                    better = "at least" if direction == "higher" else "at most"
                    yield self.issue("policy.threshold.inverted", f"Leading value {lead} is worse than baseline {base} for a"
                                     f" {direction}-is-better metric: leading must be {better} the baseline; swap them.",
                                     rpath + ("leading",))
            return
        if "bands" not in row:
            yield self.issue("policy.threshold.missing_value", "A bands row needs bands: add them.", rpath, True)
            return
        for k in ("leading", "baseline"):
            if k in row:
                yield self.issue("policy.threshold.linear_unexpected", f"A bands row has no {k}: remove it.", rpath + (k,), True)
        bands = row["bands"]
        yield from self.ranges(bands, rpath + ("bands",), "band")
        for n, band in enumerate(bands):
            if Decimal(band["points"]) > points:
                yield self.issue("policy.band.points", f"This band gives {band['points']} points, more than the rule's {points}:"
                                 " lower it.", rpath + ("bands", n, "points"))
            if n:
                prev, cur = Decimal(bands[n - 1]["points"]), Decimal(band["points"])
                if (direction == "higher" and cur < prev) or (direction == "lower" and cur > prev):
                    yield self.issue("policy.band.not_monotonic", f"Points go {'down' if direction == 'higher' else 'up'} as values"
                                     f" rise, against the {direction}-is-better direction: reorder the points.",
                                     rpath + ("bands", n, "points"))

    # -- sectors ---------------------------------------------------------------------------
    def sector_refs(self) -> Iterator[Issue]:
        for n, product in enumerate(self.doc.get("products", [])):
            if "sector" in product:
                yield from self.ref("sector", product["sector"], self.sectors, ("products", n, "sector"))
        for n, sector in enumerate(self.doc.get("sectors", [])):
            for m, pid in enumerate(sector.get("products", [])):
                yield from self.ref("product", pid, self.products, ("sectors", n, "products", m))
            for m, iid in enumerate(sector["overrides"]):
                yield from self.ref("indicator", iid, self.indicators, ("sectors", n, "overrides", m))

    def overrides(self) -> Iterator[Issue]:
        """Sector rows only where the sector declares the override, and all the rows it needs."""
        index = {s["id"]: n for n, s in enumerate(self.doc.get("sectors", []))}
        for i, ind in enumerate(self.doc["indicators"]):
            for rule_path, rule, _ in self.rules(ind, ("indicators", i)):
                for m, metric in enumerate(rule.get("metrics", [])):
                    mpath = rule_path + ("metrics", m)
                    rows = metric.get("thresholds", [])
                    for r, row in enumerate(rows):
                        sid = row.get("sector")
                        if sid in self.sectors and ind["id"] not in self.sectors[sid]["overrides"]:
                            yield self.issue("policy.sector.undeclared_override", f'Sector "{sid}" has a row here but does not list'
                                             f' "{ind["id"]}" in its overrides: add it there, or remove this row.',
                                             mpath + ("thresholds", r, "sector"))
                    for sid, sector in self.sectors.items():
                        if ind["id"] not in sector["overrides"] or metric["method"] == "count":
                            continue
                        spath = ("sectors", index[sid], "overrides", sector["overrides"].index(ind["id"]))
                        if metric["basis"] == "product":
                            have = {row.get("product") for row in rows}
                            for pid in sector.get("products", []):
                                if pid not in have:
                                    yield self.issue("policy.sector.missing_threshold", f'Sector "{sid}" makes product "{pid}" but'
                                                     f' metric "{ind["id"]}/{metric["id"]}" has no row for it: add one.', spath)
                        elif metric["basis"] == "input":
                            tiers = [t["id"] for t in metric.get("tier", {}).get("tiers", [])] or [None]
                            have = {row.get("tier") for row in rows if row.get("sector") == sid}
                            for tier in tiers:
                                if tier not in have:
                                    what = f' tier "{tier}"' if tier else ""
                                    yield self.issue("policy.sector.missing_threshold", f'Sector "{sid}" overrides "{ind["id"]}" but'
                                                     f' metric "{metric["id"]}" has no row for it{what}: add a row with sector: {sid}.',
                                                     spath)

    # -- conditions, bonus, decision --------------------------------------------------------
    def condition(self, cond: dict, path: tuple) -> Iterator[Issue]:
        for key in ("all", "any"):
            if key in cond:
                for n, sub in enumerate(cond[key]):
                    yield from self.condition(sub, path + (key, n))
                return
        if "not" in cond:
            yield from self.condition(cond["not"], path + ("not",))
            return
        field, op = cond["field"], cond["op"]
        value = cond.get("value")
        fpath = path + ("field",)
        ftype: str | None = "number" if field in ("energy_use_tce", "output_value") else "string"
        if field.startswith("facts."):
            name = field[6:]
            yield from self.ref("fact", name, self.facts, fpath)
            fact = self.facts.get(name)
            ftype = fact["type"] if fact else None
            if fact and fact.get("values") and op in ("eq", "ne", "in", "not_in"):
                for v in value if isinstance(value, list) else [value]:
                    if v not in fact["values"]:
                        yield self.issue("policy.condition.value", f'"{v}" is not a value of fact "{name}"'
                                         f' ({", ".join(fact["values"])}).{did_you_mean(v, fact["values"])}', path + ("value",))
        elif field.startswith("data."):
            yield from self.ref("input", field[5:], self.inputs, fpath)
            ftype = "number"
        if "value" not in cond:
            yield self.issue("policy.condition.value_missing", f'The op "{op}" needs a value: add value.', path, True)
            return
        if op in ("in", "not_in") and not isinstance(value, list):
            yield self.issue("policy.condition.type", f'The op "{op}" needs a list of values, e.g. [a, b].', path + ("value",))
        elif op == "present" and not isinstance(value, bool):
            yield self.issue("policy.condition.type", "The op present takes true or false.", path + ("value",))
        elif op in ("lt", "le", "gt", "ge") and (isinstance(value, (bool, str, list)) or ftype not in ("number", None)):
            yield self.issue("policy.condition.type", f'The op "{op}" compares numbers; field "{field}" is {ftype} or the value'
                             " is not a number: use eq/ne, or a number.", path + ("op",))
        elif op in ("eq", "ne") and ftype == "boolean" and not isinstance(value, bool):
            yield self.issue("policy.condition.type", f'Fact "{field}" is true/false: compare it with true or false.', path + ("value",))

    def bonus(self) -> Iterator[Issue]:
        bonus = self.doc.get("bonus")
        if not bonus:
            return
        for n, item in enumerate(bonus["items"]):
            if "source" in item:
                yield from self.ref("source", item["source"]["ref"], self.sources, ("bonus", "items", n, "source", "ref"))
            for m, award in enumerate(item["awards"]):
                apath = ("bonus", "items", n, "awards", m)
                yield from self.condition(award["when"], apath + ("when",))
                if Decimal(award["points"]) > Decimal(bonus["max_points"]):
                    yield self.issue("policy.bonus.points", f"This award ({award['points']}) is above the bonus cap"
                                     f" {bonus['max_points']}: lower it.", apath + ("points",))

    def decision(self) -> Iterator[Issue]:
        grades = self.doc["decision"].get("grades", [])
        for n in range(1, len(grades)):
            if Decimal(grades[n]["top_share"]) <= Decimal(grades[n - 1]["top_share"]):
                yield self.issue("policy.grades.order", "Grades go best first with rising top_share: this one must be above"
                                 " the previous.", ("decision", "grades", n, "top_share"))
        if grades and Decimal(grades[-1]["top_share"]) != 1:
            yield self.issue("policy.grades.coverage", "The last grade must have top_share 1 so that every rank gets a grade.",
                             ("decision", "grades", len(grades) - 1, "top_share"))
        seen: set = set()
        for n, grade in enumerate(grades):
            if grade["id"] in seen:
                yield self.issue("policy.id.duplicate", f'The grade "{grade["id"]}" is listed twice: rename one.',
                                 ("decision", "grades", n, "id"))
            seen.add(grade["id"])

    def _get(self, path: tuple) -> Any:
        node: Any = self.doc
        for part in path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return None
        return node
