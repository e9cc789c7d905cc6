"""Turn a stored outcome (engine.scoring.trace.canonical_json, parsed) and its submission into the rows the evaluation and
comparison pages show. Pure: no Flask, no database; the page language and the policy-line address are arguments.

Nothing is evaluated again: every number comes from the stored outcome, the labels from the policy version it was
evaluated under, the documents from the stored submission.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from engine import Policy

# policies/<id>/<version>.yaml, as engine.scoring.trace.Outcome.raw_dict writes it
POLICY_FILE = re.compile(r"policies/(?P<id>[a-z0-9][a-z0-9-]{0,63})/(?P<version>[0-9A-Za-z][0-9A-Za-z._-]{0,39})\.yaml")
LineHref = Callable[[str, str, int], str]  # (policy id, version, line) -> address


@dataclass(frozen=True, slots=True)
class Bar:
    """Where a value sits between the baseline (0 %) and the leading value (100 %), whichever way is better."""

    percent: str  # the marker's position, clamped to [0, 100], for a CSS left/width
    where: str  # below | between | beyond: no better than the baseline, between, at or past the leading value
    lower_is_better: bool


@dataclass(frozen=True, slots=True)
class Threshold:
    scope: str
    value: str | None  # the reported value this row applies to
    unit: str | None
    baseline: str | None
    leading: str | None
    ref: str | None  # the standard's id, its title and clause
    title: str | None
    clause: str | None
    level: str | None
    href: str | None
    bar: Bar | None


@dataclass(frozen=True, slots=True)
class Reading:
    name: str
    label: str
    value: Any
    unit: str | None


@dataclass(frozen=True, slots=True)
class Document:
    name: str
    sha256: str
    uploaded_by: str
    case: str | None = None  # the case's title, for documents that prove a case


@dataclass(slots=True)
class IndicatorRow:
    id: str
    label: str
    status: str
    points: str | None
    max_points: str | None
    readings: list[Reading]
    thresholds: list[Threshold]
    extra: list[tuple[str, str, str | None]]  # other parameters: bands, per case points, tier (name, value, unit)
    formula: str
    reason: str
    documents: list[Document]
    href: str | None
    flags: list[str]


@dataclass(slots=True)
class GateRow:
    id: str
    label: str
    kind: str
    status: str
    reason: str
    readings: list[Reading]
    source: str | None
    href: str | None


@dataclass(slots=True)
class PillarRow:
    id: str
    label: str
    points: str | None
    max_points: str | None
    rows: list[IndicatorRow] = field(default_factory=list)


@dataclass(slots=True)
class EvaluationView:
    gates: list[GateRow]
    pillars: list[PillarRow]
    bonus: list[IndicatorRow]
    steps: dict  # rule id -> step, for the total, bonus and decision steps


def decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def bar(value: Any, baseline: Any, leading: Any, lower_is_better: bool | None = None) -> Bar | None:
    """The value's place on the way from baseline to leading. The share (x − b) / (l − b) is right whichever way is
    better and whatever the signs (a converter's −28 → −30 kgce/t); with b = l the policy's direction decides."""
    x, b, lead = decimal(value), decimal(baseline), decimal(leading)
    if x is None or b is None or lead is None:
        return None
    if b != lead:
        share = (x - b) / (lead - b)
        lower = lead < b
    elif lower_is_better is None:
        return None
    else:  # one threshold: met or not
        lower = lower_is_better
        share = Decimal(1) if (x <= lead if lower else x >= lead) else Decimal(0)
    where = "below" if share <= 0 else ("beyond" if share >= 1 else "between")
    clamped = min(max(share, Decimal(0)), Decimal(1))
    return Bar(f"{(clamped * 100).quantize(Decimal('0.1'))}", where, lower)


def policy_place(file: str | None) -> tuple[str, str] | None:
    match = POLICY_FILE.fullmatch(file or "")
    return (match["id"], match["version"]) if match else None


def _label(label, lang: str) -> str:
    return label.zh if lang == "zh" else label.en


class Labels:
    """Names of rules, gates, pillars and inputs in the page's language, from the policy version (ids without it)."""

    def __init__(self, policy: Policy | None, lang: str):
        self.lang = lang
        p = policy
        self.rules = {r.id: _label(r.label, lang) for r in p.rules} if p else {}
        self.metrics = {(r.id, m.id): m for r in p.rules for m in r.metrics} if p else {}
        self.gates = {g.id: _label(g.label, lang) for g in p.gates} if p else {}
        self.pillars = {x.id: _label(x.label, lang) for x in p.pillars} if p else {}
        self.bonus = {b.id: _label(b.label, lang) for b in p.bonus.items} if p and p.bonus else {}
        names = {}
        if p:
            names.update({f"data.{i.id}": _label(i.label, lang) for i in p.inputs})
            names.update({f"facts.{f.id}": _label(f.label, lang) for f in p.facts})
        self.names = names
        self.products = {x.id: _label(x.label, lang) for x in p.products} if p else {}

    def reading(self, name: str) -> str:
        if name in self.names:
            return self.names[name]
        parts = name.split(".")
        if len(parts) >= 3 and parts[0] == "products":
            product = self.products.get(parts[1], parts[1])
            return f"{product} · {'能耗' if self.lang == 'zh' else 'energy use'}" if parts[2] == "energy_use_tce" \
                else f"{product} · {parts[-1]}"
        if name == "energy_use_tce":
            return "综合能源消费量" if self.lang == "zh" else "Total energy use"
        if parts[0] == "cases":
            return ("合格案例数" if self.lang == "zh" else "Qualifying cases") + f" ({parts[-1]})"
        return name

    def scope(self, scope: str) -> str:
        kind, _, what = scope.partition(":")
        return f"{self.products.get(what, what)}" if kind == "product" else scope


def step_href(step: dict, line: int | None, line_href: LineHref) -> str | None:
    place = policy_place(step.get("file"))
    return line_href(place[0], place[1], line) if place and line else None


def documents_for(submission: dict, rule_id: str, indicator: str | None, case_keys: list[str]) -> list[Document]:
    """The documents a submission gives for a rule: under evidence.<rule id> or evidence.<indicator id>, and those of
    each case the rule counts."""
    out: list[Document] = []
    evidence = submission.get("evidence") if isinstance(submission.get("evidence"), dict) else {}
    for key in dict.fromkeys(k for k in (rule_id, indicator) if k):
        out += [d for d in map(_document, evidence.get(key) or []) if d]
    cases = submission.get("cases") if isinstance(submission.get("cases"), dict) else {}
    for key in case_keys:
        for case in cases.get(key) or []:
            if isinstance(case, dict):
                out += [d for d in (_document(e, str(case.get("title", ""))) for e in case.get("evidence") or []) if d]
    return out


def _document(doc: Any, case: str | None = None) -> Document | None:
    if not isinstance(doc, dict):
        return None
    return Document(str(doc.get("name", "")), str(doc.get("sha256", "")), str(doc.get("uploaded_by", "")), case)


def indicator_row(step: dict, result: dict | None, submission: dict, labels: Labels, sources: dict,
                  line_href: LineHref) -> IndicatorRow:
    rule = step["rule"]
    readings = [Reading(r["name"], labels.reading(r["name"]), r["value"], r.get("unit")) for r in step["inputs"]]
    extra = [(p["name"], str(p["value"]), p.get("unit")) for p in step["parameters"]
             if p["name"] not in ("baseline", "leading")]
    case_keys = [r.name.split(".", 1)[1] for r in readings if r.name.startswith("cases.")]
    label = labels.rules.get(rule) or labels.bonus.get(rule.partition(":")[2]) or rule
    return IndicatorRow(rule, label, step["status"], step.get("points"), step.get("max_points"), readings,
                        thresholds(step, readings, labels, sources, line_href), extra, step.get("formula") or "",
                        step["reason"][labels.lang],
                        documents_for(submission, rule, result.get("indicator") if result else None, case_keys),
                        step_href(step, step.get("line"), line_href), list(step.get("flags") or ()))


def thresholds(step: dict, readings: list[Reading], labels: Labels, sources: dict,
               line_href: LineHref) -> list[Threshold]:
    """The baseline and leading values a rule used, paired by threshold row (one per product when weighted), each
    with the reported value it applies to and its bar."""
    metric = labels.metrics.get((step["rule"], step.get("metric")))
    lower = None if metric is None or metric.direction is None else metric.direction == "lower"
    value_of = {r.name: r.value for r in readings}
    pairs: dict[tuple, dict] = {}
    for p in step["parameters"]:
        if p["name"] in ("baseline", "leading"):
            pairs.setdefault((p["scope"], p.get("line")), {})[p["name"]] = p["value"]
            pairs[(p["scope"], p.get("line"))].update(unit=p.get("unit"), source=p.get("source") or {})
    out = []
    for (scope, line), pair in pairs.items():
        kind, _, product = scope.partition(":")
        if kind == "product" and metric is not None:
            value = value_of.get(f"products.{product}.values.{metric.value}")
        else:
            value = readings[0].value if readings else None
        base, lead, source = pair.get("baseline"), pair.get("leading"), pair["source"]
        ref = source.get("ref")
        out.append(Threshold(labels.scope(scope), value, pair["unit"], base, lead, ref, sources.get(ref, ref),
                             source.get("clause"), source.get("level"), step_href(step, line, line_href),
                             bar(value, base, lead, lower)))
    return out


def evaluation_view(outcome: dict, submission: dict, policy: Policy | None, lang: str,
                    line_href: LineHref) -> EvaluationView:
    labels = Labels(policy, lang)
    sources = outcome.get("sources") or {}
    results = {r["id"]: r for r in outcome.get("rules", [])}
    steps = {s["rule"]: s for s in outcome.get("trace", [])}
    gates, bonus = [], []
    pillars = {pid: PillarRow(pid, labels.pillars.get(pid, pid), points, None)
               for pid, points in (outcome.get("pillars") or {}).items()}
    order = [x.id for x in policy.pillars] if policy else list(pillars)
    pillars = {pid: pillars[pid] for pid in order if pid in pillars} | pillars
    for step in outcome.get("trace", []):
        kind = step["kind"]
        if kind == "gate":
            gid = step["rule"].partition(":")[2]
            src = next((p for p in step["parameters"] if p["name"] == "source"), None)
            cite = (src or {}).get("source") or {}
            source = " ".join(x for x in (sources.get(cite.get("ref")) or (src or {}).get("value"), cite.get("clause"))
                              if x) or None
            gates.append(GateRow(gid, labels.gates.get(gid, gid), next((g["kind"] for g in outcome.get("gates", [])
                                 if g["id"] == gid), ""), step["status"], step["reason"][lang],
                                 [Reading(r["name"], labels.reading(r["name"]), r["value"], r.get("unit"))
                                  for r in step["inputs"]], source, step_href(step, step.get("line"), line_href)))
        elif kind == "indicator":
            result = results.get(step["rule"])
            row = indicator_row(step, result, submission, labels, sources, line_href)
            pillar = pillars.setdefault(result["pillar"] if result else "", PillarRow("", "", None, None))
            pillar.rows.append(row)
        elif kind == "pillar":
            pid = step["rule"].partition(":")[2]
            if pid in pillars:
                pillars[pid].max_points = step.get("max_points")
        elif kind == "bonus":
            bonus.append(indicator_row(step, None, submission, labels, sources, line_href))
    return EvaluationView(gates, list(pillars.values()), bonus, steps)


# -- one submission under two versions ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CompareRow:
    rule: str
    label: str
    before: str | None
    after: str | None
    before_max: str | None
    after_max: str | None
    before_status: str | None
    after_status: str | None
    delta: str
    before_reason: str | None
    after_reason: str | None
    before_href: str | None
    after_href: str | None
    changed: bool


def comparison_rows(result: dict, before: Policy | None, after: Policy | None, lang: str,
                    line_href: LineHref) -> list[CompareRow]:
    """The rules of engine.versions.compare's result, labelled, with links to each version's line."""
    names = {**Labels(before, lang).rules, **Labels(after, lang).rules}
    refs = [result[side]["policy"].split("@", 1) for side in ("from", "to")]
    out = []
    for r in result["rules"]:
        out.append(CompareRow(
            r["rule"], names.get(r["rule"], r["rule"]), r["from"], r["to"], r["from_max"], r["to_max"],
            r["from_status"], r["to_status"], r["delta"],
            r["from_reason"][lang] if r["from_reason"] else None, r["to_reason"][lang] if r["to_reason"] else None,
            line_href(*refs[0], r["from_line"]) if r["from_line"] else None,
            line_href(*refs[1], r["to_line"]) if r["to_line"] else None, bool(r["changed"])))
    return out
