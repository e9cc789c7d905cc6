"""A strict, bulk check that raw submissions have the shape schemas/submission.schema.json asks for.

Stricter than the schema, never looser: a row it passes is schema-valid (the tests hold it to
fastjsonschema's verdicts on generated and broken rows); a row it fails may still be valid (a period
"2025\\n", which Python's `$` accepts) and goes to engine.submission.intake, which decides and explains. Numbers
are checked on the frame's columns (type, finiteness, range), not here.

The check runs over many rows at once: containers row by row, then every string of a kind in one pass
(joined, one regular expression or str method). A failing group is split in two until the failing rows
stand alone, so a few bad rows cost little more than a clean run.
"""
from __future__ import annotations

import re
from itertools import chain
from operator import itemgetter
from typing import Sequence

import numpy as np

from ..submission.uscc import CHARSET, PATTERN, WEIGHTS

TOP = frozenset({"period", "enterprise", "energy_use_tce", "output_value", "products", "data", "cases", "facts",
                 "evidence"})
REQUIRED = frozenset({"period", "enterprise", "energy_use_tce", "output_value"})
ENTERPRISE = frozenset({"uscc", "name", "region", "sector", "industry_code"})
PRODUCT = frozenset({"id", "output", "energy_use_tce", "values"})
CASE = frozenset({"title", "evidence"})
DOCUMENT = frozenset({"name", "sha256", "uploaded_by"})
_EMPTY_DICT: dict = {}
_EMPTY_LIST: list = []
_USCC = re.compile(f"(?:{PATTERN.pattern})*")  # codes joined: each of GB 32100's form
_PRODUCT_ID = re.compile(r"(?:[a-z][a-z0-9_]{0,63}\x00)*")
GROUP = 256


def shaped(rows: Sequence) -> np.ndarray:
    """Per row: True where the row certainly has the schema's shape (numbers aside)."""
    out = np.zeros(len(rows), dtype=bool)
    for start in range(0, len(rows), GROUP):
        _settle(rows, start, min(start + GROUP, len(rows)), out)
    return out


def _settle(rows: Sequence, start: int, stop: int, out: np.ndarray) -> None:
    if _group_ok(rows[start:stop]):
        out[start:stop] = True
    elif stop - start > 1:
        middle = (start + stop) // 2
        _settle(rows, start, middle, out)
        _settle(rows, middle, stop, out)


def _group_ok(rows: Sequence) -> bool:
    try:
        return _containers_ok(rows)
    except (TypeError, KeyError, AttributeError):  # a value of the wrong kind where the next step reads it
        return False


def _containers_ok(rows: Sequence) -> bool:
    if not _all_of(rows, dict) or not all(REQUIRED <= raw.keys() <= TOP for raw in rows):
        return False
    ents = [raw["enterprise"] for raw in rows]
    if not _all_of(ents, dict) or not all(e.keys() == ENTERPRISE for e in ents):
        return False
    texts = list(map(_NAME, ents))
    product_lists = [raw.get("products", _EMPTY_LIST) for raw in rows]
    if not _sized(product_lists, list, 50):
        return False
    products = list(chain.from_iterable(product_lists))
    if not _all_of(products, dict) or not all("id" in p and p.keys() <= PRODUCT for p in products):
        return False
    if not _sized([p.get("values", _EMPTY_DICT) for p in products], dict, 20):
        return False
    if not (_sized([raw.get("data", _EMPTY_DICT) for raw in rows], dict, 200)
            and _sized([raw.get("facts", _EMPTY_DICT) for raw in rows], dict, 100)):
        return False
    case_dicts = [raw.get("cases", _EMPTY_DICT) for raw in rows]
    evidence = [raw.get("evidence", _EMPTY_DICT) for raw in rows]
    if not _sized(case_dicts, dict, 50) or not _sized(evidence, dict, 100):
        return False
    case_lists = list(chain.from_iterable(map(dict.values, case_dicts)))
    if not _sized(case_lists, list, 200):
        return False
    cases = list(chain.from_iterable(case_lists))
    if not _all_of(cases, dict) or not set(map(len, cases)) <= {1, 2}:
        return False
    texts += map(_TITLE, cases)
    doc_lists = [c["evidence"] for c in cases if len(c) == 2]  # KeyError unless the second key is evidence
    doc_lists += chain.from_iterable(map(dict.values, evidence))
    if not _sized(doc_lists, list, 50):
        return False
    documents = list(chain.from_iterable(doc_lists))
    if not _all_of(documents, dict) or not set(map(len, documents)) <= {3}:
        return False
    names, shas, uploaders = tuple(zip(*map(_DOCUMENT, documents))) or ((), (), ())  # 3 keys, these 3: no other;
    # tuple(): a zip object is true even when empty, and no document at all is a valid shape
    texts += names
    texts += uploaders
    return (_fixed([raw["period"] for raw in rows], 4) and _fixed(list(map(_REGION, ents)), 6)
            and _fixed(list(map(_CODE, ents)), 4) and _uscc(list(map(_USCC_OF, ents)))
            and _sha256(shas) and _text(texts) and _sectors(list(map(_SECTOR, ents)))
            and _product_ids(list(map(_ID, products))))


