"""A strict, bulk check that raw submissions have the shape schemas/submission.schema.json asks for.

Stricter than the schema, never looser: a row it passes is schema-valid (the tests hold it to
fastjsonschema's verdicts on generated and broken rows); a row it fails may still be valid (a period
"2025\\n", which Python's `$` accepts) and goes to engine.submission.intake, which decides and explains. Numbers
are checked on the frame's columns (type, finiteness, range), not here.

What is checked is read from the schema itself (Rules: key sets, counts, lengths, patterns, number bounds), so that
each limit is written once. The check runs over many rows at once: containers row by row, then every string of a
kind in one pass (one regular expression per value, or one str method over the joined values). A failing group is
split in two until the failing rows stand alone, so a few bad rows cost little more than a clean run.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import Callable, Sequence

import numpy as np

from ..submission.intake import submission_schema
from ..submission.uscc import CHARSET, WEIGHTS

_EMPTY_DICT: dict = {}
_EMPTY_LIST: list = []
GROUP = 256


@dataclass(frozen=True, slots=True)
class Rules:
    """What the bulk check and the frame read of the submission schema (engine.submission.intake.submission_schema).
    Where the schema states a limit in several places that this check reads as one (every text, every amount), the
    strictest is taken."""

    top: frozenset[str]  # the keys a submission may have
    required: frozenset[str]
    enterprise: frozenset[str]  # the enterprise's keys, all of them required here
    product: frozenset[str]
    products: int  # the most products a submission lists; the others alike
    product_values: int
    data: int
    facts: int
    case_keys: int
    cases: int  # per case key
    evidence_keys: int
    documents: int  # per case or evidence key
    text: int  # the longest name, title, document name or uploader
    sector: tuple[int, int]  # the shortest and longest sector id
    answer_text: int  # the longest text answer to a fact
    patterns: dict[str, Callable[[Sequence], bool]]  # period, region, industry_code, uscc, product_id, sha256
    amount: tuple[float, float]  # energy use and output, of the factory and of a product
    number: tuple[float, float]  # data and per-product values
    answer: tuple[float, float]  # a number answering a fact


@lru_cache(maxsize=1)
def rules() -> Rules:
    root = submission_schema()
    top = root["properties"]
    enterprise, product = top["enterprise"]["properties"], top["products"]["items"]
    case = top["cases"]["additionalProperties"]["items"]
    documents = top["evidence"]["additionalProperties"]
    document = documents["items"]["properties"]
    answer = top["facts"]["additionalProperties"]
    texts = (enterprise["name"], case["properties"]["title"], document["name"], document["uploaded_by"])
    amounts = (top["energy_use_tce"], top["output_value"], product["properties"]["output"],
               product["properties"]["energy_use_tce"])
    numbers = (top["data"]["additionalProperties"], product["properties"]["values"]["additionalProperties"])
    return Rules(
        top=frozenset(top), required=frozenset(root["required"]), enterprise=frozenset(enterprise),
        product=frozenset(product["properties"]), products=top["products"]["maxItems"],
        product_values=product["properties"]["values"]["maxProperties"], data=top["data"]["maxProperties"],
        facts=top["facts"]["maxProperties"], case_keys=top["cases"]["maxProperties"],
        cases=top["cases"]["additionalProperties"]["maxItems"], evidence_keys=top["evidence"]["maxProperties"],
        documents=min(documents["maxItems"], case["properties"]["evidence"]["maxItems"]),
        text=min(t["maxLength"] for t in texts), answer_text=answer["maxLength"],
        sector=(enterprise["sector"]["minLength"], enterprise["sector"]["maxLength"]),
        patterns={name: matcher(spec["pattern"]) for name, spec in (
            ("period", top["period"]), ("region", enterprise["region"]), ("industry_code", enterprise["industry_code"]),
            ("uscc", enterprise["uscc"]), ("product_id", product["properties"]["id"]), ("sha256", document["sha256"]))},
        amount=_bounds(amounts), number=_bounds(numbers), answer=_bounds((answer,)))


# a pattern of character classes that list their characters (no negation, no escape), each maybe counted: it
# cannot match the NUL that joins the values, so one match over them all is a match of each
_LISTED = re.compile(r"(?:\[[^\]\\^\x00]+\](?:\{[0-9]+(?:,[0-9]+)?\})?)+")
_ONE_CLASS = re.compile(r"\[([^\]\\^\x00]+)\]\{([0-9]+)\}")  # n characters of one listed class: a digest, a code


def matcher(pattern: str) -> Callable[[Sequence], bool]:
    """Each value a text that the schema's anchored pattern matches whole (stricter than the schema's search, where
    Python's `$` also matches before a final newline); a TypeError for a value that is not a text. Over all the
    values at once where the pattern's form allows: re reads a character class slowly, bytes.translate does not."""
    body = pattern.removeprefix("^").removesuffix("$")
    if pattern != f"^{body}$" or not _LISTED.fullmatch(body):
        one = re.compile(pattern)
        return lambda values: all(map(one.fullmatch, values))
    fixed = _ONE_CLASS.fullmatch(body)
    if fixed and fixed[1].isascii():
        allowed, width = _members(fixed[1]).encode("ascii"), int(fixed[2])
        return lambda values: set(map(len, values)) <= {width} and _only(values, allowed)
    joined = re.compile(f"(?:{body}\x00)*")

    def each(values: Sequence) -> bool:
        text = "\x00".join(values) + "\x00"
        return not values or (text.count("\x00") == len(values) and joined.fullmatch(text) is not None)
    return each


