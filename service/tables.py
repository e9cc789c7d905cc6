"""Rows from CSV, XLSX or JSON bodies and files: a list of dicts, one per data row, header names as keys.

Cells stay text (CSV) or what the sheet holds (XLSX); the importers check and convert each field and report every
bad row. A JSON body is {"rows": [...]} or a list, or JSON lines.

Every reader counts rows as it reads and stops at the first row past max_rows (TableTooLarge), so a body of
millions of tiny rows, or a workbook that unzips to them, costs no more than max_rows rows: CSV and JSON lines are
read a line at a time, a workbook's sheet streamed (service.sheet), and a JSON document's rows are counted before
any row is looked at.
"""
from __future__ import annotations

import csv
import io
import json
from contextlib import closing
from typing import BinaryIO, Iterable, Iterator

from engine import Issue

from .sheet import SheetUnreadable, first_sheet_rows

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSON = "application/json"
KINDS = {".csv": CSV, ".xlsx": XLSX, ".json": JSON, ".jsonl": JSON}
MAX_COLUMNS = 200  # widest sheet read; cells further right are not kept
# a JSON document is parsed whole: past this (only a file from the CLI can be), a JSON file is read as JSON lines
MAX_JSON_DOCUMENT = 16 * 1024 * 1024


class TableInvalid(Exception):
    def __init__(self, issue: Issue):
        super().__init__(issue.message)
        self.issue = issue


class TableTooLarge(TableInvalid):
    """More rows than one import takes; refused as soon as the row past the limit is read."""


def read_rows(mimetype: str, source: bytes | BinaryIO, max_rows: int) -> list[dict]:
    """The rows of a body (bytes) or an open binary file; TableTooLarge past max_rows, TableInvalid if unreadable."""
    stream = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    with closing(_read_rows(mimetype, stream)) as reading:  # closed at once, also when the limit stops it
        rows = list(_bounded(reading, max_rows))
    for n, row in enumerate(rows):  # PostgreSQL's text holds no NUL character; no cell here needs one
        for key, value in row.items():
            if isinstance(value, str) and "\x00" in value or isinstance(key, str) and "\x00" in key:
                raise TableInvalid(Issue("import.cell.nul", f"Row {n + 1}, column {key.replace(chr(0), '')!r} holds a"
                                         " NUL character: remove it.", ("rows", n, key.replace(chr(0), ""))))
    return rows


def too_many(max_rows: int) -> TableTooLarge:
    return TableTooLarge(Issue("import.rows.too_many", f"One import takes at most {max_rows} rows: split the file"
                               f" into parts of {max_rows} rows or fewer and send each.", ("rows", max_rows)))


def _bounded(rows: Iterable[dict], max_rows: int) -> Iterator[dict]:
    for n, row in enumerate(rows):
        if n >= max_rows:
            raise too_many(max_rows)
        yield row


def _read_rows(mimetype: str, stream: BinaryIO) -> Iterator[dict]:
    if mimetype == CSV:
        return _csv_rows(stream)
    if mimetype == XLSX:
        return _xlsx_rows(stream)
    if mimetype == JSON:
        return _json_rows(stream)
    raise TableInvalid(Issue("import.content_type", f"Send the rows as {CSV}, {XLSX} or {JSON}.", ()))


def _csv_rows(stream: BinaryIO) -> Iterator[dict]:
    # decoded as read, a line at a time: a bad byte is found when reached; the csv module reads line ends itself
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.DictReader(text)
    try:
        for row in reader:
            yield {k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k}
    except UnicodeDecodeError:
        raise TableInvalid(Issue("import.csv.encoding", "The CSV is not UTF-8: save it as UTF-8.", ())) from None
    except csv.Error as exc:
        raise TableInvalid(Issue("import.csv.malformed", f"Line {reader.line_num} of the CSV cannot be read ({exc}):"
                                 " fix it there.", ())) from None
    finally:
        text.detach()  # the stream stays the caller's to close


def _xlsx_rows(stream: BinaryIO) -> Iterator[dict]:
    rows = first_sheet_rows(stream, MAX_COLUMNS + 1)
    try:
        header = [str(h).strip() if h is not None else "" for h in next(rows, (0, ()))[1]]
        if len(header) > MAX_COLUMNS:
            raise TableInvalid(Issue("import.xlsx.too_wide", f"The sheet has more than {MAX_COLUMNS} columns: keep only"
                                     " the columns the import reads.", ()))
        for _, row in rows:
            yield {h: v for h, v in zip(header, row) if h and v is not None}
    except SheetUnreadable as exc:
        error = TableTooLarge if exc.code == "import.xlsx.too_large" else TableInvalid
        raise error(Issue(exc.code, exc.message, ())) from None


def _json_rows(stream: BinaryIO) -> Iterator[dict]:
    head = stream.read(MAX_JSON_DOCUMENT + 1)
    if len(head) > MAX_JSON_DOCUMENT:  # too long to parse whole: JSON lines, read a line at a time
        yield from _json_lines(_joined(head, stream), "A JSON file over 16 MiB is read as JSON lines: write one row"
                               " per line.")
        return
    try:
        doc = json.loads(head)
    except (ValueError, UnicodeDecodeError):
        yield from _json_lines(io.BytesIO(head), "The body is neither JSON nor JSON lines.")
        return
    rows = doc.get("rows") if isinstance(doc, dict) else doc
    if not isinstance(rows, list):
        raise _json_shape()
    yield from (_object(row) for row in rows)  # _bounded stops at the limit before later rows are checked


def _joined(head: bytes, stream: BinaryIO) -> Iterator[bytes]:
    """The lines of head and then of the rest of stream, the line cut at the end of head made whole."""
    for line in io.BytesIO(head):
        yield line + stream.readline() if not line.endswith(b"\n") else line
    for line in stream:  # not yield from: closing this generator would close the caller's file
        yield line


def _json_lines(lines: Iterable[bytes], unreadable: str) -> Iterator[dict]:
    for line in lines:  # one line at a time, never a list of them
        if not line.strip():
            continue
        try:
            doc = json.loads(line.decode("utf-8", "replace"))
        except ValueError:
            raise TableInvalid(Issue("import.json.malformed", unreadable, ())) from None
        yield _object(doc)


def _object(row) -> dict:
    if not isinstance(row, dict):
        raise _json_shape()
    return row


def _json_shape() -> TableInvalid:
    return TableInvalid(Issue("import.json.shape", 'Send {"rows": [{...}, ...]}: a list of objects.', ()))
