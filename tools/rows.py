"""Submissions in files, many at once: JSON lines, CSV and XLSX in; results out in the same three formats.

JSON lines: one submission (the JSON object of schemas/submission.schema.json) per line; blank lines are skipped.

CSV and XLSX: a header row of dotted paths, then one submission per row (the first sheet of a workbook). A cell
holds the value at its path; an empty cell is a value not reported:

    period, enterprise.uscc, enterprise.name, enterprise.region, enterprise.sector, enterprise.industry_code
    energy_use_tce, output_value
    data.<input>                                  e.g. data.carbon_intensity
    facts.<fact>                                  true / false, a number, or a text
    products.<i>.id, products.<i>.output, products.<i>.energy_use_tce, products.<i>.values.<name>   (i from 0)
    cases.<key>.<i>.title, cases.<key>.<i>.evidence.<j>.name | .sha256 | .uploaded_by
    evidence.<key>.<j>.name | .sha256 | .uploaded_by   (a key may hold dots: evidence.pollutant_margin.wastewater.0.name)
    products, cases.<key>, cases.<key>.<i>.evidence, evidence.<key>
                                                  a JSON array: the whole list in one cell (e.g. [] for none)
    submission                                    the whole self-report as JSON (as `greenfactory round submit`
                                                  reads it); dotted columns beside it add to it

Numbers are read as written: a cell "92.22" is the number 92.22 exactly (a decimal that a float cannot spell
keeps every digit). Texts stay texts: a region or industry code must be a text cell in a workbook (leading zeros).
A row that cannot be read (bad JSON, a header path that names nothing) is reported with its row number and reason
like a row intake refuses, and the other rows go on. Row numbers are the file's: the line of a JSON lines file,
the spreadsheet row of a CSV or XLSX file (the header is row 1).
"""
from __future__ import annotations

import csv
import json
import re
import sys
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial
from itertools import chain, repeat
from pathlib import Path
from typing import Iterable, Iterator

import orjson

from engine import Issue

FORMATS = ("jsonl", "csv", "xlsx")
MAX_COLUMNS = 16_384  # a workbook's widest row (XFD)
_NUMERIC = re.compile(r"^(energy_use_tce|output_value|data\.[^.]+|products\.\d+\.(output|energy_use_tce|values\.[^.]+))$")
_INDEX = re.compile(r"^\d+$")


@dataclass(frozen=True, slots=True)
class Row:
    number: int  # the line or spreadsheet row
    raw: object  # the submission as parsed (None when it could not be read)
    issues: tuple  # why it could not be read


def format_of(path: Path, given: str | None = None) -> str:
    """jsonl, csv or xlsx, from --format or the file name (.jsonl/.ndjson/.json, .csv, .xlsx)."""
    if given:
        return given
    suffix = path.suffix.lower()
    return {".csv": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}.get(suffix, "jsonl")


def read_rows(path: Path, fmt: str | None = None) -> Iterator[Row]:
    """Every submission in the file, in order, each with its row number; OSError if the file cannot be opened."""
    items = read_items(path, fmt)
    decode = next(items)
    for number, cells in items:
        yield decode(number, cells)


def read_items(path: Path, fmt: str | None = None) -> Iterator:
    """The file's rows undecoded, after how to decode one: first decode, a picklable function (number, line or
    cells) -> Row, then (number, line or cells) for every row. Undecoded rows are cheap to send to another process;
    decoded ones are not (a parsed submission costs more to pickle and unpickle than to score)."""
    fmt = format_of(path, fmt)
    if fmt == "jsonl":
        yield decode_line
        with path.open("rb") as handle:
            yield from ((number, line) for number, line in enumerate(handle, start=1) if line.strip())
    elif fmt == "csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            yield _decode_cells(next(reader, None) or [])
            yield from _cells(reader)
    else:
        # streamed a row at a time, as the service's imports read a workbook: openpyxl's read-only mode parses a
        # sheet without <dimension> whole as it opens it (service.sheet says why)
        from service.sheet import SheetUnreadable, first_sheet_rows

        rows = first_sheet_rows(path, MAX_COLUMNS, max_strings=None)  # the operator's own file, of any length
        try:
            yield _decode_cells(["" if h is None else str(h) for h in next(rows, (0, ()))[1]])
            yield from ((number, cells) for number, cells in rows if not _blank(cells))
        except SheetUnreadable as exc:  # reported as a file that cannot be read, as a missing one is
            raise OSError(f"{exc.code} {exc.message}") from None


