"""The evaluation pages through the test client, on SQLite and PostgreSQL: the list, one evaluation with its trace
(thresholds, standards, policy lines, documents, the regional baseline), one submission under two versions; scoping
as the API's (out of scope is the same 404 page); and escaping of what an enterprise typed."""
from __future__ import annotations

import html
import json
import re

import pytest
from ruamel.yaml import YAML
from sqlalchemy import select

from service import demo
from service.auth import new_token
from service.models import Evaluation
from service.pages import evaluations as pages
from service.pages.trace_view import bar

from tests.service.service_helpers import NINGBO_USCC, REPO, evaluate, page
from tests.service.service_helpers import sign_in_page as sign_in
from tests.service.service_helpers import submission


def row_of(text: str, attribute: str, value: str) -> str:
    """The HTML of the table row carrying attribute="value"."""
    start = text.index(f'{attribute}="{value}"')
    return text[start:text.index("</tr>", start)]


def stored(client, headers, sub=None, policy="green-factory@2025.1") -> dict:
    response = evaluate(client, headers, sub, policy)
    assert response.status_code == 201, response.json
    return response.json


def step(evaluation: dict, rule: str) -> dict:
    return next(s for s in evaluation["outcome"]["trace"] if s["rule"] == rule)


# -- the evaluation page -----------------------------------------------------------------------------------

def test_the_page_shows_gates_thresholds_standards_documents_and_policy_lines(client, tokens):
    ev = stored(client, tokens["enterprise"])
    sign_in(client, tokens["enterprise"])
    text = page(client, f"/evaluations/{ev['id']}?lang=en")

    gate = row_of(text, "data-gate", "not_deregistered")
    assert 'class="badge passed"' in gate
    assert step(ev, "gate:not_deregistered")["reason"]["en"].replace('"', "&#34;") in gate

    carbon = step(ev, "carbon_intensity")
    baseline, leading = (next(p for p in carbon["parameters"] if p["name"] == n) for n in ("baseline", "leading"))
    row = row_of(text, "data-rule", "carbon_intensity")
    assert f'<span class="baseline-value" title="baseline">{baseline["value"]}</span>' in row
    assert f'<span class="leading-value" title="leading value">{leading["value"]}</span>' in row
    assert f'<code class="muted">{baseline["source"]["ref"]}</code>' in row
    assert html.escape(ev["outcome"]["sources"][baseline["source"]["ref"]]) in row
    assert carbon["inputs"][0]["value"] in row  # the reported value, with its unit
    assert html.escape(carbon["inputs"][0]["unit"]) in row
    assert f'href="/policies/green-factory/versions/2025.1#L{carbon["line"]}"' in row
    assert f'href="/policies/green-factory/versions/2025.1#L{baseline["line"]}"' in row
    assert 'class="bar ' in row and "lower is better" in row  # kgCO2 per output value: lower is better
    assert f"<strong>{carbon['points']}</strong>" in row
    assert html.escape(carbon["reason"]["en"]) in row
    documents = submission()["evidence"]["carbon_intensity"]
    assert documents[0]["name"] in row and documents[0]["sha256"] in row and documents[0]["uploaded_by"] in row

    for pillar, points in ev["outcome"]["pillars"].items():
        assert f'data-pillar="{pillar}"' in text and points in text
    assert f'<div class="big" id="score">{ev["outcome"]["score"]}</div>' in text
    assert f'/compare?evaluation={ev["id"]}&amp;from=green-factory@2025.1&amp;to=green-factory@2026.1' in text


def test_case_documents_are_listed_with_their_case_and_reasons_follow_the_page_language(client, tokens):
    ev = stored(client, tokens["enterprise"])
    sign_in(client, tokens["enterprise"])
    text = page(client, f"/evaluations/{ev['id']}?lang=zh")
    case = submission()["cases"]["recycled_material_cases"][0]
    row = row_of(text, "data-rule", "raw_material_saving.recycled_materials")
    assert case["title"] in row and case["evidence"][0]["name"] in row
    assert html.escape(step(ev, "carbon_intensity")["reason"]["zh"]) in text
    assert html.escape(step(ev, "carbon_intensity")["reason"]["en"]) not in text


