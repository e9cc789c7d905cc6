"""Imports are bounded: a body of too many rows, or a workbook that unzips to millions of them, is refused as soon as
the row past max_import_rows is read, in little memory and time; a 422 lists the first 100 issues and counts them
all; checks that need no body (role, round) come before it is read; the CLI's imports take the same bound."""
from __future__ import annotations

import json
import tracemalloc

import pytest
from sqlalchemy import func, select

from engine.submission import with_check_digit
from service.cohort_models import Factory
from service.config import Settings

from tests.bombs import SHEET_HEAD, STRINGS, workbook_bomb
from tests.service.cohort_helpers import CSV, csv_body
from tests.service.service_helpers import counts

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIB = 1024 * 1024
BOUND = 100 * MIB  # what a refused import may cost above what the process held before it


def factories(app) -> int:
    with app.extensions["greenfactory"].db.read() as session:
        return session.scalar(select(func.count()).select_from(Factory))


def post_measured(client, path: str, body: bytes, content_type: str, headers: dict):
    """The response and the most memory Python allocated while answering it, above what it held before."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        response = client.post(path, data=body, content_type=content_type, headers=headers)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    return response, peak


@pytest.fixture(scope="module")
def row_bomb() -> bytes:
    """3 million rows of one cell: the sheet unzips to 78 MB, the workbook is well under 1 MiB."""
    return workbook_bomb("xl/worksheets/sheet1.xml", SHEET_HEAD, b"<row><c><v>1</v></c></row>",
                         b"</sheetData></worksheet>", 3_000_000)


@pytest.fixture(scope="module")
def string_bomb() -> bytes:
    """4 million shared strings, which openpyxl reads whole even in read-only mode."""
    head = (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
            b'main">')
    return workbook_bomb(STRINGS, head, b"<si><t>a</t></si>", b"</sst>", 4_000_000)


def test_a_megabyte_of_empty_json_rows_is_refused_at_once_in_bounded_memory(app, client, tokens):
    before = counts(app)
    body = json.dumps({"rows": [{}] * 349_000}, separators=(",", ":")).encode()
    assert len(body) <= app.extensions["greenfactory"].settings.max_body_bytes  # so the row count refuses it
    r, peak = post_measured(client, "/api/v1/factories", body, "application/json", tokens["authority"])
    assert r.status_code == 413 and r.mimetype == "application/problem+json"
    assert r.json["code"] == "import.rows.too_many" and r.json["issues"][0]["path"] == "$.rows[20000]"
    assert peak < BOUND, f"{peak / MIB:.0f} MiB"
    assert counts(app) == before and factories(app) == 0


@pytest.mark.parametrize("bomb, code", [("row_bomb", "import.rows.too_many"), ("string_bomb", "import.xlsx.too_large")])
def test_an_xlsx_zip_bomb_is_refused_in_bounded_memory(app, client, tokens, request, bomb, code):
    body = request.getfixturevalue(bomb)
    assert len(body) < MIB
    r, peak = post_measured(client, "/api/v1/factories", body, XLSX, tokens["authority"])
    assert (r.status_code, r.json["code"]) == (413, code)
    assert peak < BOUND, f"{peak / MIB:.0f} MiB"
    assert factories(app) == 0


def rows_of_factories(n: int) -> list[dict]:
    return [{"uscc": with_check_digit(f"91330212MA{i:07d}"), "name": f"工厂{i}", "region": "330212"} for i in range(n)]


def test_the_row_limit_is_a_setting_and_counts_csv_rows(make_app, tokens_for):
    assert Settings().max_import_rows == 20_000
    assert Settings.from_env({"GF_MAX_IMPORT_ROWS": "7"}).max_import_rows == 7
    app = make_app(max_import_rows=5)
    client, authority = app.test_client(), tokens_for(app)["authority"]
    r = client.post("/api/v1/factories", data=csv_body(rows_of_factories(6)), content_type=CSV, headers=authority)
    assert (r.status_code, r.json["code"]) == (413, "import.rows.too_many")
    assert factories(app) == 0
    r = client.post("/api/v1/factories", data=csv_body(rows_of_factories(5)), content_type=CSV, headers=authority)
    assert r.status_code == 200 and r.json["imported"] == 5


def test_a_422_lists_the_first_hundred_issues_and_counts_them_all(app, client, tokens):
    r = client.post("/api/v1/factories", json={"rows": [{}] * 150}, headers=tokens["authority"])
    assert (r.status_code, r.json["code"]) == (422, "import.invalid")
    assert len(r.json["issues"]) == 100
    assert r.json["issues_total"] == 450  # per row: no uscc, no region, no name
    assert r.json["issues"][0]["path"] == "$.rows[0].uscc" and r.json["issues"][-1]["path"] == "$.rows[33].uscc"
    r = client.post("/api/v1/factories", data=b"uscc\n\xff\n", content_type=CSV, headers=tokens["authority"])
    assert (r.status_code, r.json["code"], r.json["issues_total"]) == (422, "import.csv.encoding", 1)


def test_a_large_table_of_bad_rows_answers_a_small_422(app, client, tokens):
    """20,000 rows (the limit) with three issues each: 60,000 issues found, 100 sent."""
    r, peak = post_measured(client, "/api/v1/factories", json.dumps({"rows": [{}] * 20_000}).encode(),
                            "application/json", tokens["authority"])
    assert (r.status_code, r.json["issues_total"], len(r.json["issues"])) == (422, 60_000, 100)
    assert len(r.data) < 64 * 1024
    assert peak < BOUND, f"{peak / MIB:.0f} MiB"


def test_role_and_round_are_checked_before_the_body_is_read(app, client, tokens):
    """A body past max_body_bytes would be a 413 if it were read: the refusals that need no body come first."""
    big = b"uscc\n" + b"x\n" * MIB
    r = client.post("/api/v1/factories", data=big, content_type=CSV, headers=tokens["enterprise"])
    assert (r.status_code, r.json["code"]) == (403, "auth.role.forbidden")
    r = client.post("/api/v1/rounds/2099/submissions", data=big, content_type=CSV, headers=tokens["enterprise"])
    assert (r.status_code, r.json["code"]) == (404, "round.unknown")


def test_the_cli_import_takes_the_same_bound(make_app, database_url, tmp_path, monkeypatch, capsys):
    from tools.cli import main

    app = make_app()
    path = tmp_path / "factories.csv"
    path.write_bytes(csv_body(rows_of_factories(4)))
    monkeypatch.setenv("GF_MAX_IMPORT_ROWS", "3")
    assert main(["factories", "import", str(path), "--database-url", database_url]) == 1
    assert "import.rows.too_many" in capsys.readouterr().err
    assert factories(app) == 0
    path.write_bytes(b"uscc,name\n\xff\xfe,x\n")
    assert main(["factories", "import", str(path), "--database-url", database_url]) == 1
    assert "import.csv.encoding" in capsys.readouterr().err
    monkeypatch.setenv("GF_MAX_IMPORT_ROWS", "4")
    path.write_bytes(csv_body(rows_of_factories(4)))
    assert main(["factories", "import", str(path), "--database-url", database_url]) == 0
    assert factories(app) == 4