SPAN_BLOCK = 1 << 20  # bytes line_spans reads at a time


def line_spans(path: Path, sizes: Iterable[int]) -> Iterator[tuple[int, int, int]]:
    """Where each chunk of a JSON lines file lies, without reading its lines one by one: (offset, length, number of
    its first line) for runs of `sizes` lines in turn, then one run to the end of the file. A worker process reads
    its chunk itself (lines_at), so the lines are not sent to it."""
    with path.open("rb") as handle:
        block, block_at, pos, number = b"", 0, 0, 1  # the block read, its offset in the file, where we are in it
        for size in chain(sizes, repeat(None)):
            start, lines = block_at + pos, 0
            while size is None or lines < size:
                if pos >= len(block):
                    block_at, block, pos = block_at + len(block), handle.read(SPAN_BLOCK), 0
                    if not block:
                        break
                found = block.count(b"\n", pos)
                if size is None or lines + found < size:
                    lines, pos = lines + found, len(block)
                    continue
                for _ in range(size - lines):
                    pos = block.index(b"\n", pos) + 1
                lines = size
            if block_at + pos == start:
                return
            yield start, block_at + pos - start, number
            number += lines


def lines_at(path: Path, span: tuple[int, int, int]) -> list:
    """The (number, line) items of one span of line_spans, blank lines left out as read_items does."""
    offset, length, number = span
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read(length)
    return [(n, line) for n, line in enumerate(data.split(b"\n"), start=number) if line.strip()]


def decode_line(number: int, line: bytes) -> Row:
    try:
        return Row(number, orjson.loads(line), ())
    except orjson.JSONDecodeError:
        try:  # orjson refuses NaN and very large numbers that json reads (intake then explains them)
            return Row(number, json.loads(line), ())
        except ValueError as exc:  # malformed, not UTF-8, or an integer longer than Python converts
            return Row(number, None, (Issue("submission.json.syntax", f"Line {number} is not JSON"
                                            f" ({_json_problem(exc)}): fix the line.", ()),))


