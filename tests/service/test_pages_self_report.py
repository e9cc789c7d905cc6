"""The self-report page, server side, on SQLite and PostgreSQL: the form the policy asks for, every issue shown at
its field, documents stored with the report, the evaluation created on success, and another enterprise's code
refused."""
from __future__ import annotations

import hashlib
import html
import io
import json
import re

from sqlalchemy import select

from service.cohort_models import Factory
from service.models import Evaluation

from tests.service.service_helpers import (
    NINGBO_USCC, SELF_REPORT_POLICY, SUZHOU_USCC, audit_actions, counts, field_errors, filled, invalid_fields)
from tests.service.service_helpers import sign_in_page as sign_in
from tests.service.service_helpers import submission

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"
POLICY = SELF_REPORT_POLICY





def evaluations(app) -> list[Evaluation]:
    with app.extensions["greenfactory"].db.read() as session:
        return list(session.execute(select(Evaluation)).scalars())


def test_the_form_asks_for_what_the_policy_asks(app, client, tokens, bundled_catalog):
    with app.extensions["greenfactory"].db.write() as session:
        session.add(Factory(uscc=NINGBO_USCC, name="宁波示例家具有限公司", region="330212", authority="330200",
                            sector="general"))
    sign_in(client, tokens["enterprise"])
    response = client.get(f"/self-report?lang=en&policy={POLICY}")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    policy = bundled_catalog.get(POLICY).policy
    for spec in policy.inputs:
        assert f'name="data.{spec.id}"' in page and html.escape(spec.label.en) in page
    for fact in policy.facts:
        assert f'name="facts.{fact.id}"' in page
    for indicator in policy.indicators:
        assert re.search(rf'<input type="file" id="[^"]+" name="evidence\.{indicator.id}"', page)
    sectors = re.search(r'<select id="f-enterprise-sector".*?</select>', page, re.S)[0]
    assert len(re.findall(r'<option value="[^"]+"', sectors)) == len(policy.sectors) + 1 == 54
    for name, value in (("enterprise.uscc", NINGBO_USCC), ("enterprise.region", "330212"),
                        ("enterprise.name", "宁波示例家具有限公司")):
        assert re.search(rf'name="{re.escape(name)}" value="{value}"', page), name
    rules = json.loads(html.unescape(re.search(r"data-rules='([^']+)'", page)[1]))["fields"]
    assert rules["data.renewable_share"] == {"type": "number", "minimum": 0, "maximum": 100, "required": False}
    assert rules["data.platform_functions"]["integer"] is True
    assert rules["period"]["pattern"] == "^[0-9]{4}$" and rules["period"]["required"] is True
    assert rules["facts.deregistered"] == {"type": "boolean", "required": False}
    assert rules["evidence.energy_intensity"]["maxBytes"] == app.extensions["greenfactory"].settings.max_document_bytes
    assert '<script src="/assets/self_report.js"' in page


def test_only_enterprises_fill_in_a_report(app, client, tokens):
    assert client.get("/self-report").headers["Location"].startswith("/signin")
    sign_in_other = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', sign_in_other.get("/signin").get_data(as_text=True))[1]
    secret = tokens["reviewer"]["Authorization"].split(" ", 1)[1]
    sign_in_other.post("/signin", data={"token": secret, "csrf_token": token})
    assert sign_in_other.get("/self-report").status_code == 403


