"""Load a policy: read the YAML safely, validate against the schema, check, build the model."""
from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import model as m
from ..issue import Issue, Location, PolicyInvalid, sorted_issues
from .check import semantic_issues
from .digest import digest
from .schema import schema_issues
from .source import MAX_BYTES, PolicySource, parse


def load_policy_file(path: str | os.PathLike, name: str | None = None) -> m.Policy:
    """Load policies/<id>/<version>.yaml; the file name and the version field must agree."""
    path = Path(path)
    name = name or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:  # refuse before reading it into memory
            raise PolicyInvalid((Issue("policy.file.too_large", f"The file is {size} bytes; the limit is {MAX_BYTES}:"
                                       " split or shorten it.", (), Location(name, 1, 1)),))
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyInvalid((Issue("policy.file.unreadable", f"The file cannot be read ({exc.strerror}): check the path.",
                                   (), Location(name, 1, 1)),)) from None
    return load_policy_text(raw, name, expect_version=path.stem, expect_id=path.parent.name)


def load_policy_text(raw: bytes | str, name: str, *, expect_id: str | None = None,
                     expect_version: str | None = None) -> m.Policy:
    """Load a policy from YAML text, or raise PolicyInvalid with every issue, sorted."""
    source = parse(raw, name)

    def locate(path: tuple, key: bool = False) -> Location:
        return source.locate(path, key=key)

    if not isinstance(source.data, dict):
        raise PolicyInvalid((Issue("policy.schema.type", "A policy is a mapping of keys (id, version, ...) at the top level.",
                                   (), Location(name, 1, 1)),))
    bad_numbers = set(source.not_finite)
    issues = [Issue("policy.number.not_finite", "NaN and infinity are not numbers a policy can use: write a finite"
                    " number.", path, locate(path)) for path in source.not_finite]
    issues += [i for i in schema_issues("policy.schema.json", source.data, "policy", locate) if i.path not in bad_numbers]
    issues += _name_issues(source, expect_id, expect_version)
    # after schema errors the checks run on a document they cannot trust: they skip what they cannot read
    issues += semantic_issues(source.data, locate, tolerant=bool(issues))
    if issues:
        raise PolicyInvalid(sorted_issues(issues))
    return _build(source)


def _name_issues(source: PolicySource, expect_id: str | None, expect_version: str | None) -> list[Issue]:
    out = []
    doc = source.data
    if expect_version is not None and isinstance(doc.get("version"), str) and doc["version"] != expect_version:
        out.append(Issue("policy.version.file_mismatch", f'The version is "{doc["version"]}" but the file is named'
                         f' "{expect_version}": rename the file or change the version.', ("version",), source.locate(("version",))))
    if expect_id is not None and isinstance(doc.get("id"), str) and doc["id"] != expect_id:
        out.append(Issue("policy.id.folder_mismatch", f'The id is "{doc["id"]}" but the file is under "{expect_id}":'
                         " move the file or change the id.", ("id",), source.locate(("id",))))
    return out


