"""A frame: many raw submissions (the JSON form intake reads) as columns, read once, for any policy.

Every key any row reports becomes a column: numbers as float64 with a present mask, facts with their kind,
case counts, evidence presence, products by id. `checked` marks the rows whose shape, identity codes and
numbers certainly pass intake's policy-independent checks; a policy adds its own checks when it binds the
frame (engine.population.columns), and every row left in doubt goes through engine.submission.intake itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from itertools import chain, repeat
from operator import is_, is_not, methodcaller
from typing import Sequence

import numpy as np

from . import shape
from ..submission.intake import RAW_KINDS, region_issue
from ..submission.record import FLAG, NUMBER, OTHER, TEXT

_EMPTY: dict = {}
_EMPTY_LIST: list = []
_ABSENT_TYPE = type("Absent", (), {"__repr__": lambda self: "<absent>", "__len__": lambda self: 0,
                                   "__iter__": lambda self: iter(())})  # falsy, empty
_ABSENT = _ABSENT_TYPE()
_GAP = float("nan")  # a number's absence: this very object (a reported NaN is another), so numpy reads it in one go


@dataclass(frozen=True, slots=True, eq=False)
class Numbers:
    """One numeric key over the rows (or over product reports)."""

    value: np.ndarray  # float64: the reported number as intake's Decimal rounds to float; 0 where absent
    present: np.ndarray  # the key is reported
    bad: np.ndarray  # reported, but not a finite number within the schema's range
    inexact: np.ndarray  # a number whose float's repr is not the number itself (evaluated one by one)


@dataclass(frozen=True, slots=True, eq=False)
class Facts:
    """One fact over the rows: its kind per row and the answer in the column of that kind."""

    kind: np.ndarray  # int8: ABSENT, FLAG, NUMBER, TEXT, OTHER
    flag: np.ndarray  # bool answers (False elsewhere)
    number: Numbers  # numeric answers
    text: list  # str answers (None elsewhere)
    bad: np.ndarray  # an answer the schema refuses (null, a list, NaN, a text longer than the schema allows)


@dataclass(frozen=True, slots=True, eq=False)
class Products:
    """The reports of one product id: which row each came from, and its numbers."""

    rows: np.ndarray  # int64 row of each report
    energy: Numbers
    output: Numbers
    values: dict  # value name -> Numbers


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    rows: Sequence  # the raw submissions, as given
    checked: np.ndarray  # passes intake's policy-independent checks for certain
    period: list
    uscc: list
    name: list
    region: list
    sector: list
    industry_code: list
    energy_use_tce: Numbers
    output_value: Numbers
    data: dict  # key -> Numbers
    facts: dict  # key -> Facts
    products: dict  # product id -> Products
    cases: dict  # key -> (total, documented): int32 counts, -1 where the key is absent
    evidence: dict  # key -> documented: the key lists at least one document

    @property
    def n(self) -> int:
        return len(self.rows)

    def evidence_present(self, key: str) -> np.ndarray:
        """Rows that have the evidence key at all (even with no document): asked only for unknown keys."""
        return np.array([type(r) is dict and type(r.get("evidence")) is dict and key in r["evidence"]
                         for r in self.rows], dtype=bool)


CHUNK = 512  # rows read together: one chunk's objects stay in cache from the shape check to the columns


def frame_of(rows: Sequence) -> Frame:
    """The frame of raw submissions (dicts as parsed from JSON; numbers int, float or Decimal)."""
    rows = list(rows)
    parts = [_part(rows[start:start + CHUNK]) for start in range(0, len(rows), CHUNK)] or [_part([])]
    frame = _merge(rows, parts)
    frame.checked[:] &= uscc_and_region_ok(frame)
    return frame


def _part(rows: list) -> Frame:
    n = len(rows)
    checked = shape.shaped(rows)
    docs = [r if type(r) is dict else _EMPTY for r in rows]
    ents = [_dict(d.get("enterprise")) for d in docs]
    text = {k: [e.get(k) for e in ents] for k in ("uscc", "name", "region", "sector", "industry_code")}
    limits = shape.rules()
    amounts = {k: numbers([d.get(k, 0.0) for d in docs], [k in d for d in docs], limits.amount)
               for k in ("energy_use_tce", "output_value")}
    data = {k: numbers(col, _reported(col, _GAP), limits.number) for k, col in _columns(docs, "data", _GAP).items()}
    facts = {k: _facts(col, limits) for k, col in _columns(docs, "facts").items()}
    products, duplicated = _products(docs, n, limits)
    doubtful = duplicated
    for col in (*amounts.values(), *data.values()):
        doubtful |= col.bad | col.inexact
    for fact in facts.values():
        doubtful |= fact.bad | fact.number.inexact
    for product in products.values():
        for col in (product.energy, product.output, *product.values.values()):
            doubtful[product.rows[col.bad | col.inexact]] = True
    return Frame(rows, checked & ~doubtful, [d.get("period") for d in docs], text["uscc"], text["name"],
                 text["region"], text["sector"], text["industry_code"], amounts["energy_use_tce"],
                 amounts["output_value"], data, facts, products, _cases(docs, n), _evidence(docs, n))


def _merge(rows: list, parts: list) -> Frame:
    if len(parts) == 1:
        one = parts[0]
        return Frame(rows, *(getattr(one, f) for f in Frame.__dataclass_fields__ if f != "rows"))
    sizes = [p.n for p in parts]
    offsets = np.cumsum([0] + sizes[:-1])

    def keyed(attr: str, empty) -> dict:
        keys = sorted(set().union(*(getattr(p, attr) for p in parts)))
        return {k: [x if (x := getattr(p, attr).get(k)) is not None else empty(size) for p, size in zip(parts, sizes)]
                for k in keys}

    def lists(attr: str) -> list:
        return list(chain.from_iterable(getattr(p, attr) for p in parts))

    products = {}
    for pid, group in keyed("products", lambda size: None).items():
        present = [(p, o) for p, o in zip(group, offsets) if p is not None]
        counts = [len(p.rows) for p, _ in present]
        values = {k: _stack_numbers([p.values[k] if k in p.values else _absent_numbers(c)
                                     for (p, _), c in zip(present, counts)])
                  for k in sorted(set().union(*(p.values for p, _ in present)))}
        products[pid] = Products(np.concatenate([p.rows + o for p, o in present]),
                                 _stack_numbers([p.energy for p, _ in present]),
                                 _stack_numbers([p.output for p, _ in present]), values)
    cases = {k: tuple(np.concatenate(x) for x in zip(*group))
             for k, group in keyed("cases", lambda size: (np.full(size, -1, np.int32),) * 2).items()}
    return Frame(rows, np.concatenate([p.checked for p in parts]), lists("period"), lists("uscc"), lists("name"),
                 lists("region"), lists("sector"), lists("industry_code"),
                 _stack_numbers([p.energy_use_tce for p in parts]), _stack_numbers([p.output_value for p in parts]),
                 {k: _stack_numbers(g) for k, g in keyed("data", _absent_numbers).items()},
                 {k: _stack_facts(g) for k, g in keyed("facts", _absent_facts).items()},
                 products, cases,
                 {k: np.concatenate(g) for k, g in keyed("evidence", lambda size: np.zeros(size, bool)).items()})


def _stack_numbers(parts: list) -> Numbers:
    return Numbers(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("value", "present", "bad", "inexact")))


def _stack_facts(parts: list) -> Facts:
    return Facts(np.concatenate([p.kind for p in parts]), np.concatenate([p.flag for p in parts]),
                 _stack_numbers([p.number for p in parts]), list(chain.from_iterable(p.text for p in parts)),
                 np.concatenate([p.bad for p in parts]))


def _absent_numbers(size: int) -> Numbers:
    return Numbers(np.zeros(size), np.zeros(size, bool), np.zeros(size, bool), np.zeros(size, bool))


def _absent_facts(size: int) -> Facts:
    return Facts(np.zeros(size, np.int8), np.zeros(size, bool), _absent_numbers(size), [None] * size,
                 np.zeros(size, bool))


def uscc_and_region_ok(frame: Frame) -> np.ndarray:
    """engine.submission.intake's enterprise checks: the USCC check character, a known region with an authority."""
    ok = shape.uscc_checked(frame.uscc, frame.checked)
    verdicts: dict = {}
    for i in np.flatnonzero(ok):
        code = frame.region[i]
        good = verdicts.get(code)
        if good is None:
            good = verdicts[code] = region_issue(code) is None
        ok[i] = good
    return ok


