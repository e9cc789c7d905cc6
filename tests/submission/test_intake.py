"""Submission intake: identity codes, regions, exact Decimals, and one rejection per code, by JSON path."""
from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import SubmissionInvalid, load_policy_file, parse_submission
from engine.policy import validator
from engine.submission import (
    AUTHORITIES,
    CHARSET,
    SCHEMA,
    WEIGHTS,
    Case,
    Document,
    ProductReport,
    authority_for,
    check_character,
    fast_validator,
    region_problem,
    uscc_problem,
    with_check_digit,
)

from tests.support import EXAMPLES, MINI, ROOT

REAL_POLICIES = {"cement-plant.json": ROOT / "policies" / "green-factory" / "2025.1.yaml",
                 "general-plant.json": ROOT / "policies" / "green-factory" / "2025.1.yaml",
                 "general-plant-js.json": ROOT / "policies" / "green-factory-js" / "2025.1.yaml"}
HASH = "0123456789abcdef" * 4
DOC = {"name": "energy-audit-2025.pdf", "sha256": HASH, "uploaded_by": "张三"}
VALID = {
    "period": "2025",
    "enterprise": {"uscc": "91350100M000100Y43", "name": "某水泥有限公司", "region": "350100", "sector": "cement",
                   "industry_code": "3011"},
    "energy_use_tce": 123456.7,
    "output_value": 50000,
    "products": [{"id": "clinker", "output": 1200000, "energy_use_tce": 124200, "values": {"energy_intensity": 103.5}},
                 {"id": "cement_bagged", "output": 300000}],
    "data": {"energy_intensity_output": 412.30, "renewable_share": 5.2, "retrofit_projects": 3},
    "cases": {"retrofit_cases": [{"title": "余热发电改造", "evidence": [DOC]}]},
    "facts": {"deregistered": False, "list_level": "member"},
    "evidence": {"energy_intensity": [DOC], "green_retrofits.cases": [DOC]},
}


@pytest.fixture(scope="module")
def mini():
    return load_policy_file(MINI)


@pytest.fixture
def raw():
    return copy.deepcopy(VALID)


def rejected(policy, raw) -> list[tuple[str, str]]:
    with pytest.raises(SubmissionInvalid) as info:
        parse_submission(policy, raw)
    return sorted((i.code, i.json_path()) for i in info.value.issues)


# -- USCC (GB 32100-2015) ---------------------------------------------------------------------------------

def test_uscc_weights_are_powers_of_three_mod_31():
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert len(CHARSET) == 31 and not set("IOSVZ") & set(CHARSET)


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L", "9144030071526726XG"])
def test_uscc_published_codes_are_valid(code):
    assert uscc_problem(code) is None
    assert with_check_digit(code[:17]) == code


@pytest.mark.parametrize("code", [
    "91350100M000100Y44",  # wrong check character
    "91350100M000100Y4",  # 17 characters
    "91350100M000100Y433",  # 19 characters
    "91350100m000100y43",  # lower case
    "91350100M000100O43",  # O is not in the charset
    "9135A100M000100Y43",  # region part not digits
    "",
])
def test_uscc_invalid_codes_have_a_problem(code):
    assert uscc_problem(code) is not None


def test_uscc_check_character_is_zero_when_the_sum_divides():
    for first17 in ("00000000000000000", "91320500MA1111111"):
        code = with_check_digit(first17)
        assert uscc_problem(code) is None and code[17] == check_character(first17)
    assert with_check_digit("00000000000000000")[-1] == "0"
    with pytest.raises(ValueError):
        check_character("9135010")


# -- regions and authorities (GB/T 2260) ------------------------------------------------------------------

def test_there_are_37_recommending_authorities():
    kinds = [a.kind for a in AUTHORITIES.values()]
    assert len(AUTHORITIES) == 37
    assert (kinds.count("province"), kinds.count("planning_city"), kinds.count("xpcc")) == (31, 5, 1)


@pytest.mark.parametrize("region, authority", [
    ("320500", "320000"), ("330212", "330200"), ("330100", "330000"), ("210204", "210200"), ("350206", "350200"),
    ("370212", "370200"), ("440305", "440300"), ("440100", "440000"), ("660000", "660000"), ("110105", "110000"),
])
def test_authority_for_region(region, authority):
    assert region_problem(region) is None
    assert authority_for(region) == authority
    assert authority in AUTHORITIES


