"""Intake: turn a raw self-report (parsed JSON) into a Submission, or reject it with every problem by JSON path.

Two passes, both always run so that one answer lists everything: the JSON Schema (schemas/submission.schema.json),
then checks against the policy (sector, data keys and ranges, facts, case and evidence keys) and the identity codes
(USCC check character, region). Nothing is built until both are clean. Numbers become Decimal exactly as written:
int → Decimal(int), float → Decimal(repr(float)); booleans are never numbers; NaN and infinities are rejected.
"""
from __future__ import annotations

import copy
import json
import math
from decimal import Decimal
from functools import lru_cache
from typing import Any, Container, Iterator

import fastjsonschema

from ..issue import Issue, SubmissionInvalid, did_you_mean, sorted_issues
from ..policy.digest import digest
from ..policy.model import Policy
from ..policy.schema import SCHEMA_DIR, schema_issues
from .record import FLAG, GENERAL, KIND_OF_TYPE, NUMBER, OTHER, TEXT, Case, Document, Fact, ProductReport, Submission
from .region import NO_AUTHORITY, region_problem
from .uscc import is_well_formed, uscc_problem

SCHEMA = "submission.schema.json"
ANNOTATIONS = frozenset({"title", "description", "$comment", "examples"})  # keywords that validate nothing
# The kind of a raw value (parsed JSON) by its type, in this order: a boolean is never a number; a float is one.
RAW_KINDS = {**KIND_OF_TYPE, float: NUMBER}
FACT_KIND = {"boolean": FLAG, "number": NUMBER, "string": TEXT}  # the kind of answer each type of fact takes


def parse_submission(policy: Policy, raw: Any) -> Submission:
    """The Submission for raw under policy, or SubmissionInvalid listing every issue with its JSON path."""
    return intake_for(policy).parse(raw)


@lru_cache(maxsize=32)
def intake_for(policy: Policy) -> Intake:
    """The Intake of a policy, built once per policy object (Policy compares by identity)."""
    return Intake(policy)