def numbers(col: list, present, bounds: tuple[float, float]) -> Numbers:
    """A numeric column: col holds the values (anything where absent), present says where a key is; a number
    outside bounds (the schema's [minimum, maximum]: shape.Rules) is bad."""
    present = np.asarray(present, dtype=bool)
    types = set(map(type, col))
    if _ABSENT_TYPE in types:
        col = [0.0 if v is _ABSENT else v for v in col]
        types.discard(_ABSENT_TYPE)
    if types <= {int, float}:
        try:
            value = np.array(col, dtype=np.float64)  # the gap reads as NaN: present is what tells it apart
        except OverflowError:  # an int beyond float: the schema refuses it anyway
            return _numbers_one_by_one(col, present, bounds)
        low, high = bounds
        bad = present & ~(np.isfinite(value) & (value >= low) & (value <= high))
        value[~present | bad] = 0.0
        return Numbers(value, present, bad, np.zeros(len(col), dtype=bool))
    return _numbers_one_by_one(col, present, bounds)


def _numbers_one_by_one(col: list, present: np.ndarray, bounds: tuple[float, float]) -> Numbers:
    n, (low, high) = len(col), bounds
    value, bad, inexact = np.zeros(n), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    for i in np.flatnonzero(present):
        v = col[i]
        kind = type(v)
        if RAW_KINDS.get(kind) != NUMBER or (kind is Decimal and not v.is_finite()):
            bad[i] = True
            continue
        try:
            f = float(v)
        except OverflowError:
            bad[i] = True
            continue
        if not (low <= f <= high) or f != f:
            bad[i] = True
            continue
        value[i] = f
        # intake scores Decimal(repr(f)) for a float and Decimal(v) for an int (exact below 2**53, and the
        # range above keeps ints there); a Decimal is scored as it is, which the float may not spell
        inexact[i] = kind is Decimal and Decimal(repr(f)) != v
    return Numbers(value, present, bad, inexact)


