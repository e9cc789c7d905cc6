"""Helpers for the API and page tests: example inputs, row counts, requests, and checks of a refusal and a page."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

from sqlalchemy import func, select, text

from service.models import AuditEntry, Evaluation, PolicyVersion, Token

from tests.support import MINI

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "submissions"

NINGBO_USCC = "91330212MA2H7P4Q8T"  # examples/submissions/general-plant.json, region 330212
SUZHOU_USCC = "91320583MA1N8R6T2Q"  # examples/submissions/general-plant-js.json, region 320583
SELF_REPORT_POLICY = "green-factory@2025.1"  # the version the self-report tests fill in


def submission(name: str = "general-plant.json") -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def mini_yaml(version: str = "2025.1") -> bytes:
    return MINI.read_bytes().replace(b'version: "2025.1"', f'version: "{version}"'.encode())


def counts(app) -> dict[str, int]:
    """Rows per table: to show that a refused request wrote nothing."""
    db = app.extensions["greenfactory"].db
    with db.read() as session:
        out = {model.__tablename__: session.scalar(select(func.count()).select_from(model))
               for model in (PolicyVersion, Evaluation, AuditEntry, Token)}
        out["audit_head"] = session.scalar(text("SELECT seq FROM audit_head"))
    return out


def evaluate(client, headers, sub=None, policy="green-factory@2025.1"):
    return client.post("/api/v1/evaluations", json={"policy": policy, "submission": sub or submission()}, headers=headers)


def audit_actions(app) -> list[str]:
    db = app.extensions["greenfactory"].db
    with db.read() as session:
        return list(session.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars())


def sign_in_page(client, headers: dict, lang: str | None = None) -> str:
    """Sign a test client in to the pages through the form, with the token behind an Authorization header;
    returns the signed-in session's CSRF token (forms post it back), read from the start page's sign-out form."""
    import re

    def csrf_of(url: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True))[1]

    secret = headers["Authorization"].split(" ", 1)[1]
    form = csrf_of("/signin" + (f"?lang={lang}" if lang else ""))
    response = client.post("/signin", data={"token": secret, "csrf_token": form})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return csrf_of("/")


def problem(r, status: int, code: str) -> dict:
    """The body of a problem+json refusal with this status and code, checked field by field."""
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.mimetype == "application/problem+json"
    body = r.json
    assert (body["status"], body["code"]) == (status, code)
    assert body["type"] == f"urn:greenfactory:problem:{code}"
    assert body["title"] and body["detail"] and body["instance"] and isinstance(body["issues"], list)
    assert body["request_id"] == r.headers["X-Request-Id"]
    return body


def page(client, url: str, status: int = 200) -> str:
    """The HTML of a page answered with this status."""
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)

# -- the self-report form, as a browser sends it and as the page answers

def filled(csrf: str, raw: dict | None = None) -> dict:
    """The form as a browser sends it for a submission (general-plant.json unless given), without its evidence."""
    raw = raw or submission()
    form = {"csrf_token": csrf, "policy": SELF_REPORT_POLICY, "period": raw["period"],
            "energy_use_tce": str(raw["energy_use_tce"]), "output_value": str(raw["output_value"])}
    form.update({f"enterprise.{k}": v for k, v in raw["enterprise"].items()})
    form.update({f"data.{k}": str(v) for k, v in raw["data"].items()})
    form.update({f"facts.{k}": json.dumps(v) for k, v in raw["facts"].items()})
    return form


def field_errors(page: str) -> dict[str, list[str]]:
    """The codes shown under each field, by field name."""
    out = {}
    for block in re.finditer(r'<div class="field[^"]*" data-field="([^"]+)".*?<p class="field-error"[^>]*>(.*?)</p>',
                             page, re.S):
        codes = re.findall(r'data-code="([^"]+)"', block[2])
        if codes:
            out[html.unescape(block[1])] = codes
    return out


def invalid_fields(page: str) -> set[str]:
    return {m[1] for m in re.finditer(r'name="([^"]+)"[^>]*aria-invalid=true', page)}