def _members(listed: str) -> str:
    """The characters a listed class holds, its ranges (a-f) spelt out."""
    out: list[str] = []
    i = 0
    while i < len(listed):
        if i + 2 < len(listed) and listed[i + 1] == "-":
            out += map(chr, range(ord(listed[i]), ord(listed[i + 2]) + 1))
            i += 3
        else:
            out.append(listed[i])
            i += 1
    return "".join(out)


def _only(values: Sequence, allowed: bytes) -> bool:
    try:
        joined = "".join(values).encode("ascii")
    except UnicodeEncodeError:
        return False
    return not joined.translate(None, allowed)


def _bounds(specs) -> tuple[float, float]:
    """The narrowest [minimum, maximum] of number schemas that all state both."""
    return float(max(s["minimum"] for s in specs)), float(min(s["maximum"] for s in specs))


def shaped(rows: Sequence) -> np.ndarray:
    """Per row: True where the row certainly has the schema's shape (numbers aside)."""
    out = np.zeros(len(rows), dtype=bool)
    for start in range(0, len(rows), GROUP):
        _settle(rows, start, min(start + GROUP, len(rows)), out, rules())
    return out


def _settle(rows: Sequence, start: int, stop: int, out: np.ndarray, r: Rules) -> None:
    if _group_ok(rows[start:stop], r):
        out[start:stop] = True
    elif stop - start > 1:
        middle = (start + stop) // 2
        _settle(rows, start, middle, out, r)
        _settle(rows, middle, stop, out, r)


def _group_ok(rows: Sequence, r: Rules) -> bool:
    try:
        return _containers_ok(rows, r)
    except (TypeError, KeyError, AttributeError):  # a value of the wrong kind where the next step reads it
        return False


def _containers_ok(rows: Sequence, r: Rules) -> bool:
    if not _all_of(rows, dict) or not all(r.required <= raw.keys() <= r.top for raw in rows):
        return False
    ents = [raw["enterprise"] for raw in rows]
    if not _all_of(ents, dict) or not all(e.keys() == r.enterprise for e in ents):
        return False
    texts = list(map(_NAME, ents))
    product_lists = [raw.get("products", _EMPTY_LIST) for raw in rows]
    if not _sized(product_lists, list, r.products):
        return False
    products = list(chain.from_iterable(product_lists))
    if not _all_of(products, dict) or not all("id" in p and p.keys() <= r.product for p in products):
        return False
    if not _sized([p.get("values", _EMPTY_DICT) for p in products], dict, r.product_values):
        return False
    if not (_sized([raw.get("data", _EMPTY_DICT) for raw in rows], dict, r.data)
            and _sized([raw.get("facts", _EMPTY_DICT) for raw in rows], dict, r.facts)):
        return False
    case_dicts = [raw.get("cases", _EMPTY_DICT) for raw in rows]
    evidence = [raw.get("evidence", _EMPTY_DICT) for raw in rows]
    if not _sized(case_dicts, dict, r.case_keys) or not _sized(evidence, dict, r.evidence_keys):
        return False
    case_lists = list(chain.from_iterable(map(dict.values, case_dicts)))
    if not _sized(case_lists, list, r.cases):
        return False
    cases = list(chain.from_iterable(case_lists))
    if not _all_of(cases, dict) or not set(map(len, cases)) <= {1, 2}:
        return False
    texts += map(_TITLE, cases)
    doc_lists = [c["evidence"] for c in cases if len(c) == 2]  # KeyError unless the second key is evidence
    doc_lists += chain.from_iterable(map(dict.values, evidence))
    if not _sized(doc_lists, list, r.documents):
        return False
    documents = list(chain.from_iterable(doc_lists))
    if not _all_of(documents, dict) or not set(map(len, documents)) <= {3}:
        return False
    names, shas, uploaders = tuple(zip(*map(_DOCUMENT, documents))) or ((), (), ())  # 3 keys, these 3: no other;
    # tuple(): a zip object is true even when empty, and no document at all is a valid shape
    texts += names
    texts += uploaders
    pattern = r.patterns
    return (pattern["period"]([raw["period"] for raw in rows]) and pattern["region"](list(map(_REGION, ents)))
            and pattern["industry_code"](list(map(_CODE, ents))) and pattern["uscc"](list(map(_USCC_OF, ents)))
            and pattern["sha256"](shas) and _text(texts, r.text) and _sectors(list(map(_SECTOR, ents)), r.sector)
            and pattern["product_id"](list(map(_ID, products))))


def _all_of(values: Sequence, kind: type) -> bool:
    return set(map(type, values)) <= {kind}


def _sized(values: list, kind: type, most: int) -> bool:
    return _all_of(values, kind) and max(map(len, values), default=0) <= most


_NAME, _TITLE = itemgetter("name"), itemgetter("title")
_DOCUMENT = itemgetter("name", "sha256", "uploaded_by")
_REGION, _CODE, _USCC_OF, _SECTOR, _ID = (itemgetter(k) for k in ("region", "industry_code", "uscc", "sector", "id"))


def _text(values: list, longest: int) -> bool:
    """Strings of 1 to `longest` characters, each with a character that is not whitespace: the schema's pattern
    "\\S" (Python's re and str.isspace share one definition of whitespace)."""
    if not values:
        return True
    lengths = set(map(len, values))
    return min(lengths) >= 1 and max(lengths) <= longest and not any(map(str.isspace, values))


def _sectors(values: list, lengths: tuple[int, int]) -> bool:
    "".join(values)  # TypeError unless every value is a string
    return not values or (min(map(len, values)) >= lengths[0] and max(map(len, values)) <= lengths[1])


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