def test_a_submitted_name_with_html_in_it_is_shown_as_text(client, tokens):
    sub = submission()
    sub["enterprise"]["name"] = '<script>alert("x")</script><b>宁波</b> & Co'
    sub["evidence"]["carbon_intensity"][0]["name"] = "<img src=x onerror=alert(1)>.pdf"
    sub["evidence"]["carbon_intensity"][0]["uploaded_by"] = "<i>李四</i>"
    ev = stored(client, tokens["enterprise"], sub)
    sign_in(client, tokens["enterprise"])
    for url in (f"/evaluations/{ev['id']}?lang=en", "/evaluations?lang=en"):
        text = page(client, url)
        assert "<script>alert" not in text and "<b>宁波</b>" not in text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;宁波&lt;/b&gt; &amp; Co" in text
    text = page(client, f"/evaluations/{ev['id']}")
    assert "<img src=x" not in text and "<i>李四</i>" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;.pdf" in text and "&lt;i&gt;李四&lt;/i&gt;" in text


def test_the_regional_baseline_of_a_round_is_shown(app, client, tokens):
    demo.load(app.extensions["greenfactory"].store, factories=60, say=lambda message: None)
    db = app.extensions["greenfactory"].db
    with db.read() as session:
        row = next(r for r in session.execute(select(Evaluation).where(Evaluation.context.is_not(None))
                                              .order_by(Evaluation.pk)).scalars()
                   if json.loads(r.context).get("baseline"))
        with db.write() as write:
            token, secret = new_token("reviewer", row.region[:2] + "0000", name="province")
            write.add(token)
    baseline = json.loads(row.context)["baseline"]
    sign_in(client, {"Authorization": f"Bearer {secret}"})
    text = page(client, f"/evaluations/{row.id}?lang=en")
    part = text[text.index('id="regional-baseline"'):text.index("</section>", text.index('id="regional-baseline"'))]
    assert f'<span class="value">{baseline["mean"]}</span>' in part
    assert baseline["scope"] in part and baseline["snapshot"] in part
    decided = next(s for s in json.loads(row.outcome)["trace"] if s["rule"] == "decision:regional_baseline")
    assert f"<code>{html.escape(decided['formula'])}</code>" in part  # e.g. 73.08 ≥ 65.34
    assert html.escape(decided["reason"]["en"]) in part


def test_a_converters_negative_thresholds_put_its_bar_halfway(client, tokens):
    case = YAML(typ="safe").load((REPO / "policies" / "green-factory" / "cases" / "converter-negative-thresholds.yaml")
                                 .read_text(encoding="utf-8"))
    sub = json.loads(json.dumps(case["submission"]))  # -29 kgce/t between baseline -28 and leading -30
    sub["enterprise"].update(uscc=NINGBO_USCC, region="330212")
    ev = stored(client, tokens["enterprise"], sub)
    sign_in(client, tokens["enterprise"])
    row = row_of(page(client, f"/evaluations/{ev['id']}?lang=en"), "data-rule", "energy_intensity")
    assert '<span class="baseline-value" title="baseline">-28</span>' in row
    assert '<span class="leading-value" title="leading value">-30</span>' in row
    assert 'style="width: 50.0%"' in row and "lower is better" in row
    assert "<strong>4.00</strong>" in row


# -- scoping -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who,status", [("enterprise", 200), ("reviewer", 200), ("authority", 200),
                                        ("other_enterprise", 404), ("reviewer_elsewhere", 404),
                                        ("authority_elsewhere", 404), ("policy_admin", 403)])