def _all_of(values: Sequence, kind: type) -> bool:
    return set(map(type, values)) <= {kind}


def _sized(values: list, kind: type, most: int) -> bool:
    return _all_of(values, kind) and max(map(len, values), default=0) <= most


_NAME, _TITLE = itemgetter("name"), itemgetter("title")
_DOCUMENT = itemgetter("name", "sha256", "uploaded_by")
_REGION, _CODE, _USCC_OF, _SECTOR, _ID = (itemgetter(k) for k in ("region", "industry_code", "uscc", "sector", "id"))


def _fixed(values: list, width: int) -> bool:
    """Each value exactly `width` ASCII digits."""
    joined = "".join(values)
    return len(joined) == width * len(values) and set(map(len, values)) <= {width} and joined.isascii() \
        and (not joined or joined.isdigit())


def _uscc(values: list) -> bool:
    joined = "".join(values)
    return set(map(len, values)) <= {18} and _USCC.fullmatch(joined) is not None


def _sha256(values) -> bool:
    """Each value 64 lowercase hexadecimal digits."""
    try:
        joined = "".join(values).encode("ascii")
    except UnicodeEncodeError:
        return False
    return set(map(len, values)) <= {64} and not joined.translate(None, b"0123456789abcdef")


def _text(values: list) -> bool:
    """Strings of 1 to 200 characters, each with a character that is not whitespace: the schema's pattern
    "\\S" (Python's re and str.isspace share one definition of whitespace)."""
    if not values:
        return True
    lengths = set(map(len, values))
    return min(lengths) >= 1 and max(lengths) <= 200 and not any(map(str.isspace, values))


def _sectors(values: list) -> bool:
    "".join(values)  # TypeError unless every value is a string
    return not values or (min(map(len, values)) >= 1 and max(map(len, values)) <= 64)


def _product_ids(values: list) -> bool:
    joined = "\x00".join(values) + "\x00"
    if not values:
        return True
    return joined.count("\x00") == len(values) and _PRODUCT_ID.fullmatch(joined) is not None


_VALUE = np.full(128, 255, dtype=np.int64)
for _n, _c in enumerate(CHARSET):
    _VALUE[ord(_c)] = _n
_WEIGHTS = np.array(WEIGHTS, dtype=np.int64)


def uscc_checked(codes: list, well_formed: np.ndarray) -> np.ndarray:
    """Per row: the check character is right (rows not well_formed are False). engine.submission.uscc, vectorised."""
    out = np.zeros(len(codes), dtype=bool)
    idx = np.flatnonzero(well_formed)
    if idx.size:
        text = "".join(codes[i] for i in idx).encode("ascii")
        chars = _VALUE[np.frombuffer(text, dtype=np.uint8).reshape(-1, 18)]
        total = chars[:, :17] @ _WEIGHTS
        out[idx] = (-total) % 31 == chars[:, 17]
    return out
