"""The streamed sheet reader (service.sheet) reads what Excel, WPS and LibreOffice write: shared and inline strings,
rich text without its phonetic reading, numbers, booleans, a formula's cached value, cells placed by reference or
by order, and blank or missing rows left out with the sheet's row numbers kept; and long files read only as far as the
row limit."""
from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from service import tables
from service.sheet import SheetUnreadable, declared_rows, first_sheet_rows

MAIN = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
STRINGS = (b'<sst ' + MAIN + b'><si><t>uscc</t></si><si><r><t>\xe5\xae\x81\xe6\xb3\xa2</t></r><r><t>\xe5\xb7\xa5\xe5\x8e\x82'
           b'</t></r><rPh><t>ningbo</t></rPh></si></sst>')
SHEET = (b'<worksheet ' + MAIN + b'><dimension ref="A1:D9"/><sheetData>'
         b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>name</t></is></c>'
         b'<c r="D1" t="str"><v>year</v></c></row>'
         b'<row r="2"/>'
         b'<row r="4"><c r="B4" t="s"><v>1</v></c><c r="C4" t="b"><v>1</v></c><c r="D4"><f>2020+3</f><v>2023</v></c></row>'
         b'<row><c><v>-2.5</v></c><c t="inlineStr"><is><t></t></is></c></row>'
         b'</sheetData></worksheet>')


def workbook(sheet: bytes, strings: bytes | None = None) -> bytes:
    """openpyxl's workbook with its sheet replaced, and shared strings declared if given."""
    book = Workbook()
    book.active.append(["x"])
    plain, out = io.BytesIO(), io.BytesIO()
    book.save(plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/_rels/workbook.xml.rels" and strings:
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdS" Target="sharedStrings.xml" Type="http://'
                                    b'schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
                                    b'</Relationships>')
            target.writestr(name, sheet if name == "xl/worksheets/sheet1.xml" else data)
        if strings:
            target.writestr("xl/sharedStrings.xml", strings)
    return out.getvalue()


def test_values_and_row_numbers_as_the_sheet_holds_them():
    body = workbook(SHEET, STRINGS)
    rows = list(first_sheet_rows(io.BytesIO(body), 10))
    assert rows == [(1, ["uscc", "name", None, "year"]), (4, [None, "宁波工厂", True, 2023]), (5, [-2.5, ""])]
    assert declared_rows(io.BytesIO(body)) == 9
    assert list(first_sheet_rows(io.BytesIO(body), 2)) == [(1, ["uscc", "name"]), (4, [None, "宁波工厂"]), (5, [-2.5, ""])]


def test_what_cannot_be_read_is_refused_with_a_code():
    with pytest.raises(SheetUnreadable) as caught:
        list(first_sheet_rows(io.BytesIO(b"PK not a zip"), 10))
    assert caught.value.code == "import.xlsx.unreadable"
    entity = (b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]><worksheet ' + MAIN + b'><sheetData><row><c t="str"><v>&a;</v>'
              b'</c></row></sheetData></worksheet>')
    with pytest.raises(SheetUnreadable) as caught:
        list(first_sheet_rows(io.BytesIO(workbook(entity)), 10))
    assert caught.value.code == "import.xlsx.unreadable"
    long = (b'<worksheet ' + MAIN + b'><sheetData><row><c t="str"><v>' + b"x" * 200_000 +
            b"</v></c></row></sheetData></worksheet>")
    with pytest.raises(SheetUnreadable) as caught:
        list(first_sheet_rows(io.BytesIO(workbook(long)), 10))
    assert caught.value.code == "import.xlsx.cell_too_long"


def test_long_files_are_read_only_as_far_as_the_limit(monkeypatch):
    """The CLI hands read_rows an open file: CSV and JSON lines are read a line at a time, and reading stops at the
    row past the limit (a JSON file is parsed whole only up to MAX_JSON_DOCUMENT)."""
    monkeypatch.setattr(tables, "MAX_JSON_DOCUMENT", 1024)
    for kind, body in ((tables.JSON, b'{"uscc": "x"}\n' * 1_000_000), (tables.CSV, b"uscc\n" + b"x\n" * 1_000_000)):
        stream = io.BytesIO(body)
        with pytest.raises(tables.TableTooLarge):
            tables.read_rows(kind, stream, 100)
        assert stream.tell() < 64 * 1024, kind
    assert tables.read_rows(tables.JSON, io.BytesIO(b'{"a": 1}\n' * 200), 200)[-1] == {"a": 1}