@pytest.mark.parametrize("region", ["990000", "32050", "3205000", "32O500", "", "000000"])
def test_bad_regions(region):
    assert region_problem(region) is not None
    with pytest.raises(ValueError):
        authority_for(region)


@pytest.mark.parametrize("region", ["710000", "810000", "820000"])
def test_taiwan_hong_kong_macau_are_regions_without_authority(region):
    assert region_problem(region) is None
    with pytest.raises(ValueError):
        authority_for(region)


# -- a valid submission -----------------------------------------------------------------------------------

def test_valid_submission_parses_to_the_decimals_written(mini, raw):
    s = parse_submission(mini, raw)
    assert (s.period, s.uscc, s.region, s.sector, s.industry_code) == ("2025", "91350100M000100Y43", "350100", "cement", "3011")
    assert s.energy_use_tce == Decimal("123456.7") and str(s.energy_use_tce) == "123456.7"
    assert s.output_value == Decimal(50000)
    assert s.products[0] == ProductReport("clinker", Decimal(1200000), Decimal(124200), {"energy_intensity": Decimal("103.5")})
    assert s.products[1] == ProductReport("cement_bagged", Decimal(300000), None, {})  # unknown products are allowed
    assert [str(v) for v in s.data.values()] == ["412.3", "5.2", "3"]
    assert all(type(v) is Decimal for v in s.data.values())
    assert s.facts == {"deregistered": False, "list_level": "member"} and s.facts["deregistered"] is False
    assert s.cases == {"retrofit_cases": (Case("余热发电改造", (Document(DOC["name"], HASH, "张三"),)),)}
    assert s.evidence["green_retrofits.cases"] == (Document(DOC["name"], HASH, "张三"),)
    assert s.digest.startswith("sha256:")


def test_digest_ignores_key_order_and_number_spelling(mini, raw):
    first = parse_submission(mini, raw).digest
    raw["output_value"] = 50000.0
    raw["data"] = dict(reversed(list(raw["data"].items())))
    assert parse_submission(mini, raw).digest == first
    raw["data"]["renewable_share"] = 5.3
    assert parse_submission(mini, raw).digest != first


def test_decimal_input_is_kept_as_is(mini, raw):
    text = json.dumps(raw, ensure_ascii=False).replace("412.3", "412.30")
    s = parse_submission(mini, json.loads(text, parse_float=Decimal))
    assert str(s.data["energy_intensity_output"]) == "412.30"


def test_minimal_general_submission(mini):
    s = parse_submission(mini, {"period": "2025", "enterprise": {**VALID["enterprise"], "sector": "general",
                                                                 "industry_code": "1713"},
                                "energy_use_tce": 0, "output_value": 0})
    assert (s.products, s.data, s.cases, s.facts, s.evidence) == ((), {}, {}, {}, {})


def test_industry_code_outside_the_sector_is_not_rejected(mini, raw):
    raw["enterprise"]["industry_code"] = "3911"
    assert parse_submission(mini, raw).industry_code == "3911"


def test_negative_product_values_are_data(mini, raw):
    raw["products"][0]["values"]["energy_intensity"] = -30  # converters recover energy net
    assert parse_submission(mini, raw).products[0].values["energy_intensity"] == Decimal(-30)


# -- one rejection per code -------------------------------------------------------------------------------