def test_an_evaluation_out_of_scope_is_the_same_404_page(client, tokens, who, status):
    ev = stored(client, tokens["enterprise"])
    sign_in(client, tokens[who])
    text = page(client, f"/evaluations/{ev['id']}", status)
    if status == 404:
        assert "evaluation.unknown" in text and ev["outcome"]["score"] not in text
        assert page(client, "/evaluations/no-such-evaluation", 404).count("evaluation.unknown") == 1
    if status != 403:
        assert (ev["id"] in page(client, "/evaluations")) is (status == 200)


def test_signed_out_the_pages_ask_to_sign_in(client, tokens):
    ev = stored(client, tokens["enterprise"])
    for url in ("/evaluations", f"/evaluations/{ev['id']}", f"/compare?evaluation={ev['id']}"):
        response = client.get(url)
        assert response.status_code == 302 and "/signin?next=" in response.headers["Location"]


@pytest.mark.parametrize("who,status", [("enterprise", 200), ("reviewer", 200), ("policy_admin", 200),
                                        ("other_enterprise", 404), ("authority_elsewhere", 404)])
def test_the_comparison_is_scoped_as_the_apis(client, tokens, who, status):
    ev = stored(client, tokens["enterprise"])
    sign_in(client, tokens[who])
    page(client, f"/compare?evaluation={ev['id']}&from=green-factory@2025.1&to=green-factory-js@2025.1", status)


# -- the list ----------------------------------------------------------------------------------------------

def test_the_list_is_newest_first_with_pages(client, tokens, monkeypatch):
    ids = [stored(client, tokens["enterprise"])["id"] for _ in range(3)]
    stored(client, tokens["other_enterprise"], submission("general-plant-js.json"), "green-factory-js@2025.1")
    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    sign_in(client, tokens["enterprise"])
    first = page(client, "/evaluations?lang=en")
    assert re.findall(r'data-evaluation="([^"]+)"', first) == ids[::-1][:2]
    following = html.unescape(re.search(r'<a href="([^"]+)" rel="next">', first)[1])
    second = page(client, following)
    assert re.findall(r'data-evaluation="([^"]+)"', second) == ids[:1]
    assert f'href="/evaluations/{ids[0]}"' in second
    assert page(client, "/evaluations?region=12", 400).count("page.filter.region") == 1


# -- the comparison ----------------------------------------------------------------------------------------

def test_the_comparison_highlights_changed_rows_and_gives_the_totals_delta(client, tokens):
    ev = stored(client, tokens["enterprise"])
    body = {"from": "green-factory@2025.1", "to": "green-factory-js@2025.1", "evaluation": ev["id"]}
    api = client.post("/api/v1/comparisons", json=body, headers=tokens["enterprise"]).json
    sign_in(client, tokens["enterprise"])
    text = page(client, f"/compare?evaluation={ev['id']}&from=green-factory@2025.1&to=green-factory-js@2025.1&lang=en")
    changed = [r["rule"] for r in api["rules"] if r["changed"]]
    assert changed and re.findall(r'<tr class="changed" data-rule="([^"]+)"', text) == changed
    assert re.search(r'<tr class="same" data-rule="', text)
    delta = api["total_delta"]
    assert re.search(rf'id="total-delta">\+?{re.escape(delta)}</div>', text)
    row = row_of(text, "data-rule", changed[0])
    rule = next(r for r in api["rules"] if r["rule"] == changed[0])
    assert f'href="/policies/green-factory/versions/2025.1#L{rule["from_line"]}"' in row
    assert f'href="/policies/green-factory-js/versions/2025.1#L{rule["to_line"]}"' in row
    assert html.escape(rule["from_reason"]["en"]) in row and html.escape(rule["to_reason"]["en"]) in row
    options = re.findall(r'<option value="([^"]+)"', text)
    assert "green-factory@2026.1" in options and "green-factory-js@2025.1" in options