def _facts(col: tuple, limits: shape.Rules) -> Facts:
    n = len(col)
    present = _present(col)
    dense = bool(present.all())  # every row answers (the usual case)
    types = set(map(type, col)) - {_ABSENT_TYPE}
    kind = np.zeros(n, dtype=np.int8)
    flag = np.zeros(n, dtype=bool)
    texts: list = [None] * n
    nums: list = [0.0] * n
    num_present = np.zeros(n, dtype=bool)
    kinds = {RAW_KINDS.get(t, OTHER) for t in types}  # exact types: a subclass is left to intake (OTHER)
    if kinds <= {FLAG}:
        kind[present] = FLAG
        flag = np.array(col, dtype=bool) if dense else np.fromiter(map(is_, col, repeat(True)), dtype=bool, count=n)
    elif kinds <= {NUMBER}:
        kind[present] = NUMBER
        nums, num_present = [0.0 if v is _ABSENT else v for v in col], present
    elif kinds <= {TEXT}:
        kind[present] = TEXT
        texts = [None if v is _ABSENT else v for v in col]
    else:
        for i, v in enumerate(col):
            k = RAW_KINDS.get(type(v), OTHER)
            if k == FLAG:
                kind[i], flag[i] = FLAG, v
            elif k == NUMBER:
                kind[i], num_present[i], nums[i] = NUMBER, True, v
            elif k == TEXT:
                kind[i], texts[i] = TEXT, v
            elif v is not _ABSENT:
                kind[i] = OTHER
    number = numbers(nums, num_present, limits.answer) if num_present.any() else _absent_numbers(n)
    too_long = np.array([t is not None and len(t) > limits.answer_text for t in texts], dtype=bool) \
        if (kind == TEXT).any() else np.zeros(n, dtype=bool)
    return Facts(kind, flag, number, texts, (kind == OTHER) | number.bad | too_long)