class Intake:
    """What a policy accepts in a submission, as lookup sets computed once."""

    __slots__ = ("sectors", "inputs", "facts", "case_keys", "evidence_keys", "product_values")

    def __init__(self, policy: Policy):
        self.sectors = frozenset(s.id for s in policy.sectors) | {GENERAL}
        self.inputs = {i.id: i for i in policy.inputs}
        self.facts = {f.id: f for f in policy.facts}
        metrics = [m for rule in policy.rules for m in rule.metrics]
        self.case_keys = frozenset(m.input for m in metrics if m.basis == "cases" and m.input)
        self.evidence_keys = frozenset(i.id for i in policy.indicators) | frozenset(r.id for r in policy.rules)
        self.product_values = frozenset(m.value for m in metrics if m.basis == "product" and m.value)

    def parse(self, raw: Any) -> Submission:
        clean = self.clean(raw)
        if clean is not None:
            return _build(clean)
        bad_numbers = set(non_finite(raw))
        checkable = _zeroed(raw, bad_numbers) if bad_numbers else raw  # a Decimal NaN makes jsonschema's < raise
        issues = [] if fast_validator().is_valid(checkable) else schema_issues(SCHEMA, checkable, "submission")
        if isinstance(raw, dict):
            issues += self.issues(raw)
        issues = [i for i in issues if i.path not in bad_numbers]  # a NaN is one problem, not also a type or range
        issues += [Issue("submission.number.not_finite", "NaN and infinity are not numbers here: report a finite value.",
                         path) for path in bad_numbers]
        if issues:
            raise SubmissionInvalid(sorted_issues(issues))
        return _build(_decimals(raw))

    def clean(self, raw: Any) -> dict | None:
        """raw with its numbers as Decimal if nothing is wrong with it, else None: one walk for the usual case;
        parse collects every issue of the others."""
        if not isinstance(raw, dict):
            return None
        try:
            valid = fast_validator().is_valid(raw)
        except ArithmeticError:  # a Decimal NaN compared with a bound: parse reports it
            return None
        if not valid or next(self.issues(raw), None) is not None:
            return None
        try:
            return _decimals(raw)
        except _NotFinite:
            return None

    # -- checks against the policy; each tolerates any shape, since the schema may have failed too ----------
    def issues(self, raw: dict) -> Iterator[Issue]:
        enterprise = raw.get("enterprise")
        if isinstance(enterprise, dict):
            yield from self.enterprise_issues(enterprise)
        yield from self.data_issues(raw.get("data"))
        yield from self.fact_issues(raw.get("facts"))
        yield from self.product_issues(raw.get("products"))
        yield from _unknown_keys(raw.get("cases"), self.case_keys, "cases", "a case key",
                                 "use a case key of the policy or remove the entry")
        yield from _unknown_keys(raw.get("evidence"), self.evidence_keys, "evidence", "an indicator or rule id",
                                 "file the documents under an indicator id or rule id of the policy")

    def enterprise_issues(self, enterprise: dict) -> Iterator[Issue]:
        uscc = enterprise.get("uscc")
        if isinstance(uscc, str) and is_well_formed(uscc):  # else the schema reported its form
            problem = uscc_problem(uscc)
            if problem:
                yield Issue("submission.uscc.check_digit", problem, ("enterprise", "uscc"))
        region = enterprise.get("region")
        if isinstance(region, str) and len(region) == 6 and region.isascii() and region.isdigit():
            found = region_issue(region)
            if found:
                yield found
        sector = enterprise.get("sector")
        if isinstance(sector, str) and sector not in self.sectors:
            yield Issue("submission.sector.unknown", f'"{sector}" is not a key sector of this policy: use one of its sector'
                        f' ids, or "{GENERAL}".{did_you_mean(sector, sorted(self.sectors))}', ("enterprise", "sector"))

    def data_issues(self, data: Any) -> Iterator[Issue]:
        if not isinstance(data, dict):
            return
        for key, value in data.items():
            spec = self.inputs.get(key)
            if spec is None:
                yield Issue("submission.data.unknown", f'"{key}" is not an input of this policy: rename or remove it.'
                            f"{did_you_mean(key, self.inputs)}", ("data", key))
                continue
            number = _finite(value)
            if number is None:  # the schema or the finiteness check reported it
                continue
            if (spec.min is not None and number < spec.min) or (spec.max is not None and number > spec.max):
                low = "" if spec.min is None else f"at least {spec.min}"
                high = "" if spec.max is None else f"at most {spec.max}"
                yield Issue("submission.data.range", f'"{key}" is {number} {spec.unit} but must be'
                            f' {" and ".join(x for x in (low, high) if x)}: check the value and its unit.', ("data", key))
            if spec.integer and number != number.to_integral_value():
                yield Issue("submission.data.integer", f'"{key}" must be a whole number, not {number}.',
                            ("data", key))

    def fact_issues(self, facts: Any) -> Iterator[Issue]:
        if not isinstance(facts, dict):
            return
        for key, value in facts.items():
            spec = self.facts.get(key)
            path = ("facts", key)
            if spec is None:
                yield Issue("submission.fact.unknown", f'"{key}" is not a fact of this policy: rename or remove it.'
                            f"{did_you_mean(key, self.facts)}", path)
            elif not _fits(spec.type, value):
                wanted = {"boolean": "true or false", "number": "a number", "string": "a text"}[spec.type]
                yield Issue("submission.fact.type", f'The fact "{key}" is answered with {wanted}: change the answer.', path)
            elif spec.values and value not in spec.values:
                yield Issue("submission.fact.value", f'"{value}" is not an answer to "{key}": use one of'
                            f' {", ".join(spec.values)}.{did_you_mean(value, spec.values)}', path)

    def product_issues(self, products: Any) -> Iterator[Issue]:
        if not isinstance(products, list):
            return
        seen: set = set()
        for n, product in enumerate(products):
            if not isinstance(product, dict):
                continue
            pid = product.get("id")
            if isinstance(pid, str):
                if pid in seen:
                    yield Issue("submission.product.duplicate", f'The product "{pid}" is reported twice: merge the two'
                                " entries into one.", ("products", n, "id"))
                seen.add(pid)
            values = product.get("values")
            if isinstance(values, dict):
                for key in values:
                    if key not in self.product_values:
                        yield Issue("submission.product.unknown_value", f'"{key}" is not a per-product value of this'
                                    f" policy: rename or remove it.{did_you_mean(key, sorted(self.product_values))}",
                                    ("products", n, "values", key))


