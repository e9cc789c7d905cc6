"""Supporting documents through the API, on SQLite and PostgreSQL: stored once per content, checked by their bytes,
their size and the hash the client expects, read back only within the evaluations' scope, audited, and nothing
stored when refused."""
from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from sqlalchemy import func, select

from service.audit import verify_chain
from service.cohort_models import Factory
from service.document_models import DocumentContent, DocumentUpload
from service.models import AuditEntry

from tests.service.service_helpers import NINGBO_USCC

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(20)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def office(folder: str) -> bytes:
    """A minimal OOXML container: [Content_Types].xml and one part under folder/ (xl/ or word/)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(f"{folder}/document.xml", "<x/>")
    return out.getvalue()


def upload(client, headers, data: bytes, name: str = "energy-audit.pdf", content_type: str | None = None, **form):
    part = (io.BytesIO(data), name, content_type) if content_type else (io.BytesIO(data), name)
    return client.post("/api/v1/documents", data={"file": part, **form}, headers=headers)


def stored(app) -> dict[str, int]:
    db = app.extensions["greenfactory"].db
    with db.read() as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in (DocumentContent, DocumentUpload, AuditEntry)}


def test_an_upload_is_stored_with_its_record_and_read_back(app, client, tokens):
    r = upload(client, tokens["enterprise"], PDF, sha256=hashlib.sha256(PDF).hexdigest(), region="330212")
    assert r.status_code == 201, r.json
    digest = hashlib.sha256(PDF).hexdigest()
    assert r.json["sha256"] == digest and r.headers["Location"].endswith(f"/api/v1/documents/{digest}")
    assert (r.json["name"], r.json["media_type"], r.json["size"]) == ("energy-audit.pdf", "application/pdf", len(PDF))
    assert (r.json["enterprise"], r.json["region"]) == (NINGBO_USCC, "330212")
    assert r.json["uploaded_by"].startswith("tok_")
    assert r.json["evidence"] == {"name": "energy-audit.pdf", "sha256": digest, "uploaded_by": r.json["uploaded_by"]}
    back = client.get(f"/api/v1/documents/{digest}", headers=tokens["enterprise"])
    assert back.status_code == 200 and back.data == PDF and back.mimetype == "application/pdf"
    assert back.headers["Content-Disposition"].startswith("attachment;")
    assert back.headers["X-Content-SHA256"] == digest


def test_the_audit_log_records_each_upload_in_the_chain(app, client, tokens):
    r = upload(client, tokens["enterprise"], PDF, region="330212")
    db = app.extensions["greenfactory"].db
    with db.read() as session:
        entry = session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).scalar_one()
        assert (entry.action, entry.subject, entry.input_digest) == (
            "document.upload", f"document:{r.json['sha256']}", f"sha256:{r.json['sha256']}")
        assert entry.actor == r.json["uploaded_by"] and entry.role == "enterprise"
        assert verify_chain(session)[1] == []


def test_the_same_bytes_are_stored_once(app, client, tokens):
    first = upload(client, tokens["enterprise"], PDF, region="330212")
    before = stored(app)
    again = upload(client, tokens["enterprise"], PDF, name="renamed.pdf", region="330212")
    assert again.status_code == 200 and again.json == first.json  # its first upload, name included
    assert stored(app) == before
    other = upload(client, tokens["other_enterprise"], PDF, name="suzhou.pdf", region="320583")
    assert other.status_code == 201 and other.json["name"] == "suzhou.pdf"
    assert stored(app) == {"document_contents": 1, "document_uploads": 2, "audit_log": before["audit_log"] + 1}
    shared = client.get(f"/api/v1/documents/{first.json['sha256']}", headers=tokens["other_enterprise"])
    assert shared.status_code == 200 and shared.headers["Content-Disposition"].endswith("suzhou.pdf")


@pytest.mark.parametrize("data, name, media_type", [
    (PNG, "meter-photo.png", "image/png"), (JPEG, "site.JPG", "image/jpeg"), (office("xl"), "energy.xlsx", XLSX_TYPE),
    (office("word"), "report.docx", DOCX_TYPE), (PDF, r"C:\fakepath\scan.pdf", "application/pdf"),
])
def test_each_allowed_type_is_known_by_its_bytes(app, client, tokens, data, name, media_type):
    r = upload(client, tokens["enterprise"], data, name=name, content_type="application/octet-stream", region="330212")
    assert r.status_code == 201, r.json
    assert r.json["media_type"] == media_type and "\\" not in r.json["name"]


@pytest.mark.parametrize("data, name, content_type, status, code", [
    (b"just some text", "notes.pdf", "application/pdf", 415, "document.type.unsupported"),
    (b"MZ\x90\x00 an executable", "report.pdf", None, 415, "document.type.unsupported"),
    (b"PK\x03\x04 not really a zip", "energy.xlsx", None, 415, "document.type.unsupported"),
    (PNG, "energy-audit.pdf", None, 415, "document.type.mismatch"),  # a PNG named as a PDF
    (PDF, "energy-audit.pdf", "image/png", 415, "document.type.mismatch"),  # a PDF declared as a PNG
    (office("word"), "energy.xlsx", None, 415, "document.type.mismatch"),
    (b"", "empty.pdf", None, 422, "document.empty"),
])
def test_a_refused_type_stores_nothing(app, client, tokens, data, name, content_type, status, code):
    before = stored(app)
    r = upload(client, tokens["enterprise"], data, name=name, content_type=content_type, region="330212")
    assert (r.status_code, r.mimetype, r.json["code"]) == (status, "application/problem+json", code)
    assert stored(app) == before


def test_a_hash_that_does_not_match_is_refused(app, client, tokens):
    before = stored(app)
    r = upload(client, tokens["enterprise"], PDF, sha256=hashlib.sha256(PDF + b"x").hexdigest(), region="330212")
    assert (r.status_code, r.json["code"]) == (422, "document.sha256.mismatch")
    r = upload(client, tokens["enterprise"], PDF, sha256="not-a-hash", region="330212")
    assert (r.status_code, r.json["code"]) == (422, "document.sha256.malformed")
    assert stored(app) == before
    r = upload(client, tokens["enterprise"], PDF, sha256="sha256:" + hashlib.sha256(PDF).hexdigest().upper(),
               region="330212")
    assert r.status_code == 201


def test_the_size_limit_is_its_own_not_the_body_limit(make_app, tokens_for):
    app = make_app(max_body_bytes=1000, max_document_bytes=4000)
    client, tokens = app.test_client(), tokens_for(app)
    before = stored(app)
    big = PDF + b"%" * (4001 - len(PDF))
    r = upload(client, tokens["enterprise"], big, region="330212")
    assert (r.status_code, r.json["code"]) == (413, "document.too_large")
    huge = PDF + b"%" * 200_000  # past the limit and the form's slack: refused before the body is read
    r = upload(client, tokens["enterprise"], huge, region="330212")
    assert (r.status_code, r.json["code"]) == (413, "document.too_large")
    assert stored(app) == before
    r = upload(client, tokens["enterprise"], big[:4000], region="330212")  # 4 times max_body_bytes
    assert r.status_code == 201 and r.json["size"] == 4000


def test_the_region_is_the_registered_factorys(app, client, tokens):
    before = stored(app)
    r = upload(client, tokens["enterprise"], PDF)
    assert (r.status_code, r.json["code"]) == (422, "document.region.missing")
    r = upload(client, tokens["enterprise"], PDF, region="999999")
    assert (r.status_code, r.json["code"]) == (422, "document.region.invalid")
    with app.extensions["greenfactory"].db.write() as session:
        session.add(Factory(uscc=NINGBO_USCC, name="宁波示例家具有限公司", region="330212", authority="330200",
                            sector="general"))
    r = upload(client, tokens["enterprise"], PDF, region="320583")
    assert (r.status_code, r.json["code"]) == (422, "document.region.mismatch")
    assert stored(app) == before
    r = upload(client, tokens["enterprise"], PDF)
    assert r.status_code == 201 and r.json["region"] == "330212"


def test_reading_follows_the_scope_of_evaluations(app, client, tokens):
    digest = upload(client, tokens["enterprise"], PDF, region="330212").json["sha256"]
    expected = {"enterprise": 200, "other_enterprise": 404, "reviewer": 200, "reviewer_elsewhere": 404,
                "authority": 200, "authority_elsewhere": 404, "policy_admin": 403}
    got = {name: client.get(f"/api/v1/documents/{digest}", headers=tokens[name]).status_code for name in expected}
    assert got == expected
    assert client.get(f"/api/v1/documents/{digest}").status_code == 401
    r = client.get("/api/v1/documents/" + "0" * 64, headers=tokens["enterprise"])
    assert (r.status_code, r.json["code"]) == (404, "document.unknown")
    r = client.get("/api/v1/documents/NOT-A-HASH", headers=tokens["enterprise"])
    assert (r.status_code, r.json["code"]) == (400, "document.sha256.malformed")


def test_only_enterprises_upload_and_a_missing_file_is_named(app, client, tokens):
    for name in ("reviewer", "authority", "policy_admin"):
        r = upload(client, tokens[name], PDF, region="330212")
        assert (r.status_code, r.json["code"]) == (403, "auth.role.forbidden")
    r = client.post("/api/v1/documents", data={"region": "330212"}, headers=tokens["enterprise"])
    assert r.status_code == 422 and [i["path"] for i in r.json["issues"]] == ["files:$.file"]
    assert stored(app)["document_uploads"] == 0


def test_the_endpoint_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json
    post = spec["paths"]["/api/v1/documents"]["post"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert {"201", "200", "413", "415", "422"} <= set(post["responses"])
    assert "application/pdf" in spec["paths"]["/api/v1/documents/{sha256}"]["get"]["responses"]["200"]["content"]
