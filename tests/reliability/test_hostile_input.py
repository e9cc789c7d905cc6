"""Hostile input through the HTTP API and the command line: YAML bombs and deep nesting, enormous and non-finite
numbers, bytes that are not UTF-8, strings of megabytes, SQL- and HTML-looking names, path traversal in policy
ids and versions. Each is a clear 4xx (problem+json with a code, and the issue's path where there is one) or a
validation message, and nothing is stored: every table's row count is the same before and after. The one
exception is on purpose: SQL- and HTML-looking names are valid names, stored and returned as typed, and escaped
in the pages.
"""
from __future__ import annotations

import json

import pytest
from markupsafe import escape
from sqlalchemy import func, select, text

from engine.submission import with_check_digit
from service.models import Base
from tools.cli import main

from tests.service.cohort_helpers import CSV, plant, run_cohort
from tests.service.service_helpers import NINGBO_USCC, mini_yaml, sign_in_page, submission
from tests.support import EXAMPLES, ROOT

YAML = "application/yaml"
PROBLEM = "application/problem+json"
FIELD = "$.submission.data.energy_intensity_output"


def rows(app) -> dict[str, int]:
    """Rows in every table, and the audit chain's head: equal before and after means nothing was stored."""
    with app.extensions["greenfactory"].db.read() as session:
        out = {t.name: session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}
        out["audit_head.seq"] = session.scalar(text("SELECT seq FROM audit_head"))
    return out


def refused(response, status: int | tuple, code: str | None = None) -> dict:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.get_data()[:500])
    assert response.mimetype == PROBLEM
    body = response.json
    if code is not None:
        assert body["code"] == code, body
    return body


def codes(body: dict) -> set[tuple[str, str]]:
    return {(i["code"], i.get("path")) for i in body["issues"]}


def with_number(literal: str, field: str = "energy_intensity_output") -> bytes:
    """An evaluation request whose data field is the JSON number literal, spelled exactly as given."""
    sub = submission()
    sub["data"][field] = "__NUMBER__"
    return json.dumps({"policy": "green-factory@2025.1", "submission": sub}).replace('"__NUMBER__"', literal).encode()


# -- YAML: alias bombs, anchors, deep nesting ------------------------------------------------------------------

BOMB = b"""a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: [*e, *e, *e, *e, *e, *e, *e, *e, *e]
"""
DEEP_FLOW = b"extra: " + b"[" * 100_000 + b"]" * 100_000 + b"\n"
DEEP_BLOCK = b"".join(b"  " * i + f"k{i}:\n".encode() for i in range(60)) + b"  " * 60 + b"v\n"


@pytest.mark.parametrize(("name", "yaml", "issue"), [
    ("alias bomb", BOMB, "policy.yaml.alias"),
    ("alias bomb inside a policy", mini_yaml("2027.1") + b"\n" + BOMB.replace(b"a:", b"xa:", 1), "policy.yaml.alias"),
    ("deep flow nesting", mini_yaml("2027.1") + b"\n" + DEEP_FLOW, "policy.file.too_deep"),
    ("deep block nesting", DEEP_BLOCK, "policy.file.too_deep"),
])
def test_yaml_bombs_and_deep_nesting_are_refused_and_nothing_is_stored(app, client, tokens, name, yaml, issue):
    admin = tokens["policy_admin"]
    assert client.post("/api/v1/policies/mini/versions", data=mini_yaml("2026.1"), content_type=YAML,
                       headers=admin).status_code == 201
    before = rows(app)
    body = refused(client.post("/api/v1/policies/mini/versions", data=yaml, content_type=YAML, headers=admin), 422,
                   "policy.invalid")
    assert issue in {i["code"] for i in body["issues"]}, name
    assert len(body["issues"]) < 10  # one report per kind, not one per expanded alias
    body = refused(client.put("/api/v1/policies/mini/versions/2026.1", data=yaml, content_type=YAML, headers=admin),
                   422, "policy.invalid")
    assert issue in {i["code"] for i in body["issues"]}, name
    assert rows(app) == before
    stored = client.get("/api/v1/policies/mini/versions/2026.1", headers={**admin, "Accept": YAML})
    assert stored.get_data() == mini_yaml("2026.1"), "the draft keeps its text"