def _json_problem(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return exc.msg
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8"
    return f"a number has more than {sys.get_int_max_str_digits()} digits"


def _cells(rows) -> Iterator[tuple]:
    for number, cells in enumerate(rows, start=2):
        if not _blank(cells):
            yield number, cells


def _blank(cells) -> bool:
    return all(c is None or c == "" for c in cells)


def _decode_cells(header: list):
    paths = [h.strip() for h in header]
    bad = tuple(Issue("submission.table.column", f'The column "{p}" names no part of a submission: see the columns'
                      " a file may have (greenfactory batch --help).", ()) for p in paths if p and not _valid_path(p))
    return partial(decode_cells, paths, bad)


def decode_cells(paths: list, bad: tuple, number: int, cells) -> Row:
    if bad:
        return Row(number, None, bad)
    try:
        return Row(number, unflatten(zip(paths, cells)), ())
    except ValueError as exc:
        return Row(number, None, (Issue("submission.table.cell", str(exc), ()),))


def _valid_path(path: str) -> bool:
    parts = path.split(".")
    head = parts[0]
    if head in ("submission", "period", "energy_use_tce", "output_value", "products") and len(parts) == 1:
        return True
    if head == "enterprise":
        return len(parts) == 2 and parts[1] in ("uscc", "name", "region", "sector", "industry_code")
    if head in ("data", "facts"):
        return len(parts) == 2 and bool(parts[1])
    if head == "products":
        return len(parts) >= 3 and _INDEX.match(parts[1]) is not None and (
            (len(parts) == 3 and parts[2] in ("id", "output", "energy_use_tce")) or (len(parts) == 4 and parts[2] == "values"))
    if head == "cases":
        return len(parts) == 2 or (len(parts) >= 4 and _INDEX.match(parts[2]) is not None and (
            (len(parts) == 4 and parts[3] in ("title", "evidence")) or
            (len(parts) == 6 and parts[3] == "evidence" and _INDEX.match(parts[4]) is not None and parts[5] in _DOCUMENT)))
    if head == "evidence":
        return len(parts) >= 2 and (len(parts) < 4 or not _INDEX.match(parts[-2]) or parts[-1] in _DOCUMENT)
    return False


_DOCUMENT = ("name", "sha256", "uploaded_by")


def unflatten(cells) -> dict:
    """One submission from (path, cell) pairs; ValueError for a cell that cannot stand at its path."""
    doc: dict = {}
    cells = sorted(cells, key=lambda pc: pc[0] != "submission")  # the whole first, the columns add to it
    for path, cell in cells:
        if not path or cell is None or cell == "":
            continue
        if path == "submission":
            try:
                doc = json.loads(cell, parse_float=_number_text) if isinstance(cell, str) else None
            except ValueError:  # malformed, or an integer longer than Python converts
                doc = None
            if not isinstance(doc, dict):
                raise ValueError("The cell submission holds the whole self-report: write it as a JSON object.")
            continue
        steps = _steps(path)
        if _list_path(steps):
            try:
                value = json.loads(cell, parse_float=_number_text) if isinstance(cell, str) else None
            except ValueError:  # malformed, or an integer longer than Python converts
                value = None
            if not isinstance(value, list):
                raise ValueError(f"The cell {path} holds a whole list: write it as a JSON array, e.g. [].")
            _put(doc, steps, value)
            continue
        _put(doc, steps, _value(path, cell))
    return _listed(doc)


def _steps(path: str) -> list:
    parts = path.split(".")
    if parts[0] == "evidence":
        if len(parts) >= 4 and _INDEX.match(parts[-2]):
            return ["evidence", ".".join(parts[1:-2]), int(parts[-2]), parts[-1]]
        return ["evidence", ".".join(parts[1:])]
    return [int(p) if _INDEX.match(p) and i > 0 and parts[0] in ("products", "cases") else p for i, p in enumerate(parts)]


def _list_path(steps: list) -> bool:
    """The path of a whole list: products, cases.<key>, cases.<key>.<i>.evidence, evidence.<key>."""
    head, size = steps[0], len(steps)
    return (head == "products" and size == 1) or (head == "evidence" and size == 2) or \
        (head == "cases" and (size == 2 or (size == 4 and steps[3] == "evidence")))


def _put(doc: dict, steps: list, value) -> None:
    node = doc
    for step, following in zip(steps, steps[1:]):
        node = node.setdefault(step, {})  # list positions are dict keys until _listed orders them
        if not isinstance(node, dict):
            raise ValueError(f"The cell {'.'.join(map(str, steps))} is inside a value given whole in another column.")
    node[steps[-1]] = value


def _listed(node):
    """Dicts keyed by positions become lists, in order of position."""
    if isinstance(node, dict):
        if node and all(isinstance(k, int) for k in node):
            return [_listed(node[k]) for k in sorted(node)]
        return {k: _listed(v) for k, v in node.items()}
    return node


def _value(path: str, cell):
    if _NUMERIC.match(path):
        return number(cell)
    if path.startswith("facts."):
        if isinstance(cell, (bool, int, float)):
            return cell
        text = str(cell).strip()
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        try:
            return number(text)
        except ValueError:
            return str(cell)
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))  # a workbook's number in a text field (a year, a code)
    return str(cell) if isinstance(cell, (int, float)) else cell


def number(cell):
    """A cell as the JSON number that spells it: int, float when the float's repr is the text, else Decimal."""
    if isinstance(cell, bool):
        return cell  # intake says a yes/no is not a number
    if isinstance(cell, (int, float)):
        return cell
    text = str(cell).strip()
    try:
        d = Decimal(text)
    except InvalidOperation:
        return str(cell)  # intake says it is not a number
    if not d.is_finite():
        return str(cell)
    if d == d.to_integral_value() and "e" not in text.lower() and "." not in text and abs(d) < 2 ** 53:
        return int(d)
    f = float(d)
    return f if Decimal(repr(f)) == d else d


def _number_text(text: str):
    return number(text)


def count_rows(path: Path, fmt: str | None = None) -> int | None:
    """About how many submissions the file holds, cheaply, for a progress bar (None if unknown)."""
    fmt = format_of(path, fmt)
    try:
        if fmt == "xlsx":
            from service.sheet import declared_rows

            last = declared_rows(path)
            return None if last is None else max(last - 1, 0)
        with path.open("rb") as handle:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
        return max(lines - (fmt == "csv"), 0)
    except Exception:  # a count is a courtesy: the reading reports what is wrong
        return None


def flatten(raw: dict) -> dict:
    """The cells of one submission: the inverse of unflatten (lists of cases and documents by position)."""
    out: dict = {}

    def walk(node, path: str) -> None:
        if isinstance(node, dict):  # an empty object is the same as none
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(node, list):
            if not node:
                out[path] = "[]"
            for i, v in enumerate(node):
                walk(v, f"{path}.{i}")
        else:
            out[path] = node
    walk(raw, "")
    return out
