"""Workbooks that unzip to millions of rows or strings, made in the test: the readers must refuse them, or read them
in bounded memory."""
from __future__ import annotations

import io
import zipfile

STRINGS = "xl/sharedStrings.xml"
STRINGS_REL = (b'<Relationship Id="rIdStrings" Target="sharedStrings.xml" Type="http://schemas.openxmlformats.org/'
               b'officeDocument/2006/relationships/sharedStrings"/></Relationships>')
STRINGS_TYPE = (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                b'spreadsheetml.sharedStrings+xml"/></Types>')


def workbook_bomb(part: str, head: bytes, item: bytes, tail: bytes, count: int) -> bytes:
    """A real workbook whose sheet, or shared strings (declared here: openpyxl writes inline strings), is head +
    count items + tail, streamed into the zip: millions of identical tiny items deflate to a few hundred kilobytes."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["uscc", "name", "region"])
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for info in source.infolist():
            data = source.read(info.filename)
            if part == STRINGS and info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", STRINGS_REL)
            elif part == STRINGS and info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", STRINGS_TYPE)
            if info.filename != part:
                bomb.writestr(info, data)
        with bomb.open(part, "w", force_zip64=True) as sheet:
            sheet.write(head)
            block = item * 100_000
            for _ in range(count // 100_000):
                sheet.write(block)
            sheet.write(tail)
    return out.getvalue()


SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
              b'2006/main"><sheetData><row><c t="inlineStr"><is><t>uscc</t></is></c></row>')