def _build(source: PolicySource) -> m.Policy:
    doc = source.data
    sources = {s["id"]: m.Source(s["id"], s["title"], s["kind"], s.get("confirmed")) for s in doc["sources"]}

    def line(path: tuple) -> int:
        return source.locate(path, key=True).line

    def source_ref(d: dict) -> m.SourceRef:
        return m.SourceRef(d["ref"], sources[d["ref"]].title, d.get("clause"), d.get("level"))

    def ref(d: dict | None) -> m.SourceRef | None:
        return None if d is None else source_ref(d)

    def num(v: Any) -> Decimal:
        return Decimal(v)

    def dec(v: Any) -> Decimal | None:
        return None if v is None else Decimal(v)

    def metric(d: dict, path: tuple) -> m.Metric:
        tier = None
        if "tier" in d:
            tier = m.TierSpec(d["tier"]["by"], tuple(m.Tier(t["id"], num(t["min"]), dec(t.get("max")))
                                                     for t in d["tier"]["tiers"]))
        rows = tuple(
            m.ThresholdRow(r.get("sector"), r.get("product"), r.get("tier"), dec(r.get("leading")), dec(r.get("baseline")),
                           tuple(m.Band(num(b["min"]), dec(b.get("max")), num(b["points"])) for b in r.get("bands", [])),
                           source_ref(r["source"]), line(path + ("thresholds", n)))
            for n, r in enumerate(d.get("thresholds", [])))
        return m.Metric(d["id"], optional_label(d.get("label")), d["basis"], d.get("input"), d.get("value"), d.get("unit", "cases"),
                        d.get("direction", "higher"), d["method"], d.get("top"), dec(d.get("per_case")),
                        bool(d.get("requires_evidence", False)), optional_condition(d.get("when")), tier, rows, line(path))

    def rule(rule_id: str, ind: dict, d: dict, path: tuple) -> m.Rule:
        metrics = tuple(metric(x, path + ("metrics", n)) for n, x in enumerate(d["metrics"]))
        name = label(d["label"])
        if d is not ind:  # a part is named with its indicator: "Green retrofits (projects)"
            name = m.Label(f'{ind["label"]["zh"]}（{name.zh}）', f'{ind["label"]["en"]} ({name.en})')
        return m.Rule(rule_id, ind["id"], ind["pillar"], name, num(d["points"]),
                      d.get("evidence", ind.get("evidence", "optional")), optional_condition(ind.get("applies_when")),
                      metrics, line(path))

    indicators = []
    for n, ind in enumerate(doc["indicators"]):
        path = ("indicators", n)
        if "parts" in ind:
            rules = tuple(rule(f'{ind["id"]}.{p["id"]}', ind, p, path + ("parts", k)) for k, p in enumerate(ind["parts"]))
        else:
            rules = (rule(ind["id"], ind, ind, path),)
        indicators.append(m.Indicator(ind["id"], ind["pillar"], label(ind["label"]), num(ind["points"]), rules, line(path)))

    bonus = None
    if "bonus" in doc:
        bonus = m.Bonus(num(doc["bonus"]["max_points"]), tuple(
            m.BonusItem(b["id"], label(b["label"]), tuple(m.Award(condition(a["when"]), num(a["points"])) for a in b["awards"]),
                        ref(b.get("source")), line(("bonus", "items", n)))
            for n, b in enumerate(doc["bonus"]["items"])))
    dd = doc["decision"]
    rb = dd.get("regional_baseline")
    decision = m.Decision(dd["eligible"],
                          m.BaselineRule(rb["cohort"], rb["group_by"], rb["op"], rb.get("min_peers", 1)) if rb else None,
                          tuple(m.Grade(g["id"], num(g["top_share"])) for g in dd.get("grades", [])))
    return m.Policy(
        id=doc["id"], version=doc["version"], title=label(doc["title"]), status=doc["status"],
        effective_from=doc["effective"]["from"], effective_until=doc["effective"].get("until"),
        sources=tuple(sources.values()), rounding_places=doc["rounding"]["places"], rounding_mode=doc["rounding"]["mode"],
        total_points=num(doc["scoring"]["total_points"]), not_applicable=doc["scoring"].get("not_applicable", "zero"),
        pillars=tuple(m.Pillar(p["id"], label(p["label"]), num(p["points"])) for p in doc["pillars"]),
        inputs=tuple(m.InputSpec(k, label(v["label"]), v["unit"], dec(v.get("min")), dec(v.get("max")), bool(v.get("integer")),
                                 dec(v.get("plausible", {}).get("min")), dec(v.get("plausible", {}).get("max")))
                     for k, v in doc["inputs"].items()),
        facts=tuple(m.FactSpec(k, label(v["label"]), v["type"], tuple(v.get("values", ()))) for k, v in doc["facts"].items()),
        products=tuple(m.Product(p["id"], label(p["label"]), p["unit"], p.get("sector")) for p in doc.get("products", [])),
        sectors=tuple(m.Sector(s["id"], label(s["label"]), s["group"], tuple(s["codes"]), tuple(s.get("products", [])),
                               tuple(s["overrides"])) for s in doc.get("sectors", [])),
        indicators=tuple(indicators),
        gates=tuple(m.Gate(g["id"], g["kind"], label(g["label"]), condition(g["pass_when"]), ref(g.get("source")),
                           line(("gates", n))) for n, g in enumerate(doc.get("gates", []))),
        bonus=bonus, decision=decision, file=source.name, digest=digest(doc), text=source.text, data=doc,
        positions=source.positions, plausibility_margin=dec(doc.get("plausibility", {}).get("margin_over_sector_best")))


def label(d: dict) -> m.Label:
    return m.Label(d["zh"], d["en"])


def optional_label(d: dict | None) -> m.Label | None:
    return label(d) if d else None


def optional_condition(d: dict | None) -> m.Condition | None:
    return None if d is None else condition(d)


def condition(d: dict) -> m.Condition:
    if "all" in d:
        return m.AllOf(tuple(condition(x) for x in d["all"]))
    if "any" in d:
        return m.AnyOf(tuple(condition(x) for x in d["any"]))
    if "not" in d:
        return m.Not(condition(d["not"]))
    value = d.get("value")
    if isinstance(value, list):
        value = tuple(Decimal(v) if isinstance(v, (int, Decimal)) and not isinstance(v, bool) else v for v in value)
    elif isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    return m.Compare(d["field"], d["op"], value)
