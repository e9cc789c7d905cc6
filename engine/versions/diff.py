"""Semantic diff of two policy versions: what changed, by id rather than by line, located in both files.

Lists of things with ids are matched by id (threshold rows by sector, product and tier), so that
reordering is no change; an indicator whose id changed but whose content did not is a rename.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from ..policy.digest import canonical, jsonable
from ..policy.model import Policy

# compared whole: a band table, an award list, a condition, a label is one value to a reader
ATOMIC = {"bands", "awards", "label", "title", "when", "pass_when", "applies_when", "source", "effective"}
CATEGORY = {"indicators": "indicator", "gates": "gate", "bonus": "bonus", "decision": "decision", "pillars": "pillar",
            "sectors": "sector", "products": "product", "inputs": "input", "facts": "fact", "sources": "source",
            "constraints": "constraint", "rounding": "rounding", "scoring": "scoring"}


@dataclass(frozen=True, slots=True)
class Change:
    kind: str  # added | removed | changed | renamed
    category: str  # indicator, threshold, points, direction, gate, bonus, decision, sector, ...
    key: str  # readable address, e.g. indicators/energy_intensity/metrics/per_product/thresholds/[product:clinker]
    old: Any
    new: Any
    old_line: int | None
    new_line: int | None

    def to_dict(self, a: Policy, b: Policy) -> dict:
        return {"kind": self.kind, "category": self.category, "key": self.key, "old": jsonable(self.old),
                "new": jsonable(self.new), "from": {"file": a.file, "line": self.old_line} if self.old_line else None,
                "to": {"file": b.file, "line": self.new_line} if self.new_line else None}

    def text(self, a: Policy, b: Policy) -> str:
        mark = {"added": "+", "removed": "-", "changed": "~", "renamed": ">"}[self.kind]
        where = f"{a.file}:{self.old_line}" if self.old_line else "—"
        there = f"{b.file}:{self.new_line}" if self.new_line else "—"
        if self.kind == "changed":
            body = f"{_show(self.old)} → {_show(self.new)}"
        elif self.kind == "renamed":
            body = f"{self.old} → {self.new}"
        else:
            body = _show(self.new if self.kind == "added" else self.old)
        return f"{mark} {self.category:<10} {self.key}: {body}   ({where} → {there})"


def diff_policies(a: Policy, b: Policy) -> list[Change]:
    changes = list(_Differ(a, b).run())
    return sorted(changes, key=lambda c: (c.new_line or c.old_line or 0, c.key))


class _Differ:
    def __init__(self, a: Policy, b: Policy):
        self.a, self.b = a, b

    def run(self) -> Iterator[Change]:
        a, b = self.a.data, self.b.data
        for key in dict.fromkeys([*a, *b]):
            if key in ("id", "version", "status"):
                continue
            yield from self.node(a.get(key), b.get(key), (key,), (key,), key)

    def node(self, old: Any, new: Any, pa: tuple, pb: tuple, name: str) -> Iterator[Change]:
        if old is None and new is None:
            return
        if old is None or new is None:
            yield self.change("added" if old is None else "removed", pa, pb, old, new)
        elif isinstance(old, dict) and isinstance(new, dict) and name not in ATOMIC:
            for key in dict.fromkeys([*old, *new]):
                yield from self.node(old.get(key), new.get(key), pa + (key,), pb + (key,), key)
        elif isinstance(old, list) and isinstance(new, list) and name not in ATOMIC and _keyed(old + new):
            yield from self.keyed(old, new, pa, pb, name)
        elif canonical(old) != canonical(new):
            yield self.change("changed", pa, pb, old, new)

    def keyed(self, old: list, new: list, pa: tuple, pb: tuple, name: str) -> Iterator[Change]:
        olds = {_key(x): (n, x) for n, x in enumerate(old)}
        news = {_key(x): (n, x) for n, x in enumerate(new)}
        removed = [k for k in olds if k not in news]
        added = [k for k in news if k not in olds]
        if name == "indicators":  # same content under a new id: a rename, then its other changes
            for k in list(removed):
                match = next((j for j in added if _same_indicator(olds[k][1], news[j][1])), None)
                if match is not None:
                    removed.remove(k)
                    added.remove(match)
                    (n, x), (m, y) = olds[k], news[match]
                    yield Change("renamed", "indicator", _address(pb + (match,)), k, match,
                                 self.a.line_of(pa + (n,)), self.b.line_of(pb + (m,)))
                    yield from self.node({**x, "id": None}, {**y, "id": None}, pa + (n,), pb + (m,), match)
        for k in removed:
            n, x = olds[k]
            change = self.change("removed", pa + (n,), None, x, None, pb + (k,))
            yield Change(change.kind, change.category, change.key, x, None, change.old_line, self.b.line_of(pb))
        for k in added:
            m, y = news[k]
            change = self.change("added", None, pb + (m,), None, y, pb + (k,))
            yield Change(change.kind, change.category, change.key, None, y, self.a.line_of(pa), change.new_line)
        for k in olds.keys() & news.keys():
            (n, x), (m, y) = olds[k], news[k]
            yield from self.node(x, y, pa + (n,), pb + (m,), k)

    def change(self, kind: str, pa: tuple | None, pb: tuple | None, old: Any, new: Any,
               address: tuple | None = None) -> Change:
        path = address or pb or pa
        assert path is not None  # a change is found at a path of one version or both
        return Change(kind, _category(path), _address(self._named(path)), old, new,
                      self.a.line_of(pa) if pa is not None else None, self.b.line_of(pb) if pb is not None else None)

    def _named(self, path: tuple) -> tuple:
        """Replace list indexes by the ids they hold, so the address reads the same in both files."""
        named, node_a, node_b = [], self.a.data, self.b.data
        for part in path:
            if isinstance(part, int):
                item = _step(node_b, part) or _step(node_a, part)
                named.append(_key(item) if isinstance(item, dict) else part)
            else:
                named.append(part)
            node_a, node_b = _step(node_a, part), _step(node_b, part)
        return tuple(named)


def _step(node: Any, part: Any) -> Any:
    try:
        return node[part]
    except (KeyError, IndexError, TypeError):
        return None


def _keyed(items: list) -> bool:
    return bool(items) and all(isinstance(x, dict) and (_key(x) is not None) for x in items)


def _key(item: Any) -> Any:
    if not isinstance(item, dict):
        return None
    if "id" in item and item["id"] is not None:
        return item["id"]
    if "source" in item and ("leading" in item or "bands" in item or "baseline" in item):
        parts = [f"{k}:{item[k]}" for k in ("product", "sector", "tier") if item.get(k)]
        return "[" + " ".join(parts or ["general"]) + "]"
    return None


def _same_indicator(x: dict, y: dict) -> bool:
    strip = lambda d: canonical({k: v for k, v in d.items() if k not in ("id", "label")})  # noqa: E731
    return strip(x) == strip(y) or (x.get("label", {}).get("zh") == y.get("label", {}).get("zh") and x["pillar"] == y["pillar"])


def _category(path: tuple) -> str:
    last = [p for p in path if isinstance(p, str)][-1]
    if "thresholds" in path:
        return "threshold"
    if last == "points" and path[0] in ("indicators", "pillars", "scoring"):
        return "points"
    if last == "direction":
        return "direction"
    return CATEGORY.get(path[0], "metadata")


def _address(path: tuple) -> str:
    return "/".join(str(p) for p in path)


def _show(value: Any) -> str:
    if isinstance(value, dict):
        if "zh" in value and "en" in value and len(value) == 2:
            return f"{value['zh']} / {value['en']}"
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items() if k not in ("label",)) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