# -- numbers: enormous, long, NaN, infinity ------------------------------------------------------------------

@pytest.mark.parametrize(("literal", "issue"), [
    ("1e308", "submission.schema.maximum"),
    ("-1e308", "submission.schema.minimum"),
    ("1e400", "submission.number.not_finite"),  # a float that overflows to infinity
    (str(10**400), "submission.schema.maximum"),  # an exact integer, far beyond any range
    ("NaN", "submission.number.not_finite"),
    ("Infinity", "submission.number.not_finite"),
    ("-Infinity", "submission.number.not_finite"),
])
def test_enormous_and_non_finite_numbers_are_validation_issues_at_their_path(app, client, tokens, literal, issue):
    before = rows(app)
    r = client.post("/api/v1/evaluations", data=with_number(literal), content_type="application/json",
                    headers=tokens["enterprise"])
    body = refused(r, 422, "submission.invalid")
    assert (issue, FIELD) in codes(body)
    # the same number where a submission is only compared, never stored
    sub = json.loads(with_number(literal))["submission"] if literal != str(10**400) else None
    if sub is not None:
        r = client.post("/api/v1/comparisons", json={"from": "green-factory@2025.1", "to": "green-factory@2026.1",
                                                     "submission": sub}, headers=tokens["reviewer"])
        assert r.status_code == 422 and r.mimetype == PROBLEM
    assert rows(app) == before


def test_a_digit_string_longer_than_python_reads_is_a_400_not_a_crash(app, client, tokens):
    before = rows(app)
    for field in ("energy_intensity_output", "platform_functions"):
        r = client.post("/api/v1/evaluations", data=with_number("9" * 5000, field), content_type="application/json",
                        headers=tokens["enterprise"])
        assert "4300 digits" in refused(r, 400, "request.json.number_too_long")["detail"]
    assert rows(app) == before


def test_a_round_refuses_non_finite_numbers_in_any_row_and_stores_none_of_them(app, client, tokens):
    run_cohort(client, tokens, "2025")
    admin = tokens["policy_admin"]
    assert client.post("/api/v1/rounds", json={"id": "2027", "policy": "green-factory@2026.1"},
                       headers=admin).status_code == 201
    good, bad = plant(1, 90), plant(2, 90)
    bad["data"]["water_reuse_rate"] = "__NAN__"
    payload = json.dumps({"rows": [{"submission": good}, {"submission": bad}]}).replace('"__NAN__"', "NaN")
    before = rows(app)
    r = client.post("/api/v1/rounds/2027/submissions", data=payload, content_type="application/json",
                    headers=tokens["authority"])
    body = refused(r, 422)
    assert any(i["code"] == "submission.number.not_finite" for i in body["issues"])
    assert rows(app) == before, "all rows or none"


# -- encodings -------------------------------------------------------------------------------------------------

def test_bytes_that_are_not_utf8_are_refused(app, client, tokens):
    before = rows(app)
    latin1 = json.dumps({"policy": "green-factory@2025.1", "submission": submission()},
                        ensure_ascii=False).encode("utf-8").replace("宁波".encode(), b"\xff\xfe")
    refused(client.post("/api/v1/evaluations", data=latin1, content_type="application/json",
                        headers=tokens["enterprise"]), 400, "request.json.encoding")
    utf16 = json.dumps({"policy": "green-factory@2025.1", "submission": submission()}).encode("utf-16")
    refused(client.post("/api/v1/evaluations", data=utf16, content_type="application/json",
                        headers=tokens["enterprise"]), 400)
    for bad in (mini_yaml("2027.1").replace(b"mini", b"mini\xff", 1), mini_yaml("2027.1").decode().encode("utf-16")):
        body = refused(client.post("/api/v1/policies/mini/versions", data=bad, content_type=YAML,
                                   headers=tokens["policy_admin"]), 422, "policy.invalid")
        assert {i["code"] for i in body["issues"]} == {"policy.file.encoding"}
    body = refused(client.post("/api/v1/policies/mini/versions", content_type=YAML, headers=tokens["policy_admin"],
                               data=mini_yaml("2027.1").replace(b"Test policy", b"Test\x00policy")), 422)
    assert {i["code"] for i in body["issues"]} == {"policy.file.character"}  # was a 500
    assert rows(app) == before