def test_every_issue_is_shown_at_its_field_and_nothing_is_stored(app, client, tokens):
    csrf = sign_in(client, tokens["enterprise"])
    before = counts(app)
    form = filled(csrf) | {"energy_use_tce": "abc", "data.renewable_share": "150", "period": "25",
                           "enterprise.name": "", "enterprise.sector": "cementt", "data.platform_functions": "2.5",
                           "facts.deregistered": "maybe", "data.land_productivity": "9" * 5000}
    response = client.post("/self-report?lang=en", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    errors = field_errors(page)
    assert errors["enterprise.name"] == ["page.field.required"]
    assert errors["energy_use_tce"][0].startswith("submission.schema.")
    assert errors["period"][0].startswith("submission.schema.")
    assert errors["data.renewable_share"] == ["submission.data.range"]
    assert errors["data.platform_functions"] == ["submission.data.integer"]
    assert errors["enterprise.sector"] == ["submission.sector.unknown"]
    assert "facts.deregistered" in errors
    assert errors["data.land_productivity"][0].startswith("submission.schema.")
    assert set(errors) <= invalid_fields(page) | {"enterprise.sector", "facts.deregistered"}
    assert 'role="alert"' in page
    assert re.search(r'name="data.carbon_intensity" value="75.4"', page)  # what was entered is kept
    assert counts(app) == before and evaluations(app) == []


def test_a_report_with_a_document_becomes_an_evaluation(app, client, tokens):
    csrf = sign_in(client, tokens["enterprise"])
    form = filled(csrf) | {"evidence.energy_intensity": (io.BytesIO(PDF), "energy-statistics-2025.pdf"),
                           "cases.green_design_cases.0.title": "可拆卸模块化办公桌设计",
                           "cases.green_design_cases.0.evidence": (io.BytesIO(PDF + b"design"), "design.pdf")}
    response = client.post("/self-report?lang=en", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    [row] = evaluations(app)
    assert response.headers["Location"].endswith(f"/evaluations/{row.id}")
    assert row.uscc == NINGBO_USCC and row.policy_id == "green-factory" and row.policy_version == "2025.1"
    stored = json.loads(row.submission)
    [doc] = stored["evidence"]["energy_intensity"]
    assert doc["sha256"] == hashlib.sha256(PDF).hexdigest() and doc["name"] == "energy-statistics-2025.pdf"
    assert doc["uploaded_by"].startswith("tok_")
    [case] = stored["cases"]["green_design_cases"]
    assert case["evidence"][0]["sha256"] == hashlib.sha256(PDF + b"design").hexdigest()
    assert audit_actions(app)[-3:] == ["document.upload", "document.upload", "evaluation.create"]
    api = client.get(f"/api/v1/evaluations/{row.id}", headers=tokens["enterprise"]).json
    assert api["outcome"]["score"] == row.score


def test_documents_uploaded_before_travel_as_hashes(app, client, tokens):
    csrf = sign_in(client, tokens["enterprise"])
    r = client.post("/self-report/documents", data={"file": (io.BytesIO(PDF), "audit.pdf"), "region": "330212"},
                    headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201 and r.json["media_type"] == "application/pdf"
    refused = client.post("/self-report/documents", data={"file": (io.BytesIO(b"plain text"), "audit.pdf")},
                          headers={"X-CSRF-Token": csrf})
    assert (refused.status_code, refused.mimetype, refused.json["code"]) == (
        415, "application/problem+json", "document.type.unsupported")
    assert client.post("/self-report/documents", data={"file": (io.BytesIO(PDF), "a.pdf")}).status_code == 400
    theirs = client.post("/api/v1/documents", data={"file": (io.BytesIO(PDF + b"js"), "js.pdf"), "region": "320583"},
                         headers=tokens["other_enterprise"]).json["sha256"]
    form = filled(csrf) | {"evidence.energy_intensity": r.json["sha256"], "evidence.carbon_intensity": theirs}
    page = client.post("/self-report?lang=en", data=form).get_data(as_text=True)
    assert field_errors(page) == {"evidence.carbon_intensity": ["document.unknown"]}
    assert f'value="{r.json["sha256"]}"' in page  # the accepted one stays attached
    form["evidence.carbon_intensity"] = ""
    assert client.post("/self-report?lang=en", data=form).status_code == 303
    [row] = evaluations(app)
    assert json.loads(row.submission)["evidence"] == {"energy_intensity": [r.json["evidence"]]}
    assert client.get(f"/documents/{r.json['sha256']}").data == PDF
    assert client.get(f"/documents/{theirs}").status_code == 404


def test_another_enterprises_code_is_refused(app, client, tokens):
    csrf = sign_in(client, tokens["enterprise"])
    raw = submission("general-plant-js.json")
    assert raw["enterprise"]["uscc"] == SUZHOU_USCC
    response = client.post("/self-report?lang=en", data=filled(csrf, raw))
    assert response.status_code == 403
    assert field_errors(response.get_data(as_text=True))["enterprise.uscc"] == ["auth.enterprise.mismatch"]
    assert evaluations(app) == []


def test_a_bad_policy_reference_is_an_error_page(client, tokens):
    sign_in(client, tokens["enterprise"])
    assert client.get("/self-report?policy=green-factory@1999.1").status_code == 404
    assert client.get("/self-report?policy=Not A Ref").status_code == 400


def test_a_document_may_be_larger_than_other_bodies_but_not_than_its_own_limit(make_app, tokens_for):
    app = make_app(max_body_bytes=1000, max_document_bytes=4000)
    client, tokens = app.test_client(), tokens_for(app)
    csrf = sign_in(client, tokens["enterprise"])
    big = PDF + b"%" * (3000 - len(PDF))  # three times the body limit: the NUL and CSRF checks read it too
    r = client.post("/self-report/documents", data={"file": (io.BytesIO(big), "audit.pdf"), "region": "330212"},
                    headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.get_data(as_text=True)[:500]
    assert r.json["sha256"] == hashlib.sha256(big).hexdigest()
    huge = PDF + b"%" * 200_000
    r = client.post("/self-report/documents", data={"file": (io.BytesIO(huge), "audit.pdf"), "region": "330212"},
                    headers={"X-CSRF-Token": csrf})
    assert r.status_code == 413
