"""Batch results: one record per input row, written as JSON lines, CSV or XLSX.

A scored row: its row number, policy, who, the score, total and bonus, the decisions, each rule's points and the
review flags. A refused row: its row number and every issue (code, JSON path, message). Numbers are decimal
strings at the policy's places, never floats. The same record comes from the column evaluator (records_of) and
from one Outcome (record_of), so the two paths write identical files. CSV and XLSX cells are written so that a
spreadsheet never evaluates them (tools/spreadsheet.py).
"""
from __future__ import annotations

import csv
import io
from decimal import Decimal
from itertools import repeat
from pathlib import Path
from typing import Iterator

import numpy as np
import orjson

from .spreadsheet import csv_row, xlsx_row

HEAD = ("row", "status", "policy", "uscc", "name", "sector", "region", "period", "score", "total", "bonus", "eligible",
        "meets_regional_baseline", "recommended")


def record_of(number: int, raw: dict, outcome, places: int) -> dict:
    """The record of one row from the single evaluator's Outcome (places: the policy's rounding places)."""
    q = Decimal(1).scaleb(-places)
    decided = dict(outcome.decision)
    ent = raw.get("enterprise", {})
    return {"row": number, "status": "scored", "policy": outcome.policy, "uscc": ent.get("uscc"), "name": ent.get("name"),
            "sector": outcome.sector, "region": ent.get("region"), "period": raw.get("period"),
            "score": str(outcome.score.quantize(q)), "total": str(outcome.total.quantize(q)), "bonus": str(outcome.bonus.quantize(q)),
            "eligible": decided["eligible"], "meets_regional_baseline": decided["meets_regional_baseline"],
            "recommended": decided["recommended"], "rules": {r.id: str(r.points.quantize(q)) for r in outcome.rules},
            "flags": list(outcome.flags)}


def refused(number: int, issues) -> dict:
    return {"row": number, "status": "refused",
            "issues": [{"code": i.code, "path": i.json_path(), "message": i.message} for i in issues]}


def records_of(pop, numbers: list) -> Iterator[dict]:
    """The record of every row of a Population (numbers: each row's number in the file), in order."""
    cp, frame, cols = pop.cp, pop.cols.frame, pop.cols
    n = cols.n
    text = _Texts(cp.policy.rounding_places)
    rule_ids = [cr.rule.id for cr in cp.rules]
    decided = [[(False, None, True)[c] for c in a.tolist()] for a in (pop.eligible, pop.meets, pop.recommended)]
    rules = [dict(zip(rule_ids, points)) for points in zip(*(text(s.points) for s in pop.rules))] if rule_ids \
        else [{} for _ in range(n)]
    columns = (numbers, repeat("scored"), repeat(cp.policy.ref), frame.uscc, frame.name, frame.sector, frame.region,
               frame.period, text(pop.score), text(pop.total), text(pop.bonus), *decided, rules, _flags(pop, rule_ids))
    valid = pop.valid.tolist()
    for i, values in enumerate(zip(*columns)):
        yield dict(zip(_KEYS, values)) if valid[i] else refused(numbers[i], cols.issues.get(i, ()))


_KEYS = (*HEAD, "rules", "flags")


def _flags(pop, rule_ids: list) -> list:
    """Each row's review flags as Outcome.flags lists them: by rule, then the industry code mismatch."""
    from engine.population import FLAGS

    out: list = [[] for _ in range(pop.cols.n)]
    for r, rule in enumerate(rule_ids):
        bits = pop.flags[r]
        if not bits.any():
            continue
        for k, name in enumerate(FLAGS):
            label = f"{name}:{rule}"
            for i in np.flatnonzero((bits >> k) & 1).tolist():
                out[i].append(label)
    for i in np.flatnonzero(pop.mismatch).tolist():
        out[i].append("industry_code_mismatch")
    return out


class _Texts:
    """Whole quanta as decimal strings, each distinct value formatted once."""

    def __init__(self, places: int):
        self.places, self.memo = places, {}

    def __call__(self, quanta: np.ndarray) -> list:
        values, back = np.unique(quanta, return_inverse=True)
        strings = []
        for v in values.tolist():
            s = self.memo.get(v)
            if s is None:
                s = self.memo[v] = str(Decimal(v).scaleb(-self.places))
            strings.append(s)
        return [strings[k] for k in back.reshape(-1).tolist()]


class Writer:
    """Writes records to a JSON lines, CSV or XLSX file; the CSV and XLSX columns are HEAD, one per rule, flags,
    issues."""

    def __init__(self, path: Path, fmt: str, rule_ids: list):
        self.path, self.fmt, self.rule_ids = path, fmt, list(rule_ids)
        self.columns = [*HEAD, *(f"rule.{r}" for r in self.rule_ids), "flags", "issues"]
        if fmt == "jsonl":
            self._file = path.open("wb")
        elif fmt == "csv":
            self._file = path.open("w", encoding="utf-8", newline="")
            csv.writer(self._file).writerow(csv_row(self.columns))
        else:
            from openpyxl import Workbook

            self._book = Workbook(write_only=True)
            self._sheet = self._book.create_sheet("results")
            self._sheet.append(xlsx_row(self._sheet, self.columns))

    def write(self, record: dict) -> None:
        self.append(encoded(self.fmt, self.rule_ids, [record]))

    def append(self, payload) -> None:
        """Write records already encoded for this format (encoded(...)), as a worker process returns them."""
        if self.fmt == "xlsx":
            for row in payload:
                self._sheet.append(xlsx_row(self._sheet, row))
        else:
            self._file.write(payload)

    def close(self) -> None:
        if self.fmt == "xlsx":
            self._book.save(self.path)
        else:
            self._file.close()


def encoded(fmt: str, rule_ids: list, records) -> bytes | str | list:
    """Records as a Writer of fmt writes them: JSON lines as bytes, CSV as text, XLSX as a list of rows of cells
    (made safe to open as Writer.append writes them: a string cell does not cross to a worker process and back)."""
    if fmt == "jsonl":
        return b"".join(orjson.dumps(r) + b"\n" for r in records)
    rows = [_cells(r, rule_ids) for r in records]
    if fmt == "xlsx":
        return rows
    text = io.StringIO(newline="")
    csv.writer(text).writerows(csv_row(row) for row in rows)
    return text.getvalue()


def _cells(record: dict, rule_ids: list) -> list:
    rules = record.get("rules", {})
    issues = "\n".join(f"{i['code']} at {i['path']}: {i['message']}" for i in record.get("issues", ()))
    return [_cell(record.get(k)) for k in HEAD] + [rules.get(r, "") for r in rule_ids] + \
        ["; ".join(record.get("flags", ())), issues]


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