@pytest.mark.parametrize("edit, expected", [
    (lambda r: r["enterprise"].update(uscc="91350100M000100Y44"), ("submission.uscc.check_digit", "$.enterprise.uscc")),
    (lambda r: r["enterprise"].update(uscc="91350100m000100y43"), ("submission.schema.pattern", "$.enterprise.uscc")),
    (lambda r: r["enterprise"].update(region="990100"), ("submission.region.unknown", "$.enterprise.region")),
    (lambda r: r["enterprise"].update(region="810000"), ("submission.region.no_authority", "$.enterprise.region")),
    (lambda r: r["enterprise"].update(region="3201"), ("submission.schema.pattern", "$.enterprise.region")),
    (lambda r: r["enterprise"].update(sector="cemnt"), ("submission.sector.unknown", "$.enterprise.sector")),
    (lambda r: r["data"].update(renewable_shares=3), ("submission.data.unknown", "$.data.renewable_shares")),
    (lambda r: r["data"].update(renewable_share=100.5), ("submission.data.range", "$.data.renewable_share")),
    (lambda r: r["data"].update(energy_intensity_output=-1), ("submission.data.range", "$.data.energy_intensity_output")),
    (lambda r: r["data"].update(retrofit_projects=2.5), ("submission.data.integer", "$.data.retrofit_projects")),
    (lambda r: r["data"].update(retrofit_projects=True), ("submission.schema.type", "$.data.retrofit_projects")),
    (lambda r: r["data"].update(renewable_share="5.2"), ("submission.schema.type", "$.data.renewable_share")),
    (lambda r: r["facts"].update(deregisterd=False), ("submission.fact.unknown", "$.facts.deregisterd")),
    (lambda r: r["facts"].update(deregistered=0), ("submission.fact.type", "$.facts.deregistered")),
    (lambda r: r["facts"].update(list_level=True), ("submission.fact.type", "$.facts.list_level")),
    (lambda r: r["facts"].update(list_level="leeder"), ("submission.fact.value", "$.facts.list_level")),
    (lambda r: r["cases"].update(raw_material_cases=[]), ("submission.cases.unknown", "$.cases.raw_material_cases")),
    (lambda r: r["evidence"].update(energy=[]), ("submission.evidence.unknown", "$.evidence.energy")),
    (lambda r: r["evidence"].update({"green_retrofits.projectz": []}),
     ("submission.evidence.unknown", "$.evidence.green_retrofits.projectz")),
    (lambda r: r["products"].append({"id": "clinker"}), ("submission.product.duplicate", "$.products[2].id")),
    (lambda r: r["products"][0]["values"].update(energy_intensty=1),
     ("submission.product.unknown_value", "$.products[0].values.energy_intensty")),
    (lambda r: r.update(energy_use_tce=-0.5), ("submission.schema.minimum", "$.energy_use_tce")),
    (lambda r: r.update(energy_use_tce=float("nan")), ("submission.number.not_finite", "$.energy_use_tce")),
    (lambda r: r.update(output_value=float("-inf")), ("submission.number.not_finite", "$.output_value")),
    (lambda r: r["data"].update(renewable_share=float("inf")), ("submission.number.not_finite", "$.data.renewable_share")),
    (lambda r: r["products"][0]["values"].update(energy_intensity=Decimal("NaN")),
     ("submission.number.not_finite", "$.products[0].values.energy_intensity")),
    (lambda r: r["facts"].update(list_level=float("nan")), ("submission.number.not_finite", "$.facts.list_level")),
    (lambda r: r.update(energy_use_tce=Decimal("-NaN")), ("submission.number.not_finite", "$.energy_use_tce")),
    (lambda r: r["data"].update(renewable_share=Decimal("sNaN")), ("submission.number.not_finite", "$.data.renewable_share")),
    (lambda r: r.update(output_value=Decimal("1E+5000")), ("submission.schema.maximum", "$.output_value")),
    (lambda r: r["data"].update(energy_intensity_output=10 ** 400), ("submission.schema.maximum", "$.data.energy_intensity_output")),
    (lambda r: r["products"][0]["values"].update(energy_intensity=-10 ** 16),
     ("submission.schema.minimum", "$.products[0].values.energy_intensity")),
    (lambda r: r["evidence"].update(energy_intensity=[{**DOC, "sha256": HASH.upper()}]),
     ("submission.schema.pattern", "$.evidence.energy_intensity[0].sha256")),
    (lambda r: r["enterprise"].update(name="x" * 201), ("submission.schema.maxLength", "$.enterprise.name")),
    (lambda r: r["enterprise"].update(name="  "), ("submission.schema.pattern", "$.enterprise.name")),
    (lambda r: r["enterprise"].pop("region"), ("submission.schema.required", "$.enterprise")),
    (lambda r: r.update(extra=1), ("submission.schema.unknown_key", "$.extra")),
    (lambda r: r["products"].extend({"id": f"p{n}"} for n in range(49)), ("submission.schema.maxItems", "$.products")),
], ids=lambda x: x[0] if isinstance(x, tuple) else None)
def test_rejection(mini, raw, edit, expected):
    edit(raw)
    assert rejected(mini, raw) == [expected]
    if expected[0] != "submission.number.not_finite":  # (jsonschema itself cannot compare a Decimal NaN)
        assert fast_validator().is_valid(raw) == validator(SCHEMA).is_valid(raw)  # the shortcut agrees with the schema


@pytest.mark.parametrize("raw", [None, [], "text", 1, {}])
def test_not_a_submission_is_rejected_not_crashed(mini, raw):
    with pytest.raises(SubmissionInvalid) as info:
        parse_submission(mini, raw)
    assert info.value.issues and all(i.code.startswith("submission.schema.") for i in info.value.issues)