def _products(docs: list, n: int, limits: shape.Rules) -> tuple[dict, np.ndarray]:
    """Reports by product id, and the rows that report a product twice (intake refuses them)."""
    lists = [d.get("products") for d in docs]
    lists = [x if type(x) is list else _EMPTY_LIST for x in lists]
    reports = list(chain.from_iterable(lists))
    rows = np.repeat(np.arange(n, dtype=np.int64), [len(x) for x in lists])
    keep = [type(p) is dict and type(p.get("id")) is str for p in reports]
    if not all(keep):
        reports = [p for p, k in zip(reports, keep) if k]
        rows = rows[np.array(keep, dtype=bool)]
    duplicated = np.zeros(n, dtype=bool)
    if not reports:
        return {}, duplicated
    names = [p["id"] for p in reports]
    ids = sorted(set(names))
    index = {pid: j for j, pid in enumerate(ids)}
    code = np.fromiter(map(index.__getitem__, names), dtype=np.int64, count=len(names))
    pairs = rows * len(ids) + code
    unique_pairs, counts = np.unique(pairs, return_counts=True)
    duplicated[unique_pairs[counts > 1] // len(ids)] = True
    out = {}
    order = np.argsort(code, kind="stable")
    bounds = np.searchsorted(code[order], np.arange(len(ids) + 1))
    for j, pid in enumerate(ids):
        idx = order[bounds[j]:bounds[j + 1]]
        group = [reports[i] for i in idx]
        values = [_dict(p.get("values")) for p in group]
        out[pid] = Products(
            rows[idx],
            numbers([p.get("energy_use_tce", 0.0) for p in group], ["energy_use_tce" in p for p in group],
                    limits.amount),
            numbers([p.get("output", 0.0) for p in group], ["output" in p for p in group], limits.amount),
            {k: numbers([v.get(k, 0.0) for v in values], [k in v for v in values], limits.number)
             for k in sorted(set().union(*values))})
    return out, duplicated


def _cases(docs: list, n: int) -> dict:
    """Per case key: how many cases a row lists (-1: the key is absent) and how many name a document."""
    dicts = [_dict(d.get("cases")) for d in docs]
    out = {}
    for key, col in _columns(docs, "cases").items():
        present = np.array([key in d for d in dicts], dtype=bool)
        total = np.fromiter(map(_size, col), dtype=np.int32, count=n)
        counted = np.zeros(n, dtype=np.int32)
        try:
            flat = list(chain.from_iterable(col))
            documented = np.fromiter(map(bool, map(_EVIDENCE_OF, flat)), dtype=np.int32, count=len(flat))
            starts = np.cumsum(total) - total
            counted = np.add.reduceat(np.append(documented, 0), starts) * (total > 0) if n else counted
        except (TypeError, AttributeError):  # not a list of objects: intake will say what it is
            pass
        out[key] = (np.where(present, total, -1).astype(np.int32), np.where(present, counted, -1).astype(np.int32))
    return out


def _evidence(docs: list, n: int) -> dict:
    """Per evidence key: the key lists at least one document."""
    dicts = [_dict(d.get("evidence")) for d in docs]
    keys = sorted(set().union(*dicts))
    if not keys:
        return {}
    index = {key: j for j, key in enumerate(keys)}
    sizes = list(map(len, dicts))
    listed = sum(sizes)  # (row, key) pairs a row lists, read pair by pair: rows list about half the keys
    column = np.fromiter(map(index.__getitem__, chain.from_iterable(dicts)), dtype=np.int64, count=listed)
    documents = np.fromiter(map(bool, chain.from_iterable(map(dict.values, dicts))), dtype=bool, count=listed)
    row = np.repeat(np.arange(n), sizes)
    documented = np.zeros((len(keys), n), dtype=bool)
    documented[column[documents], row[documents]] = True
    return {key: documented[j] for j, key in enumerate(keys)}


def _size(value) -> int:
    return len(value) if type(value) is list else 0


_EVIDENCE_OF = methodcaller("get", "evidence")


def _columns(docs: list, part: str, gap=_ABSENT) -> dict:
    """The values of every key of docs[i][part] as one tuple per key (gap where a row lacks the key)."""
    dicts = [_dict(d.get(part)) for d in docs]
    keys = sorted(set().union(*dicts))
    if not keys:
        return {}
    base = dict.fromkeys(keys, gap)
    return dict(zip(keys, zip(*[[*{**base, **d}.values()] for d in dicts])))


def _present(col) -> np.ndarray:
    return _reported(col, _ABSENT)


def _reported(col, gap) -> np.ndarray:
    """Where col holds a value, not the gap (this very object)."""
    try:
        everywhere = gap not in col  # `in` tries identity first: a C loop, where the map below is not
    except ArithmeticError:  # a signalling NaN Decimal compared with the gap
        everywhere = False
    if everywhere:
        return np.ones(len(col), dtype=bool)
    return np.fromiter(map(is_not, col, repeat(gap)), dtype=bool, count=len(col))


def _dict(value) -> dict:
    return value if type(value) is dict else _EMPTY
