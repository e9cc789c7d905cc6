"""Helpers for the API tests: example inputs, row counts, requests."""
from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select, text

from service.models import AuditEntry, Evaluation, PolicyVersion, Token

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "submissions"
MINI = REPO / "tests" / "fixtures" / "mini" / "2025.1.yaml"

NINGBO_USCC = "91330212MA2H7P4Q8T"  # examples/submissions/general-plant.json, region 330212
SUZHOU_USCC = "91320583MA1N8R6T2Q"  # examples/submissions/general-plant-js.json, region 320583


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