def test_every_problem_is_reported_at_once(mini, raw):
    raw["enterprise"].update(uscc="91350100M000100Y44", region="990000", sector="steel")
    raw["energy_use_tce"] = float("nan")
    raw["output_value"] = -1
    raw["period"] = 2025
    raw["data"].update(renewable_share=120, retrofit_projects=1.5, carbon_intensity=3)
    raw["facts"].update(deregistered="no", list_level="leeder")
    raw["products"].append({"id": "clinker", "values": {"energy_intensity": "103.5"}})
    raw["cases"]["green_cases"] = [{"title": "x", "evidence": [{"name": "a.pdf", "sha256": "00", "uploaded_by": "李四"}]}]
    raw["evidence"]["land"] = []
    assert rejected(mini, raw) == sorted([
        ("submission.uscc.check_digit", "$.enterprise.uscc"),
        ("submission.region.unknown", "$.enterprise.region"),
        ("submission.sector.unknown", "$.enterprise.sector"),
        ("submission.number.not_finite", "$.energy_use_tce"),
        ("submission.schema.minimum", "$.output_value"),
        ("submission.schema.type", "$.period"),
        ("submission.data.range", "$.data.renewable_share"),
        ("submission.data.integer", "$.data.retrofit_projects"),
        ("submission.data.unknown", "$.data.carbon_intensity"),
        ("submission.fact.type", "$.facts.deregistered"),
        ("submission.fact.value", "$.facts.list_level"),
        ("submission.product.duplicate", "$.products[2].id"),
        ("submission.schema.type", "$.products[2].values.energy_intensity"),
        ("submission.cases.unknown", "$.cases.green_cases"),
        ("submission.schema.pattern", "$.cases.green_cases[0].evidence[0].sha256"),
        ("submission.evidence.unknown", "$.evidence.land"),
    ])


def test_issues_have_no_location_and_say_what_to_do(mini, raw):
    raw["enterprise"]["sector"] = "cemnt"
    with pytest.raises(SubmissionInvalid) as info:
        parse_submission(mini, raw)
    (issue,) = info.value.issues
    assert issue.location is None and issue.path == ("enterprise", "sector") and issue.message


# -- examples against the real policies, once they exist --------------------------------------------------

@pytest.mark.parametrize("name", sorted(REAL_POLICIES))
def test_examples_parse_against_the_real_policies(name):
    policy_file, example = REAL_POLICIES[name], EXAMPLES / name
    if not policy_file.exists() or not example.exists():
        pytest.skip(f"{policy_file.relative_to(ROOT)} or {example.relative_to(ROOT)} not written yet")
    s = parse_submission(load_policy_file(policy_file), json.loads(example.read_text(encoding="utf-8")))
    if name == "cement-plant.json":
        assert s.sector == "cement"
        assert next(p for p in s.products if p.id == "clinker").values["energy_intensity"] == Decimal("103.5")
    else:
        assert s.sector == "general"


# -- bad input never crashes ------------------------------------------------------------------------------

_leaf = (st.none() | st.booleans() | st.integers() | st.floats() | st.decimals() | st.text(max_size=5)
         | st.sampled_from(["leader", "91350100M000100Y43", "810000", HASH]))
_json = st.recursive(_leaf, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=12)
_key = st.sampled_from(["period", "energy_use_tce", "output_value", "products", "data", "cases", "facts", "evidence",
                        "enterprise", "uscc", "region", "sector", "deregistered", "list_level", "renewable_share",
                        "retrofit_projects", "retrofit_cases", "energy_intensity", "values", "id", "title", "sha256"])


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.lists(_key | st.integers(0, 2), max_size=3), _json), max_size=4))
def test_arbitrary_json_is_rejected_or_parsed_never_crashes(mini, edits):
    raw = copy.deepcopy(VALID)
    for path, value in edits:  # put garbage at a (possibly missing) path inside a valid submission
        node = raw
        for part in path:
            if isinstance(node, dict) and part in node and isinstance(node[part], (dict, list)):
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
        if isinstance(node, dict) and path:
            node[path[-1]] = value
        elif isinstance(node, list) and node:
            node[0] = value
    try:
        parse_submission(mini, raw)
    except SubmissionInvalid as exc:
        assert exc.issues and all(i.code.startswith("submission.") and i.location is None for i in exc.issues)
