"""The self-report form as data: its fields, generated from schemas/submission.schema.json and a policy's
catalogue (inputs with units and labels, facts, products, case keys, indicators), the per-field checks the page's
script runs as each field is entered, and the submission a filled-in form makes.

A field's name is where its value goes in the submission ("enterprise.uscc", "data.carbon_intensity"); rows that
become array items (products, cases) are named by their key and row, and `build` records which JSON path each
value landed at, so that the intake's issues are shown next to the field they are about.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from engine import Policy
from engine.policy import SCHEMA_DIR
from engine.submission import GENERAL

CASE_ROWS = 3  # case rows per case key on the form
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
# the schema's keywords the script checks; the rest (USCC check character, region codes, the policy's sector
# and fact answers) the server checks on submit
RULE_KEYWORDS = ("minimum", "maximum", "pattern", "minLength", "maxLength")
PATTERN_HINTS = {  # what a pattern asks for, in words (zh, en)
    "period": ("请填写4位年份，例如 2025。", "Write the year as 4 digits, e.g. 2025."),
    "enterprise.uscc": ("统一社会信用代码为18位数字或大写字母（不含 I、O、S、V、Z）。",
                        "The USCC is 18 digits or capital letters (no I, O, S, V or Z)."),
    "enterprise.region": ("请填写6位行政区划代码，例如 320500。", "Write the 6-digit region code, e.g. 320500."),
    "enterprise.industry_code": ("请填写4位国民经济行业代码，例如 3011。", "Write the 4-digit industry code, e.g. 3011."),
}


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: str  # text | number | boolean | choice | file
    zh: str
    en: str
    unit: str = ""
    required: bool = False
    rules: dict = field(default_factory=dict)  # type, integer, minimum, maximum, pattern, minLength, maxLength
    choices: tuple = ()  # (value, zh, en)
    sector: str | None = None  # a product row: shown when this sector is chosen

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True, slots=True)
class Group:
    """A fieldset: an indicator with its raw data, cases and evidence, or a part of the report."""

    key: str
    zh: str
    en: str
    fields: tuple[Field, ...]
    evidence: Field | None = None  # the indicator's supporting documents


@dataclass(frozen=True, slots=True)
class Form:
    policy_ref: str
    groups: tuple[Group, ...]

    def fields(self) -> list[Field]:
        return [f for g in self.groups for f in (*g.fields, *((g.evidence,) if g.evidence else ()))]


@lru_cache(maxsize=1)
def submission_schema() -> dict:
    return json.loads((SCHEMA_DIR / "submission.schema.json").read_text(encoding="utf-8"))


def _resolve(node: dict) -> dict:
    """node with its $ref followed (the schema's refs all point into #/$defs)."""
    while "$ref" in node:
        target = submission_schema()["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def schema_at(*path: str) -> tuple[dict, bool]:
    """The schema of the value at a path of property names ("*" for any key) and whether it is required."""
    node, required = submission_schema(), True
    for part in path:
        node = _resolve(node)
        if part == "*":
            node, required = node["additionalProperties"], False
        elif part == "[]":
            node, required = node["items"], False
        else:
            required = required and part in node.get("required", ())
            node = node["properties"][part]
    return _resolve(node), required


def rules_of(*path: str, integer: bool = False, low=None, high=None) -> tuple[dict, bool]:
    node, required = schema_at(*path)
    kinds = node.get("type")
    kind = kinds if isinstance(kinds, str) else "number" if "number" in (kinds or ()) else "string"
    rules = {"type": kind, **{k: node[k] for k in RULE_KEYWORDS if k in node}}
    if low is not None:  # the policy narrows the schema's range
        rules["minimum"] = max(float(low), rules.get("minimum", float(low)))
    if high is not None:
        rules["maximum"] = min(float(high), rules.get("maximum", float(high)))
    if integer:
        rules["integer"] = True
    return rules, required


def _field(name: str, path: tuple, zh: str, en: str, kind: str | None = None, **extra) -> Field:
    rules, required = rules_of(*path, integer=extra.pop("integer", False), low=extra.pop("low", None),
                               high=extra.pop("high", None))
    kind = kind or ("number" if rules["type"] in ("number", "integer") else "text")
    return Field(name, kind, zh, en, required=required, rules=rules, **extra)


def build_form(policy: Policy) -> Form:
    """Every field the policy asks for, grouped: who reports, totals, products, each indicator, the gates' facts."""
    sectors = ((GENERAL, "一般行业（非重点行业）", "General (not a key sector)"),) + tuple(
        (s.id, s.label.zh, s.label.en) for s in policy.sectors)
    who = (
        _field("period", ("period",), "报告年度", "Reporting year"),
        _field("enterprise.uscc", ("enterprise", "uscc"), "统一社会信用代码", "Unified social credit code"),
        _field("enterprise.name", ("enterprise", "name"), "企业名称", "Enterprise name"),
        _field("enterprise.region", ("enterprise", "region"), "所在地区代码", "Region code"),
        _field("enterprise.sector", ("enterprise", "sector"), "重点行业", "Key sector", kind="choice", choices=sectors),
        _field("enterprise.industry_code", ("enterprise", "industry_code"), "行业代码（GB/T 4754）",
               "Industry code (GB/T 4754)"),
    )
    totals = (
        _field("energy_use_tce", ("energy_use_tce",), "综合能源消费量", "Comprehensive energy use", unit="tce"),
        _field("output_value", ("output_value",), "工业总产值", "Industrial output value", unit="10k CNY"),
    )
    groups = [Group("enterprise", "企业信息", "The enterprise", who), Group("totals", "能耗与产值", "Energy and output", totals)]
    groups.append(Group("products", "主要产品", "Main products", tuple(_product_fields(policy))))
    used: set[str] = set()
    inputs = {i.id: i for i in policy.inputs}
    for indicator in policy.indicators:
        fields_: list[Field] = []
        for rule in indicator.rules:
            for metric in rule.metrics:
                if metric.basis == "input" and metric.input in inputs and metric.input not in used:
                    used.add(metric.input)
                    fields_.append(_input_field(inputs[metric.input]))
                elif metric.basis == "cases" and metric.input:
                    fields_.extend(_case_fields(metric.input, rule.label.zh, rule.label.en))
        evidence = Field(f"evidence.{indicator.id}", "file", f"{indicator.label.zh}的佐证材料",
                         f"Supporting documents for {indicator.label.en}")
        groups.append(Group(f"indicator.{indicator.id}", indicator.label.zh, indicator.label.en, tuple(fields_),
                            evidence))
    rest = tuple(_input_field(i) for i in policy.inputs if i.id not in used)
    if rest:
        groups.append(Group("data", "其他数据", "Other data", rest))
    groups.append(Group("facts", "门槛条件", "Gate facts", tuple(_fact_field(f) for f in policy.facts)))
    return Form(policy.ref, tuple(groups))


def _input_field(spec) -> Field:
    return _field(f"data.{spec.id}", ("data", "*"), spec.label.zh, spec.label.en, unit=spec.unit,
                  integer=spec.integer, low=spec.min, high=spec.max)


FACT_KEYWORDS = {"boolean": (), "number": ("minimum", "maximum"), "string": ("maxLength",)}


def _fact_field(spec) -> Field:
    """A fact's field: the schema allows any of three types; the policy declares which one this fact takes."""
    name, path = f"facts.{spec.id}", ("facts", "*")
    if spec.type == "boolean":
        f = _field(name, path, spec.label.zh, spec.label.en, kind="boolean",
                   choices=(("true", "是", "Yes"), ("false", "否", "No")))
    elif spec.values:
        f = _field(name, path, spec.label.zh, spec.label.en, kind="choice",
                   choices=tuple((v, v, v) for v in spec.values))
    else:
        f = _field(name, path, spec.label.zh, spec.label.en, kind="number" if spec.type == "number" else "text")
    rules = {"type": spec.type, **{k: v for k, v in f.rules.items() if k in FACT_KEYWORDS[spec.type]}}
    return Field(f.name, f.kind, f.zh, f.en, required=False, rules=rules, choices=f.choices)


def _product_fields(policy: Policy):
    values = sorted({m.value for r in policy.rules for m in r.metrics if m.basis == "product" and m.value})
    item = ("products", "[]")
    for p in policy.products:
        base = f"products.{p.id}"
        yield _field(f"{base}.output", item + ("output",), f"{p.label.zh}：产量", f"{p.label.en}: output", unit="t",
                     sector=p.sector)
        yield _field(f"{base}.energy_use_tce", item + ("energy_use_tce",), f"{p.label.zh}：能源消费量",
                     f"{p.label.en}: energy use", unit="tce", sector=p.sector)
        for value in values:
            yield _field(f"{base}.values.{value}", item + ("values", "*"), f"{p.label.zh}：{value}",
                         f"{p.label.en}: {value.replace('_', ' ')}", unit=p.unit, sector=p.sector)


def _case_fields(key: str, zh: str, en: str):
    for n in range(CASE_ROWS):
        yield _field(f"cases.{key}.{n}.title", ("cases", "*", "[]", "title"), f"{zh}：案例 {n + 1}",
                     f"{en}: case {n + 1}")
        yield Field(f"cases.{key}.{n}.evidence", "file", f"案例 {n + 1} 的佐证材料", f"Evidence of case {n + 1}")


def value_of(text: str, f: Field) -> Any:
    """The JSON value of a field's text: numbers as numbers (a text that is not one stays a text, for the schema
    to name), yes/no as booleans."""
    if f.kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    if f.kind == "number" and _NUMBER.fullmatch(text):
        try:
            return json.loads(text)
        except ValueError:  # an integer of thousands of digits: left a text, which the schema refuses by name
            return text
    return text


def script_rules(form: Form, lang: str, max_bytes: int, types: dict) -> dict:
    """What the page's script checks, by field name, and its messages in the page's language."""
    zh = lang == "zh"
    fields_ = {}
    for f in form.fields():
        if f.kind == "file":
            fields_[f.name] = {"type": "file", "maxBytes": max_bytes, "extensions": sorted(
                e for exts in types.values() for e in exts)}
            continue
        rule = {**f.rules, "required": f.required}
        if f.name in PATTERN_HINTS:
            rule["hint"] = PATTERN_HINTS[f.name][0 if zh else 1]
        fields_[f.name] = rule
    messages = {
        "required": "此项必填。" if zh else "This field is required.",
        "number": "请填写数字。" if zh else "Enter a number.",
        "integer": "请填写整数。" if zh else "Enter a whole number.",
        "minimum": "不能小于 {minimum}。" if zh else "Must be at least {minimum}.",
        "maximum": "不能大于 {maximum}。" if zh else "Must be at most {maximum}.",
        "pattern": "格式不正确。" if zh else "This is not in the expected form.",
        "minLength": "不能为空。" if zh else "Must not be empty.",
        "maxLength": "最多 {maxLength} 个字符。" if zh else "At most {maxLength} characters.",
        "blank": "不能只有空格。" if zh else "Must not be only spaces.",
        "fileSize": "文件过大：最大 {maxMiB} MiB。" if zh else "The file is too large: at most {maxMiB} MiB.",
        "fileType": "不接受此文件类型；可上传 {types}。" if zh else "This file type is not accepted; upload {types}.",
        "uploading": "正在上传…" if zh else "Uploading…",
        "uploaded": "已上传" if zh else "Uploaded",
        "remove": "移除" if zh else "Remove",
    }
    return {"fields": fields_, "messages": messages}


@dataclass
class Built:
    """A submission made from a form, where each of its values came from, and the required fields left empty."""

    raw: dict
    field_at: dict[str, str]  # JSON path ("$.data.carbon_intensity") -> field name
    missing: list[str]


def build(form: Form, values, evidence: dict[str, list[dict]]) -> Built:
    """The submission of the form's values (a mapping of field name to text) and the documents filed under each
    file field (name -> evidence entries); empty fields are left out."""
    raw: dict = {}
    field_at: dict[str, str] = {}
    missing: list[str] = []
    products: dict[str, dict] = {}
    cases: dict[tuple[str, str], dict] = {}
    for f in form.fields():
        if f.kind == "file":
            continue
        text = (values.get(f.name) or "").strip()
        if not text:
            if f.required:
                missing.append(f.name)
            continue
        parts = f.name.split(".")
        value = value_of(text, f)
        if parts[0] == "products":  # products.<id>.output | products.<id>.values.<value>
            product = products.setdefault(parts[1], {"id": parts[1]})
            (product.setdefault("values", {}) if parts[2] == "values" else product)[parts[-1]] = value
            field_at[f"products:{parts[1]}:{'.'.join(parts[2:])}"] = f.name
        elif parts[0] == "cases":  # cases.<key>.<row>.title
            cases[(parts[1], parts[2])] = {"title": value}
        else:
            node = raw
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value
            field_at["$." + f.name] = f.name
    for n, product in enumerate(products.values()):
        raw.setdefault("products", []).append(product)
        for key in [k for k in field_at if k.startswith(f"products:{product['id']}:")]:
            rest = key.split(":", 2)[2]
            name = field_at.pop(key)
            field_at[f"$.products[{n}].{rest}"] = name
            field_at.setdefault(f"$.products[{n}]", name)
    for (key, row), case in cases.items():
        items = raw.setdefault("cases", {}).setdefault(key, [])
        docs = evidence.get(f"cases.{key}.{row}.evidence", [])
        if docs:
            case["evidence"] = docs
            field_at[f"$.cases.{key}[{len(items)}].evidence"] = f"cases.{key}.{row}.evidence"
        field_at[f"$.cases.{key}[{len(items)}]"] = field_at[f"$.cases.{key}[{len(items)}].title"] = \
            f"cases.{key}.{row}.title"
        items.append(case)
    for name, docs in evidence.items():
        if name.startswith("evidence.") and docs:
            raw.setdefault("evidence", {})[name.removeprefix("evidence.")] = docs
            field_at["$." + name] = name
    return Built(raw, field_at, missing)


def field_of(path: str, field_at: dict[str, str]) -> str | None:
    """The field an issue at a JSON path is about: the path's own field, else its nearest parent's."""
    while path:
        if path in field_at:
            return field_at[path]
        cut = max(path.rfind("."), path.rfind("["))
        if cut <= 1:
            return None
        path = path[:cut]
    return None
