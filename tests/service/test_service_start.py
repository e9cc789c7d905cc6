"""Starting the service: bundled policies recorded once by digest, a bad one stops the start, the API docs
work offline, and the token and serve commands."""
from __future__ import annotations

import json
import re
import shutil

import pytest

from engine import load_policy_file
from service.policy_store import StartupError
from tools.cli import main

from tests.service.service_helpers import REPO, audit_actions, counts


def test_bundled_policies_are_recorded_once(make_app):
    first = make_app()
    assert audit_actions(first) == ["policy.load"] * 4  # green-factory and green-factory-js, 2025.1 and 2026.1
    second = make_app()
    assert counts(second) == counts(first)


def test_a_policy_that_does_not_validate_stops_the_start(make_app, tmp_path):
    root = tmp_path / "policies"
    shutil.copytree(REPO / "policies" / "green-factory", root / "green-factory")
    path = root / "green-factory" / "2025.1.yaml"
    path.write_text(path.read_text("utf-8").replace("rounding:", "roundin:", 1), "utf-8")
    with pytest.raises(StartupError) as caught:
        make_app(policies_dir=root)
    assert {i.code for i in caught.value.issues} >= {"policy.schema.unknown_key", "policy.schema.required"}
    assert all(i.location and i.location.line >= 1 for i in caught.value.issues)


def test_serve_prints_the_issues_and_exits_1(database_url, tmp_path, capsys):
    root = tmp_path / "policies"
    (root / "broken").mkdir(parents=True)
    (root / "broken" / "2025.1.yaml").write_text("id: broken\nversion: [\n", "utf-8")
    assert main(["--policies", str(root), "serve", "--database-url", database_url]) == 1
    err = capsys.readouterr().err
    assert re.search(r"broken/2025\.1\.yaml:\d+:\d+: policy\.yaml\.syntax", err)


@pytest.mark.parametrize("rewrite_ledger", [False, True])
def test_a_published_version_that_changed_on_disk_stops_the_start(make_app, tmp_path, rewrite_ledger):
    """The engine's ledger refuses a changed published file; if the ledger was rewritten too, the database's
    record of what was published still does."""
    make_app()
    root = tmp_path / "policies"
    shutil.copytree(REPO / "policies" / "green-factory", root / "green-factory")
    shutil.copy(REPO / "policies" / "published.json", root / "published.json")
    path = root / "green-factory" / "2025.1.yaml"
    path.write_text(path.read_text("utf-8").replace("title: {zh: 绿色工厂评价（通则）", "title: {zh: 绿色工厂评价（通则修订）", 1),
                    "utf-8")
    if rewrite_ledger:
        ledger = json.loads((root / "published.json").read_text("utf-8"))
        (root / "published.json").write_text(json.dumps({**ledger, "green-factory@2025.1": load_policy_file(path).digest}))
    with pytest.raises(StartupError) as caught:
        make_app(policies_dir=root)
    assert [i.code for i in caught.value.issues] == ["policy.published.changed"]


def test_the_openapi_document_lists_every_endpoint(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) >= {
        "/healthz", "/api/v1/policies", "/api/v1/policies/{policy_id}/versions",
        "/api/v1/policies/{policy_id}/versions/{version}", "/api/v1/policies/{policy_id}/versions/{version}/publish",
        "/api/v1/evaluations", "/api/v1/evaluations/{evaluation_id}", "/api/v1/evaluations/{evaluation_id}/replay",
        "/api/v1/factories", "/api/v1/rounds/{round_id}/factories/{uscc}/what-it-takes",
        "/api/v1/authorities/{code}/rounds"}
    served = {re.sub(r"<(?:[a-z]+:)?([a-z_0-9]+)>", r"{\1}", rule.rule)
              for rule in client.application.url_map.iter_rules()
              if rule.endpoint != "static" and not rule.endpoint.startswith("pages.")  # the pages are HTML, not API
              and not rule.rule.startswith(("/api/v1/docs", "/api/v1/openapi"))}
    assert set(doc["paths"]) == served  # every endpoint served is in the document, and nothing else
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert doc["paths"]["/healthz"]["get"]["security"] == []
    assert "Roles: enterprise." in doc["paths"]["/api/v1/evaluations"]["post"]["description"]


def test_the_api_docs_page_needs_no_network(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert not re.search(r"(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html), "no external host"
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(assets) == 3 and all(a.startswith("/api/v1/docs/assets/") for a in assets)
    for asset in assets:
        r = client.get(asset)
        assert r.status_code == 200 and len(r.data) > 1000
        r.close()
    assert '"validatorUrl": null' in html  # Swagger UI would otherwise call an online validator


def test_token_create_prints_the_token_once_and_checks_its_bindings(database_url, capsys):
    assert main(["token", "create", "--role", "reviewer", "--region", "320000", "--database-url", database_url]) == 0
    out, err = capsys.readouterr()
    assert re.fullmatch(r"gf_[A-Za-z0-9_-]{43}\n", out) and "tok_" in err
    assert main(["token", "list", "--database-url", database_url]) == 0
    listed = capsys.readouterr().out
    assert "reviewer" in listed and out.strip() not in listed
    for bad in (["--role", "reviewer"], ["--role", "enterprise", "--enterprise", "91330212MA2H7P4Q8X"],
                ["--role", "policy_admin", "--region", "320000"], ["--role", "reviewer", "--region", "990000"]):
        assert main(["token", "create", *bad, "--database-url", database_url]) == 1
    assert "token.invalid" in capsys.readouterr().err


def test_a_revoked_token_no_longer_answers(app, client, database_url, capsys):
    assert main(["token", "create", "--role", "policy_admin", "--database-url", database_url]) == 0
    out, err = capsys.readouterr()
    headers = {"Authorization": f"Bearer {out.strip()}"}
    assert client.get("/api/v1/policies", headers=headers).status_code == 200
    token_id = re.search(r"tok_[0-9a-f]+", err).group(0)
    assert main(["token", "revoke", token_id, "--database-url", database_url]) == 0
    assert client.get("/api/v1/policies", headers=headers).status_code == 401
    assert main(["token", "revoke", token_id, "--database-url", database_url]) == 1


def test_db_upgrade(database_url, capsys):
    assert main(["db", "upgrade", "--database-url", database_url]) == 0
    newest = max(p.name[:4] for p in (REPO / "service" / "migrations" / "versions").glob("[0-9]*.py"))
    assert f"database at revision {newest}" in capsys.readouterr().err
