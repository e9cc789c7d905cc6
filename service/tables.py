"""Rows from CSV, XLSX or JSON bodies and files: a list of dicts, one per data row, header names as keys.

Cells stay text (CSV) or what the sheet holds (XLSX); the importers check and convert each field and report every
bad row. A JSON body is {"rows": [...]} or a list.
"""
from __future__ import annotations

import csv
import io
import json

from engine import Issue

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSON = "application/json"
KINDS = {".csv": CSV, ".xlsx": XLSX, ".json": JSON, ".jsonl": JSON}


class TableInvalid(Exception):
    def __init__(self, issue: Issue):
        super().__init__(issue.message)
        self.issue = issue


def read_rows(mimetype: str, raw: bytes) -> list[dict]:
    rows = _read_rows(mimetype, raw)
    for n, row in enumerate(rows):  # PostgreSQL's text holds no NUL character; no cell here needs one
        for key, value in row.items():
            if isinstance(value, str) and "\x00" in value or isinstance(key, str) and "\x00" in key:
                raise TableInvalid(Issue("import.cell.nul", f"Row {n + 1}, column {key.replace(chr(0), '')!r} holds a"
                                         " NUL character: remove it.", ("rows", n, key.replace(chr(0), ""))))
    return rows


def _read_rows(mimetype: str, raw: bytes) -> list[dict]:
    if mimetype == CSV:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise TableInvalid(Issue("import.csv.encoding", "The CSV is not UTF-8: save it as UTF-8.", ())) from None
        reader = csv.DictReader(io.StringIO(text, newline=""))  # the csv module reads line ends itself
        try:
            return [{k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k} for row in reader]
        except csv.Error as exc:
            raise TableInvalid(Issue("import.csv.malformed", f"Line {reader.line_num} of the CSV cannot be read ({exc}):"
                                     " fix it there.", ())) from None
    if mimetype == XLSX:
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(raw), read_only=True, data_only=True).worksheets[0]
        except Exception:  # openpyxl raises many kinds for a file that is not a workbook
            raise TableInvalid(Issue("import.xlsx.unreadable", "The file is not an XLSX workbook: save it as .xlsx.",
                                     ())) from None
        rows = list(sheet.iter_rows(values_only=True))
        if not rows:
            return []
        header = [str(h).strip() if h is not None else "" for h in rows[0]]
        return [{h: v for h, v in zip(header, row) if h and v is not None} for row in rows[1:]
                if any(v is not None for v in row)]
    if mimetype == JSON:
        try:
            doc = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            lines = [ln for ln in raw.decode("utf-8", "replace").splitlines() if ln.strip()]
            try:
                return [json.loads(ln) for ln in lines]  # JSON lines
            except ValueError:
                raise TableInvalid(Issue("import.json.malformed", "The body is neither JSON nor JSON lines.", ())) from None
        rows = doc.get("rows") if isinstance(doc, dict) else doc
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise TableInvalid(Issue("import.json.shape", 'Send {"rows": [{...}, ...]}: a list of objects.', ()))
        return rows
    raise TableInvalid(Issue("import.content_type", f"Send the rows as {CSV}, {XLSX} or {JSON}.", ()))