def test_the_comparison_defaults_and_refusals(client, tokens):
    ev = stored(client, tokens["enterprise"])
    sign_in(client, tokens["enterprise"])
    text = page(client, f"/compare?evaluation={ev['id']}")  # from its own version to the latest of its policy
    assert re.search(r'<option value="green-factory@2025.1" selected>', text)
    assert re.search(r'<option value="green-factory@2026.1" selected>', text)
    assert "policy.ref.malformed" in page(client, f"/compare?evaluation={ev['id']}&from=../x", 400)
    assert "policy.version.unknown" in page(client, f"/compare?evaluation={ev['id']}&to=green-factory@1999.1", 404)
    assert "page.compare.evaluation" in page(client, "/compare", 400)


def test_drafts_are_offered_to_policy_admins_only(client, tokens):
    text = (REPO / "policies" / "green-factory" / "2026.1.yaml").read_text(encoding="utf-8")
    text = re.sub(r'(?m)^version: "2026.1"', 'version: "2099.1"', text, count=1)
    text = re.sub(r"(?m)^status: published", "status: draft", text, count=1)
    response = client.post("/api/v1/policies/green-factory/versions", data=text.encode("utf-8"),
                           content_type="application/yaml", headers=tokens["policy_admin"])
    assert response.status_code == 201, response.json
    draft = "green-factory@2099.1"
    ev = stored(client, tokens["enterprise"])
    sign_in(client, tokens["enterprise"])
    assert f'value="{draft}"' not in page(client, f"/compare?evaluation={ev['id']}")
    assert "policy.version.unknown" in page(client, f"/compare?evaluation={ev['id']}&to={draft}", 404)
    sign_in(client, tokens["policy_admin"])
    text = page(client, f"/compare?evaluation={ev['id']}&to={draft}&lang=en")
    assert f'value="{draft}"' in text and "(draft)" in text
    assert re.search(r'<tr class="(changed|same)" data-rule="', text)


# -- the bar -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value,baseline,leading,percent,where,lower", [
    ("-29", "-28", "-30", "50.0", "between", True),  # a BOF converter: negative thresholds, lower is better
    ("-31", "-28", "-30", "100.0", "beyond", True),
    ("-27", "-28", "-30", "0.0", "below", True),
    ("2290.58", "3300", "2200", "91.8", "between", True),
    ("8.43", "0", "7.93", "100.0", "beyond", False),
    ("85", "80", "90", "50.0", "between", False),
    ("79", "80", "90", "0.0", "below", False),
])
def test_the_bar_puts_the_value_between_baseline_and_leading_whichever_way_is_better(value, baseline, leading, percent,
                                                                                     where, lower):
    b = bar(value, baseline, leading)
    assert (b.percent, b.where, b.lower_is_better) == (percent, where, lower)


def test_the_bar_with_equal_thresholds_follows_the_policys_direction():
    assert bar("5", "5", "5", lower_is_better=True).where == "beyond"
    assert bar("6", "5", "5", lower_is_better=True).where == "below"
    assert bar("6", "5", "5") is None and bar(None, "1", "2") is None


def test_an_uploaded_evidence_document_is_linked_for_whoever_may_read_it(client, tokens):
    import hashlib
    import io

    pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    digest = hashlib.sha256(pdf).hexdigest()
    up = client.post("/api/v1/documents", data={"file": (io.BytesIO(pdf), "carbon-audit.pdf"), "region": "330212"},
                     headers=tokens["enterprise"])
    assert up.status_code == 201, up.json
    sub = submission()
    sub["evidence"]["carbon_intensity"] = [up.json["evidence"]]
    ev = stored(client, tokens["enterprise"], sub)
    link = f'href="/documents/{digest}"'
    sign_in(client, tokens["enterprise"])
    row = row_of(page(client, f"/evaluations/{ev['id']}?lang=en"), "data-rule", "carbon_intensity")
    assert link in row
    assert client.get(f"/documents/{digest}").data == pdf
    other = row_of(page(client, f"/evaluations/{ev['id']}?lang=en"), "data-rule", "energy_intensity")
    assert "/documents/" not in other  # its documents were never uploaded here: named, not linked