def region_issue(region: str) -> Issue | None:
    """The issue of a 6-digit region code (its form is the schema's), if any: a known province-level prefix with an
    authority that recommends green factories. engine.population.frame asks this of each distinct code."""
    problem = region_problem(region)
    if problem:
        return Issue("submission.region.unknown", problem, ("enterprise", "region"))
    if region[:2] in NO_AUTHORITY:
        return Issue("submission.region.no_authority", f"No authority recommends green factories in"
                     f" {NO_AUTHORITY[region[:2]].en}: report a factory in the mainland.", ("enterprise", "region"))
    return None


class _FastCheck:
    """Yes or no against the submission schema, from code generated by fastjsonschema (about 6× faster
    than jsonschema here); schema_issues explains a no. Tests hold the two to the same verdicts."""

    def __init__(self, inlined: dict):
        # the schema uses no keyword beyond draft 7; fastjsonschema knows drafts 4 to 7. Its $refs are inlined
        # (submission_schema): the generated code calls a function per $ref and builds each call's error path with
        # str.format(**locals()), which cost a fifth of the check
        self._check = fastjsonschema.compile({**inlined, "$schema": "http://json-schema.org/draft-07/schema#"},
                                             detailed_exceptions=False)

    def is_valid(self, raw: Any) -> bool:
        try:
            self._check(raw)
        except fastjsonschema.JsonSchemaException:
            return False
        return True


def _inline_refs(node: Any, defs: dict) -> Any:
    """node with each {"$ref": "#/$defs/x", ...} replaced by $defs x with the keys beside the $ref (all of them
    applying, as in the schema's draft 2020-12). The schema's $defs do not refer to themselves, so this ends."""
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = _inline_refs(defs[ref.removeprefix("#/$defs/")], defs)
        siblings = {k: _inline_refs(v, defs) for k, v in node.items() if k != "$ref"}
        if target.keys().isdisjoint(siblings.keys() - ANNOTATIONS):
            return {**target, **siblings}
        return {"allOf": [target], **siblings}
    return {k: _inline_refs(v, defs) for k, v in node.items()}


@lru_cache(maxsize=1)
def submission_schema() -> dict:
    """The submission schema with its $refs inlined: what the fast check compiles, and where engine.population.shape
    reads the key sets, counts, lengths, patterns and bounds of its bulk check. Read once; not to be changed."""
    schema = json.loads((SCHEMA_DIR / SCHEMA).read_text(encoding="utf-8"))
    return _inline_refs({k: v for k, v in schema.items() if k != "$defs"}, schema.get("$defs", {}))


@lru_cache(maxsize=1)
def fast_validator() -> _FastCheck:
    return _FastCheck(submission_schema())


def _unknown_keys(mapping: Any, known: frozenset, part: str, kind: str, fix: str) -> Iterator[Issue]:
    if isinstance(mapping, dict):
        for key in mapping:
            if key not in known:
                yield Issue(f"submission.{part}.unknown", f'"{key}" is not {kind} of this policy: {fix}.'
                            f"{did_you_mean(key, sorted(known))}", (part, key))


def _fits(kind: str, value: Any) -> bool:
    return raw_kind(value) == FACT_KIND[kind]


