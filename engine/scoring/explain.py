"""Render trace steps, in Chinese and English, from what the evaluator recorded.

Called only when a trace is read; nothing here feeds back into a score.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Iterator

from ..policy.model import Label, Pillar, ThresholdRow
from ..submission.record import Submission
from .compiled import CompiledGate, CompiledPolicy, CompiledRule
from .condition import describe, getter
from .context import RegionalBaseline, SectorBest
from .rules import Scored
from .trace import GateResult, Parameter, Reading, RuleResult, Step

GATE_WORDS = {"passed": ("通过", "passed"), "failed": ("未通过", "failed"), "undetermined": ("无法判定", "cannot be determined")}
STATUS_WORDS = {True: "true", False: "false", None: "undetermined"}


@dataclass(frozen=True, slots=True)
class Computed:
    """What the evaluator computed for one submission: all a trace needs to render its steps."""

    cp: CompiledPolicy
    sub: Submission
    gates: tuple[GateResult, ...]
    scored: list[Scored]  # each rule's record, in policy order
    rules: tuple[RuleResult, ...]
    pillars: dict[str, Decimal]  # pillar id -> points
    earned: Decimal
    applicable: Decimal
    total: Decimal
    rescaled: bool
    won: list  # each bonus item's award, or None
    raw_bonus: Decimal
    bonus: Decimal
    eligible: bool | None
    score: Decimal
    baseline: RegionalBaseline | None
    meets: bool | None
    sector_best: SectorBest | None


def steps(c: Computed) -> Iterator[Step]:
    """Every step in policy order: gates, rules, pillar subtotals, total, bonus, decision."""
    cp, sub = c.cp, c.sub
    for cg, result in zip(cp.gates, c.gates):
        yield gate_step(cg, sub, result.status)
    for cr, found, rr in zip(cp.rules, c.scored, c.rules):
        yield rule_step(cp, cr, sub, found, rr.flags, c.sector_best)
    for pillar in cp.policy.pillars:
        yield pillar_step(pillar, c.pillars[pillar.id])
    yield total_step(cp, c.earned, c.applicable, c.total, c.rescaled)
    if cp.policy.bonus is not None:
        for cb, award in zip(cp.bonus, c.won):
            yield bonus_item_step(cb, sub, award)
        yield bonus_total_step(c.raw_bonus, cp.policy.bonus.max_points, c.bonus)
    failed = [g.id for g in c.gates if g.status == "failed"]
    unknown = [g.id for g in c.gates if g.status == "undetermined"]
    yield eligible_step(c.eligible, failed, unknown)
    rb = cp.policy.decision.regional_baseline
    if rb is not None:
        yield baseline_step(rb.op, c.score, c.baseline, c.meets)


def gate_step(cg: CompiledGate, sub: Submission, status: str) -> Step:
    g = cg.gate
    zh, en = GATE_WORDS[status]
    why_zh, why_en = ("（所需事实未填报）", " because a fact it needs is not reported") if status == "undetermined" else ("", "")
    params = (Parameter("source", g.source.title, None, "general", g.source, g.line),) if g.source else ()
    return Step(f"gate:{g.id}", "gate", status, _readings(cg.fields, sub), params, describe(g.pass_when), None, None,
                Label(f"门槛“{g.label.zh}”{zh}{why_zh}。", f'Gate "{g.label.en}" {en}{why_en}.'), g.line)


def rule_step(cp: CompiledPolicy, cr: CompiledRule, sub: Submission, found: Scored, flags: tuple[str, ...],
              sector_best=None) -> Step:
    rule, label, full = cr.rule, cr.rule.label, cr.rule.points
    cm = found.metric
    metric_id = cm.metric.id if cm else None
    if found.status == "not_applicable":
        assert rule.applies_when is not None  # only a rule with a condition is not applicable
        return Step(rule.id, "indicator", found.status, _readings(cr.applies_fields, sub), (), describe(rule.applies_when),
                    found.points, full, Label(f"{label.zh}不适用于本企业，不计分。",
                                              f"{label.en} does not apply to this enterprise: not scored."), rule.line)
    if found.status == "no_metric":
        return Step(rule.id, "indicator", found.status, (), (), "", found.points, full,
                    Label(f"{label.zh}没有适用的计量方式，得 0 分。", f"No metric of {label.en} applies: 0 points."), rule.line)
    assert cm is not None  # every other status names the metric
    m = cm.metric
    inputs = _inputs(cm, found)
    if found.status == "not_reported":
        if found.missing:
            what = ", ".join(found.missing)
            reason = Label(f"产品 {what} 的{m.value}或能耗未填报，{label.zh}得 0 分（满分 {full} 分）。",
                           f"{m.value} or energy use of product {what} is not reported: {label.en} scores 0 of {full} points.")
        elif m.tier is not None and found.x is not None:
            reason = Label(f"未填报{m.tier.by}，无法确定规模档位，{label.zh}得 0 分（满分 {full} 分）。",
                           f"{m.tier.by} is not reported, so the size tier is unknown: {label.en} scores 0 of {full} points.")
        else:
            reason = Label(f"未填报{label.zh}，得 0 分（满分 {full} 分）。", f"{label.en} is not reported: 0 of {full} points.")
        return Step(rule.id, "indicator", found.status, inputs, (), "", found.points, full, reason, rule.line, metric_id, flags)
    if found.parts:
        params, formula, reason = _weighted(cr, found)
    elif m.method == "count":
        params = (Parameter("per_case", m.per_case, "points", "general", None, m.line),)
        formula = f"min({found.counted} × {m.per_case}, {full}) = {found.points}"
        reason = _cases_reason(label, found, m.per_case, full)
    elif m.method == "bands":
        params, formula, reason = _bands(label, m.unit, found, full)
    else:
        entry, x = found.entry, found.x
        assert entry is not None and x is not None and found.share is not None  # a scored linear rule has all three
        params = _row_params(entry.row, entry.scope, m.unit)
        formula = _linear_formula(full, x, entry.row, cm.higher, found.points)
        reason = _linear_reason(label, x, m.unit, entry.row, found.share, found.points, full)
    if found.tier is not None:
        t = found.tier
        assert found.scope is not None  # a tier is found only with its row
        params += (Parameter("tier", f"{t.id}: [{t.min}, {'∞' if t.max is None else t.max})", None, found.scope, None, m.line),)
    if any(f.startswith("implausible") for f in flags):
        extra, note = _review_note(cp, m, found.x, flags, sector_best)
        params += extra
        reason = Label(reason.zh + note.zh, reason.en + " " + note.en)
    return Step(rule.id, "indicator", found.status, inputs, params, formula, found.points, full, reason, rule.line,
                metric_id, flags)


def pillar_step(pillar: Pillar, points: Decimal) -> Step:
    return Step(f"pillar:{pillar.id}", "pillar", "summed", (), (), "", points, pillar.points,
                Label(f"{pillar.label.zh}小计 {points} 分（满分 {pillar.points} 分）。",
                      f"{pillar.label.en} subtotal: {points} of {pillar.points} points."), None)


def total_step(cp: CompiledPolicy, earned: Decimal, applicable: Decimal, total: Decimal, rescaled: bool) -> Step:
    full = cp.policy.total_points
    if rescaled:
        return Step("total", "total", "summed", (), (), f"{earned} × {full} / {applicable} = {total}", total, full,
                    Label(f"适用指标满分 {applicable} 分，得 {earned} 分，折算为 {total} 分（满分 {full} 分）。",
                          f"{earned} of {applicable} applicable points, rescaled to {total} of {full}."), None)
    return Step("total", "total", "summed", (), (), f"sum of rule points = {total}", total, full,
                Label(f"各指标合计 {total} 分（满分 {full} 分）。", f"Rules add up to {total} of {full} points."), None)


def bonus_item_step(cb, sub: Submission, won) -> Step:
    item = cb.item
    points = won.points if won else Decimal(0)
    return Step(f"bonus:{item.id}", "bonus", "awarded" if won else "not_awarded", _readings(cb.fields, sub), (),
                describe(won.when) if won else "no award condition holds", points, None,
                Label(f"加分项“{item.label.zh}”得 {points} 分。", f'Bonus "{item.label.en}": {points} points.'), item.line)


def bonus_total_step(raw: Decimal, cap: Decimal, bonus: Decimal) -> Step:
    return Step("bonus", "total", "summed", (), (), f"min({raw}, {cap}) = {bonus}", bonus, cap,
                Label(f"加分合计 {bonus} 分（上限 {cap} 分）。", f"Bonus: {bonus} points (cap {cap})."), None)


def eligible_step(eligible, failed: list[str], unknown: list[str]) -> Step:
    if failed:
        zh, en = f"未通过门槛：{', '.join(failed)}，不具备推荐资格。", f"Not eligible: gates failed: {', '.join(failed)}."
    elif unknown:
        zh, en = (f"门槛无法判定：{', '.join(unknown)}，需补充材料。",
                  f"Eligibility undetermined: gates {', '.join(unknown)} cannot be decided.")
    else:
        zh, en = "全部门槛通过，具备推荐资格。", "All gates passed: eligible."
    return Step("decision:eligible", "decision", STATUS_WORDS[eligible], (), (), "all gates passed", None, None,
                Label(zh, en), None)


def baseline_step(op: str, score: Decimal, baseline, meets) -> Step:
    if baseline is None:
        return Step("decision:regional_baseline", "decision", "undetermined", (), (), "no baseline", None, None,
                    Label("未提供地区基准快照，暂无法与地区均值比较。", "No regional baseline snapshot was given: comparison pending."),
                    None)
    sign = "≥" if op == "ge" else ">"
    word = ("不低于", "at least") if meets else ("低于", "below")
    return Step("decision:regional_baseline", "decision", STATUS_WORDS[meets],
                (Reading(f"baseline:{baseline.snapshot}", baseline.mean, "points"),), (), f"{score} {sign} {baseline.mean}",
                None, None,
                Label(f"得分 {score} {word[0]}{baseline.scope} 现有国家级绿色工厂均值 {baseline.mean}"
                      f"（快照 {baseline.snapshot}，{baseline.size} 家）。",
                      f"Score {score} is {word[1]} the mean {baseline.mean} of {baseline.size} existing national green"
                      f" factories ({baseline.scope}, snapshot {baseline.snapshot})."), None)


# -- pieces -------------------------------------------------------------------------------

def _review_note(cp: CompiledPolicy, m, x, flags: tuple[str, ...], sector_best) -> tuple[tuple[Parameter, ...], Label]:
    """The plausibility flags of a rule as parameters and one sentence each: why a reviewer should look."""
    params: tuple = ()
    zh, en = [], []
    if "implausible_range" in flags:
        low, high = cp.plausible[m.input]
        where = f"[{'−∞' if low is None else low}, {'∞' if high is None else high}]"
        params += (Parameter("plausible", where, m.unit, "general", None, None),)
        zh.append(f"复核提示：{x} {m.unit} 超出政策声明的合理范围 {where}，请核实；得分不受影响。")
        en.append(f"For review: {x} {m.unit} lies outside the plausible range {where} the policy declares; the score"
                  " is unchanged.")
    if "implausible_sector_best" in flags:
        best, margin = sector_best.best[m.input], cp.policy.plausibility_margin
        params += (Parameter("sector_best", best, m.unit, f"sector:{sector_best.sector}", None, None),
                   Parameter("margin_over_sector_best", margin, None, "general", None, None))
        zh.append(f"复核提示：{x} {m.unit} 优于本行业现有国家级绿色工厂最优值 {best}（快照 {sector_best.snapshot}，"
                  f"{sector_best.size} 家）超过 {margin} 倍幅度，请核实；得分不受影响。")
        en.append(f"For review: {x} {m.unit} is better than the best existing national green factory of the sector"
                  f" ({best}, snapshot {sector_best.snapshot}, {sector_best.size} factories) by more than {margin} of it;"
                  " the score is unchanged.")
    return params, Label("".join(zh), " ".join(en))


def _readings(fields, sub: Submission) -> tuple[Reading, ...]:
    return tuple(Reading(f, getter(f)(sub)) for f in fields)


def _inputs(cm, found: Scored) -> tuple[Reading, ...]:
    m = cm.metric
    if m.basis == "product":
        out = []
        for p in found.products:
            out += [Reading(f"products.{p.id}.values.{m.value}", p.values.get(m.value), m.unit),
                    Reading(f"products.{p.id}.energy_use_tce", p.energy_use_tce, "tce")]
        return tuple(out)
    if m.basis == "cases":
        n = None if found.status == "not_reported" else Decimal(found.total_cases)
        return (Reading(f"cases.{m.input}", n, "cases"),)
    out = [Reading(f"data.{m.input}", found.x, m.unit)]
    if m.tier is not None:
        out.append(Reading(m.tier.by, found.tier_value, None))
    return tuple(out)


def _row_params(row: ThresholdRow, scope: str, unit: str) -> tuple[Parameter, ...]:
    return (Parameter("baseline", row.baseline, unit, scope, row.source, row.line),
            Parameter("leading", row.leading, unit, scope, row.source, row.line))


def _bands(label, unit, found: Scored, full):
    assert found.entry is not None  # a scored banded rule has its row
    row, band, x = found.entry.row, found.band, found.x
    params = tuple(Parameter("band", f"[{b.min}, {'∞' if b.max is None else b.max}) → {b.points}", unit, found.entry.scope,
                             row.source, row.line) for b in row.bands)
    where = f"[{band.min}, {'∞' if band.max is None else band.max})" if band else "below every band"
    return (params, f"{x} ∈ {where} → {found.points}",
            Label(f"{label.zh} {x} {unit}，落在区间 {where}，得 {found.points} 分（满分 {full} 分）。",
                  f"{label.en} {x} {unit} falls in {where}: {found.points} of {full} points."))


def _weighted(cr: CompiledRule, found: Scored):
    assert found.metric is not None and found.share is not None  # a weighted rule is scored
    m, full, label = found.metric.metric, cr.rule.points, cr.rule.label
    value = m.value
    assert value is not None  # the schema requires value on a product metric
    params: tuple = ()
    for p, entry, _ in found.parts:
        params += _row_params(entry.row, f"product:{p.id}", m.unit)
    terms = " + ".join(f"{_short(s)}×{p.energy_use_tce}" for p, _, s in found.parts)
    weights = " + ".join(str(p.energy_use_tce) for p, _, _ in found.parts)
    formula = f"{full} × ({terms}) / ({weights}) = {full} × {_short(found.share)} = {found.points}"
    each_zh = "；".join(f"{p.id} {p.values[value]}（基准 {e.row.baseline}，引领 {e.row.leading}）" for p, e, _ in found.parts)
    each_en = "; ".join(f"{p.id} {p.values[value]} (baseline {e.row.baseline}, leading {e.row.leading})"
                        for p, e, _ in found.parts)
    n = len(found.parts)
    return params, formula, Label(f"{label.zh}按 {n} 种产品能耗加权：{each_zh}，得 {found.points} 分（满分 {full} 分）。",
                                  f"{label.en} weighted by the energy use of {n} products: {each_en}; {found.points} of {full} points.")


def _cases_reason(label, found: Scored, per_case, full) -> Label:
    skipped = found.total_cases - found.counted
    skipped_zh = f"（另有 {skipped} 个无证明材料，不计）" if skipped else ""
    skipped_en = f" ({skipped} without supporting documents not counted)" if skipped else ""
    return Label(f"{label.zh}有 {found.counted} 个合格案例{skipped_zh}，每例 {per_case} 分，得 {found.points} 分（满分 {full} 分）。",
                 f"{label.en}: {found.counted} qualifying cases{skipped_en} at {per_case} points each: {found.points} of {full} points.")


def _linear_formula(full, x, row: ThresholdRow, higher: bool, points) -> str:
    b, lead = row.baseline, row.leading
    if b == lead:
        return f"{x} {'≥' if higher else '≤'} {lead} ? {full} : 0 = {points}"
    if higher:
        return f"{full} × clamp(({x} − {b}) / ({lead} − {b}), 0, 1) = {points}"
    return f"{full} × clamp(({b} − {x}) / ({b} − {lead}), 0, 1) = {points}"


def _linear_reason(label, x, unit, row: ThresholdRow, share, points, full) -> Label:
    b, lead = row.baseline, row.leading
    src = row.source.title + (f" {row.source.clause}" if row.source.clause else "")
    if share >= 1:
        return Label(f"{label.zh} {x} {unit} 达到引领值 {lead}（{src}），得满分 {full} 分。",
                     f"{label.en} {x} {unit} reaches the leading value {lead} ({src}): full {full} points.")
    if share <= 0:
        return Label(f"{label.zh} {x} {unit} 未优于基准值 {b}（{src}），得 0 分（满分 {full} 分）。",
                     f"{label.en} {x} {unit} is no better than the baseline {b} ({src}): 0 of {full} points.")
    return Label(f"{label.zh} {x} {unit} 介于基准值 {b} 与引领值 {lead} 之间（{src}），得 {points} 分（满分 {full} 分）。",
                 f"{label.en} {x} {unit} lies between the baseline {b} and the leading value {lead} ({src}): {points} of {full} points.")


def _short(d: Decimal) -> str:
    """A share for display in a formula: at most 6 decimals, marked ≈ when rounded."""
    q = d.quantize(Decimal("0.000001"))
    return str(d.normalize()) if q == d else f"≈{q.normalize()}"
