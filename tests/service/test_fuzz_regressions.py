"""Requests that schemathesis, run from outside against a served demo, answered with a 500: each is now a refusal
with a stable code, and nothing is stored or changed by it. On SQLite and PostgreSQL."""
from __future__ import annotations

from service.cohort_models import Round

from tests.service.cohort_helpers import CSV
from tests.service.service_helpers import counts, submission

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def open_round(client, tokens, round_id: str = "2031") -> str:
    r = client.post("/api/v1/rounds", json={"id": round_id, "policy": "green-factory@2026.1"},
                    headers=tokens["policy_admin"])
    assert r.status_code == 201, r.json
    return round_id


def round_status(app, round_id: str) -> str:
    with app.extensions["greenfactory"].db.read() as session:
        return session.query(Round.status).filter(Round.id == round_id).scalar()


def test_running_a_round_without_submissions_is_refused_and_leaves_it_open(app, client, tokens):
    round_id = open_round(client, tokens)
    r = client.post(f"/api/v1/rounds/{round_id}/run", headers=tokens["policy_admin"])
    assert (r.status_code, r.json["code"]) == (409, "round.empty")
    assert round_status(app, round_id) == "open"


def test_an_import_without_rows_is_refused(app, client, tokens):
    round_id = open_round(client, tokens)
    before = counts(app)
    for body, kind in ((b"", CSV), (b"submission\r\n", CSV), (b'{"rows": []}', "application/json")):
        r = client.post(f"/api/v1/rounds/{round_id}/submissions", data=body, content_type=kind,
                        headers=tokens["authority"])
        assert (r.status_code, r.json["code"], r.json["issues"][0]["code"]) == (422, "import.invalid", "import.empty")
        r = client.post("/api/v1/factories", data=body, content_type=kind, headers=tokens["authority"])
        assert (r.status_code, r.json["issues"][0]["code"]) == (422, "import.empty")
    assert counts(app) == before


def test_a_multipart_part_without_a_name_is_refused(app, client, tokens):
    before = counts(app)
    for part in (b'Content-Disposition: form-data\r\n\r\n330212',
                 b'Content-Disposition: form-data; filename="audit.pdf"\r\n\r\n' + PDF):
        body = (b'--XX\r\nContent-Disposition: form-data; name="file"; filename="energy.pdf"\r\n\r\n' + PDF +
                b"\r\n--XX\r\n" + part + b"\r\n--XX--\r\n")
        r = client.post("/api/v1/documents", data=body, content_type="multipart/form-data; boundary=XX",
                        headers=tokens["enterprise"])
        assert (r.status_code, r.json["code"]) == (400, "request.form.unnamed")
    assert counts(app) == before


def test_an_impact_over_submissions_without_any_evidence_is_answered(client, tokens):
    """The population's shape check unpacked the documents of the rows: with none at all, a ValueError (a 500)."""
    bare = {key: value for key, value in submission().items() if key not in ("evidence", "cases")}
    r = client.post("/api/v1/impact", json={"from": "green-factory@2025.1", "to": "green-factory@2026.1",
                                            "submissions": [bare]}, headers=tokens["policy_admin"])
    assert r.status_code == 200, r.json
    assert r.json["population"]["rows"] == 1