# -- strings of megabytes ----------------------------------------------------------------------------------

def test_megabyte_strings_under_the_body_limit_are_validation_issues_and_over_it_413(app, client, tokens):
    limit = app.extensions["greenfactory"].settings.max_body_bytes
    before = rows(app)
    for size, status in ((limit - 100_000, 422), (limit + 1, 413), (3 * limit, 413)):
        sub = submission()
        sub["enterprise"]["name"] = "厂" * (size // 3)  # three UTF-8 bytes each
        r = client.post("/api/v1/evaluations", json={"policy": "green-factory@2025.1", "submission": sub},
                        headers=tokens["enterprise"])
        body = refused(r, status)
        if status == 422:
            assert ("submission.schema.maxLength", "$.submission.enterprise.name") in codes(body)
        else:
            assert body["code"] == "request.body.too_large"
    sub = submission()
    sub["data"]["k" * (limit - 100_000)] = 1  # a key of most of a megabyte
    refused(client.post("/api/v1/evaluations", json={"policy": "green-factory@2025.1", "submission": sub},
                        headers=tokens["enterprise"]), 422, "submission.invalid")

    admin = tokens["policy_admin"]
    long_title = mini_yaml("2027.1").replace(b"en: Test policy", b"en: " + b"x" * (limit - 100_000), 1)
    body = refused(client.post("/api/v1/policies/mini/versions", data=long_title, content_type=YAML, headers=admin),
                   422, "policy.invalid")
    assert {i["code"] for i in body["issues"]} == {"policy.file.value_too_long"}
    too_big = mini_yaml("2027.1") + b"\n# " + b"x" * limit
    refused(client.post("/api/v1/policies/mini/versions", data=too_big, content_type=YAML, headers=admin), 413,
            "request.body.too_large")
    assert rows(app) == before


# -- SQL- and HTML-looking names: valid, stored as typed, escaped in pages --------------------------------------

SQL = "'; DROP TABLE evaluations; --"
SCRIPT = "<script>alert(1)</script>"


def test_sql_and_html_looking_names_are_stored_as_typed_and_escaped_in_pages(app, client, tokens):
    ids = {}
    for name in (SQL, SCRIPT, f'"><img src=x onerror=alert(1)>{SQL}'):
        sub = submission()
        sub["enterprise"]["name"] = name
        r = client.post("/api/v1/evaluations", json={"policy": "green-factory@2025.1", "submission": sub},
                        headers=tokens["enterprise"])
        assert r.status_code == 201, r.json
        ids[name] = r.json["id"]
        assert r.json["submission"]["enterprise"]["name"] == name
    for name, eid in ids.items():
        assert client.get(f"/api/v1/evaluations/{eid}", headers=tokens["reviewer"]).json["submission"]["enterprise"][
            "name"] == name
    assert rows(app)["evaluations"] == 3, "the table is still there, with every row"

    sign_in_page(client, tokens["enterprise"])
    for name, eid in ids.items():
        page = client.get(f"/evaluations/{eid}")
        assert page.status_code == 200 and page.mimetype == "text/html"
        text_ = page.get_data(as_text=True)
        assert str(escape(name)) in text_, "the name is shown, escaped as Jinja escapes it"
        assert "<script>alert" not in text_ and "<img src=x" not in text_


# -- path traversal in policy ids and versions --------------------------------------------------------------

TRAVERSALS = ["..", "%2e%2e", "../x", "%2e%2e%2fx", "..%2f..%2fetc", "%2fetc%2fpasswd", "mini%00", "..%5c..%5cx",
              "%252e%252e%252f"]


def test_path_traversal_in_api_policy_ids_and_versions_is_a_4xx(app, client, tokens):
    admin = tokens["policy_admin"]
    assert client.post("/api/v1/policies/mini/versions", data=mini_yaml("2026.1"), content_type=YAML,
                       headers=admin).status_code == 201
    before = rows(app)
    for bad in TRAVERSALS:
        for method, path in [("GET", f"/api/v1/policies/{bad}/versions"), ("POST", f"/api/v1/policies/{bad}/versions"),
                             ("GET", f"/api/v1/policies/{bad}/versions/2026.1"),
                             ("GET", f"/api/v1/policies/mini/versions/{bad}"),
                             ("PUT", f"/api/v1/policies/mini/versions/{bad}"),
                             ("DELETE", f"/api/v1/policies/mini/versions/{bad}"),
                             ("POST", f"/api/v1/policies/mini/versions/{bad}/publish"),
                             ("POST", f"/api/v1/policies/{bad}/versions/2026.1/publish")]:
            r = client.open(path, method=method, data=mini_yaml("2026.1"), content_type=YAML, headers=admin)
            body = refused(r, (400, 404))  # 404: a decoded / leaves no route; 400: the id or version is named
            if r.status_code == 400 and body["code"] != "request.path.nul":
                assert body["code"] == "policy.ref.malformed" and "is not a valid name" in body["detail"], body
    for ref in ("../x@1", "/etc/passwd@1", "green-factory@../../x", "green-factory\x00@2025.1", "..@2025.1",
                "green-factory@2025.1/../2026.1", "green-factory@%2e%2e"):
        refused(client.post("/api/v1/evaluations", json={"policy": ref, "submission": submission()},
                            headers=tokens["enterprise"]), (400, 422))
        refused(client.post("/api/v1/comparisons", json={"from": ref, "to": "green-factory@2025.1",
                                                         "submission": submission()}, headers=tokens["reviewer"]),
                (400, 422))
        refused(client.get("/api/v1/policies/diff", query_string={"from": ref, "to": "green-factory@2025.1"},
                           headers=admin), (400, 422))
    assert rows(app) == before
    assert client.get("/api/v1/policies/mini/versions/2026.1", headers=admin).json["status"] == "draft"


def run_cli(capsys, *argv) -> tuple[int, str]:
    """The exit code and everything printed."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out + err


@pytest.fixture
def policies(tmp_path):
    """The bundled policy folder's one version the CLI commands here need, and its ledger, in a scratch copy."""
    root = tmp_path / "policies"
    (root / "green-factory").mkdir(parents=True)
    (root / "green-factory" / "2025.1.yaml").write_bytes((ROOT / "policies" / "green-factory" / "2025.1.yaml")
                                                         .read_bytes())
    (root / "published.json").write_bytes((ROOT / "policies" / "published.json").read_bytes())
    return root


@pytest.mark.parametrize("ref", ["../x@1", "/etc/passwd@1", "green-factory@../../x", "..@2025.1",
                                 "green-factory@2025.1/../../x", "green-factory@2025.1\x00"])
def test_path_traversal_in_cli_policy_references_is_a_message(capsys, policies, ref):
    ledger = (policies / "published.json").read_bytes()
    sub = EXAMPLES / "general-plant.json"
    for argv in (["evaluate", "--policy", ref, sub], ["policy", "show", ref], ["policy", "publish", ref],
                 ["compare", "--from", ref, "--to", "green-factory@2025.1", sub]):
        code, err = run_cli(capsys, "--policies", policies, *argv)
        assert code == 1 and "policy.ref.malformed" in err, (argv, err)
    assert (policies / "published.json").read_bytes() == ledger
    assert sorted(p.relative_to(policies).as_posix() for p in policies.rglob("*")) == [
        "green-factory", "green-factory/2025.1.yaml", "published.json"]


def test_cli_validate_reports_traversal_in_a_files_id_and_version(capsys, tmp_path):
    folder = tmp_path / "mini"
    folder.mkdir()
    text_ = mini_yaml("2025.1").replace(b"id: mini", b'id: "../evil"', 1).replace(b'version: "2025.1"',
                                                                                 b'version: "../../x"', 1)
    (folder / "2025.1.yaml").write_bytes(text_)
    code, err = run_cli(capsys, "policy", "validate", folder / "2025.1.yaml")
    assert code == 1
    for issue in ("policy.id.folder_mismatch", "policy.version.file_mismatch", "policy.schema.pattern"):
        assert issue in err
    assert [p.name for p in tmp_path.rglob("*")] == ["mini", "2025.1.yaml"], "nothing written beside it"


# -- NUL characters, cursors beyond 64 bits, unreadable CSV: each was a 500 on PostgreSQL or SQLite ----------------

def test_nul_characters_anywhere_in_a_request_are_a_400(app, client, tokens):
    run_cohort(client, tokens)
    flagged = client.get(f"/api/v1/factories/{NINGBO_USCC}", headers=tokens["enterprise"]).json["rounds"][0]["evaluation"]
    before = rows(app)
    reviewer, authority = tokens["reviewer"], tokens["authority"]
    for path in ("/api/v1/evaluations/abc%00", f"/api/v1/factories/{NINGBO_USCC}%00", "/api/v1/rounds/20%0026/baselines"):
        refused(client.get(path, headers=reviewer), 400, "request.path.nul")
    for query in ("uscc=" + "%00" * 18, "region=33%000000"):
        refused(client.get(f"/api/v1/evaluations?{query}", headers=reviewer), 400, "request.query.nul")
    refused(client.get("/api/v1/factories?sector=%00", headers=reviewer), 400, "request.query.nul")
    sub = submission()
    sub["enterprise"]["name"] = "宁波\u0000"
    body = refused(client.post("/api/v1/evaluations", json={"policy": "green-factory@2025.1", "submission": sub},
                               headers=tokens["enterprise"]), 400, "request.json.nul")
    assert body["issues"][0]["path"] == "$.submission.enterprise.name"
    refused(client.post(f"/api/v1/evaluations/{flagged}/resolutions", headers=reviewer,
                        json={"flag": "implausible_range:water_reuse_rate", "resolution": "confirmed", "note": "a\u0000"}),
            400, "request.json.nul")
    refused(client.post("/api/v1/rounds/2026/submissions", json={"rows": [{"submission": sub}]}, headers=authority),
            400, "request.json.nul")
    factory = "uscc,name,region,sector\n" + with_check_digit("91330212MA0000009") + ",a\x00b,330212,general\n"
    body = refused(client.post("/api/v1/factories", data=factory.encode(), content_type=CSV, headers=authority), 422)
    assert body["issues"][0]["code"] == "import.cell.nul"
    assert rows(app) == before


def test_cursors_beyond_64_bits_and_unreadable_csv_are_4xx(app, client, tokens):
    before = rows(app)
    for path in ("/api/v1/evaluations", "/api/v1/factories"):
        for after in (2**63, 10**30):
            refused(client.get(f"{path}?after={after}", headers=tokens["reviewer"]), 422, "request.invalid")
    long_field = "uscc,name,region\n" + with_check_digit("91330212MA0000009") + "," + "x" * 200_000 + ",330212\n"
    body = refused(client.post("/api/v1/factories", data=long_field.encode(), content_type=CSV,
                               headers=tokens["authority"]), 422)
    assert body["issues"][0]["code"] == "import.csv.malformed"
    assert rows(app) == before