def raw_kind(value: Any) -> int:
    """The kind of a raw value (subclasses included; engine.population.frame looks the exact type up instead)."""
    kind = RAW_KINDS.get(type(value))  # the exact type: every value json.loads makes, at the cost of one look-up
    if kind is not None:
        return kind
    return next((kind for t, kind in RAW_KINDS.items() if isinstance(value, t)), OTHER)


_NUMBER_TYPES = tuple(t for t, kind in RAW_KINDS.items() if kind == NUMBER)


def _is_number(value: Any) -> bool:
    """raw_kind(value) == NUMBER, in the two isinstance calls that every number of every submission costs."""
    return isinstance(value, _NUMBER_TYPES) and not isinstance(value, bool)


def _number(value: int | float | Decimal) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))  # the shortest text that reads back as this float: what was written
    return Decimal(value)


def _finite(value: Any) -> Decimal | None:
    if not _is_number(value):
        return None
    number = _number(value)
    return number if number.is_finite() else None


def non_finite(raw: Any) -> Iterator[tuple]:
    """Paths of NaN and infinities anywhere in raw; iterative, so any depth is safe."""
    stack: list[tuple[tuple, Any]] = [((), raw)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, float):
            if not math.isfinite(value):
                yield path
        elif isinstance(value, Decimal):
            if not value.is_finite():
                yield path
        elif isinstance(value, dict):
            stack.extend((path + (k,), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((path + (n,), v) for n, v in enumerate(value))


def _zeroed(raw: Any, paths: set[tuple]) -> Any:
    """A copy of raw with 0 at each of paths, copying only the containers on the way."""
    if () in paths:
        return 0
    root = copy.copy(raw)
    for path in paths:
        node = root
        for part in path[:-1]:
            node[part] = node = copy.copy(node[part])
        node[path[-1]] = 0
    return root


class _NotFinite(Exception):
    pass


def _decimals(value: Any) -> Any:
    """A copy with every number as Decimal, or _NotFinite; only called on schema-valid data, whose depth is
    bounded."""
    if isinstance(value, dict):
        return {k: _decimals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimals(v) for v in value]
    if _is_number(value):
        number = _number(value)
        if not number.is_finite():
            raise _NotFinite
        return number
    return value


def _documents(items: list) -> tuple[Document, ...]:
    return tuple(Document(d["name"], d["sha256"], d["uploaded_by"]) for d in items)


def _build(doc: dict) -> Submission:
    enterprise = doc["enterprise"]
    facts: dict[str, Fact] = dict(doc.get("facts", {}))
    return Submission(
        period=doc["period"], uscc=enterprise["uscc"], name=enterprise["name"], region=enterprise["region"],
        sector=enterprise["sector"], industry_code=enterprise["industry_code"],
        energy_use_tce=doc["energy_use_tce"], output_value=doc["output_value"],
        products=tuple(ProductReport(p["id"], p.get("output"), p.get("energy_use_tce"), dict(p.get("values", {})))
                       for p in doc.get("products", [])),
        data=dict(doc.get("data", {})),
        cases={k: tuple(Case(c["title"], _documents(c.get("evidence", []))) for c in v) for k, v in doc.get("cases", {}).items()},
        facts=facts,
        evidence={k: _documents(v) for k, v in doc.get("evidence", {}).items()},
        digest=digest(doc))


def project(raw: dict, policy: Policy) -> tuple[dict, list[str]]:
    """The submission with only the keys this policy reads, and the keys it left out (engine.versions.compare reads
    a submission so under each version; engine.population does when asked to)."""
    intake = intake_for(policy)
    known: dict[str, Container[str]] = {"data": intake.inputs, "facts": intake.facts, "cases": intake.case_keys,
                                        "evidence": intake.evidence_keys}
    out, dropped = dict(raw), []
    for part, keys in known.items():
        section = raw.get(part)
        if isinstance(section, dict):
            out[part] = {k: v for k, v in section.items() if k in keys}
            dropped += [f"{part}.{k}" for k in section if k not in keys]
    return out, dropped
