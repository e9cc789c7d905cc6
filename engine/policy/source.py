"""Read a policy YAML file safely, keeping the line and column of every key and value.

Size, depth, aliases, anchors, tags and merge keys are checked on the event stream, before any
tree is built, so a hostile file is refused without being expanded into memory.
"""
from __future__ import annotations

import datetime
import io
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ruamel.yaml import YAML, events
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from ..issue import Issue, Location, PolicyInvalid

MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 32
MAX_NODES = 200_000
MAX_SCALAR_CHARS = 10_000  # the bundled policies' longest value is under 100 characters

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Position:
    key: tuple[int, int]  # 1-based line, col of the key (or list item)
    value: tuple[int, int]  # 1-based line, col of the value


@dataclass(frozen=True, slots=True)
class PolicySource:
    """A parsed YAML document as plain data, with the position of every path in it."""

    name: str
    text: str
    data: Any
    positions: dict[Path, Position]
    not_finite: tuple[Path, ...] = ()  # .nan / .inf values, refused by the loader

    def locate(self, path: Path, *, key: bool = False) -> Location:
        """The nearest known position of path, walking up to its parents."""
        probe = tuple(path)
        while probe not in self.positions and probe:
            probe = probe[:-1]
        pos = self.positions.get(probe)
        if pos is None:
            return Location(self.name, 1, 1)
        line, col = pos.key if key else pos.value
        return Location(self.name, line, col)


def read_text(raw: bytes, name: str) -> str:
    if len(raw) > MAX_BYTES:
        raise PolicyInvalid((Issue("policy.file.too_large",
                                   f"The file is {len(raw)} bytes; the limit is {MAX_BYTES}: split or shorten it.",
                                   (), Location(name, 1, 1)),))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        col = len(raw[line_start: exc.start].decode("utf-8", errors="replace")) + 1  # characters, not bytes
        raise PolicyInvalid((Issue("policy.file.encoding",
                                   "The file is not valid UTF-8: save it as UTF-8.",
                                   (), Location(name, line, col)),)) from None


def parse(raw: bytes | str, name: str) -> PolicySource:
    """Parse YAML text into a PolicySource, or raise PolicyInvalid with every problem found."""
    text = raw if isinstance(raw, str) else read_text(raw, name)
    if isinstance(raw, str) and len(raw.encode("utf-8")) > MAX_BYTES:
        read_text(raw.encode("utf-8"), name)
    _check_events(text, name)
    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    try:
        doc = yaml.load(text)
    except DuplicateKeyError as exc:
        raise PolicyInvalid((_marked_issue("policy.yaml.duplicate_key", exc, name,
                                           "A key appears twice in one mapping: keep one of them."),)) from None
    except MarkedYAMLError as exc:
        raise PolicyInvalid((_marked_issue("policy.yaml.syntax", exc, name, _syntax_hint(exc)),)) from None
    except YAMLError as exc:
        raise PolicyInvalid((Issue("policy.yaml.syntax", f"The YAML cannot be read ({exc}).", (),
                                   Location(name, 1, 1)),)) from None
    positions: dict[Path, Position] = {(): Position((1, 1), (1, 1))}
    not_finite: list[Path] = []
    data = _plain(doc, (), positions, not_finite)
    return PolicySource(name, text, data, positions, tuple(not_finite))


def _check_events(text: str, name: str) -> None:
    yaml = YAML(typ="safe", pure=True)
    depth = nodes = 0
    issues: list[Issue] = []
    try:
        for event in yaml.parse(io.StringIO(text)):
            where = Location(name, event.start_mark.line + 1, event.start_mark.column + 1)
            if isinstance(event, events.AliasEvent):
                issues.append(Issue("policy.yaml.alias", "YAML aliases (*name) are not allowed: write the value out.", (), where))
                break  # an alias bomb repeats this many times; one report is enough
            if isinstance(event, events.NodeEvent) and event.anchor is not None:
                issues.append(Issue("policy.yaml.anchor", "YAML anchors (&name) are not allowed: write each value where it is used.", (), where))
            tag = getattr(event, "tag", None)
            if isinstance(event, events.NodeEvent) and tag is not None:  # plain nodes carry no tag; "!" is one too
                issues.append(Issue("policy.yaml.tag", f"Explicit YAML tags ({tag}) are not allowed: remove the tag.", (), where))
            if isinstance(event, events.ScalarEvent) and len(event.value) > MAX_SCALAR_CHARS:
                issues.append(Issue("policy.file.value_too_long", f"A value of {len(event.value)} characters; the limit is"
                                    f" {MAX_SCALAR_CHARS}: shorten it.", (), where))
                break
            if isinstance(event, events.ScalarEvent) and event.value == "<<" and event.style is None:
                issues.append(Issue("policy.yaml.merge_key", "Merge keys (<<) are not allowed: write the keys out.", (), where))
            if isinstance(event, (events.MappingStartEvent, events.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    issues.append(Issue("policy.file.too_deep", f"Nesting is deeper than {MAX_DEPTH} levels: flatten the structure.", (), where))
                    break
            elif isinstance(event, (events.MappingEndEvent, events.SequenceEndEvent)):
                depth -= 1
            if isinstance(event, events.NodeEvent):
                nodes += 1
                if nodes > MAX_NODES:
                    issues.append(Issue("policy.file.too_large", f"The file has more than {MAX_NODES} values: split it.", (), where))
                    break
    except MarkedYAMLError as exc:
        issues.append(_marked_issue("policy.yaml.syntax", exc, name, _syntax_hint(exc)))
    except ReaderError as exc:  # a character YAML does not allow (NUL, other control characters)
        before = text[: exc.position]
        where = Location(name, before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        issues.append(Issue("policy.file.character", f"The character U+{code:04X} is not allowed in YAML: remove it.",
                            (), where))
    if issues:
        raise PolicyInvalid(tuple(issues))


def _marked_issue(code: str, exc: MarkedYAMLError, name: str, message: str) -> Issue:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return Issue(code, message, (), Location(name, line, col))


def _syntax_hint(exc: MarkedYAMLError) -> str:
    problem = (exc.problem or "the YAML is malformed").strip().rstrip(".")
    context = f" ({exc.context.strip()})" if exc.context else ""
    return f"YAML syntax error: {problem}{context}; check indentation, colons and quotes here."


def _plain(node: Any, path: Path, positions: dict[Path, Position], not_finite: list[Path]) -> Any:
    """Round-trip nodes to plain dicts, lists, str, int, Decimal, bool and None, noting positions."""
    if isinstance(node, dict):
        out = {}
        lc = getattr(node, "lc", None)
        for key in node:
            skey = key if isinstance(key, str) else str(key)
            child = path + (skey,)
            if lc is not None:
                kl, kc = lc.key(key)
                vl, vc = lc.value(key)
                positions[child] = Position((kl + 1, kc + 1), (vl + 1, vc + 1))
            out[skey] = _plain(node[key], child, positions, not_finite)
        return out
    if isinstance(node, list):
        lc = getattr(node, "lc", None)
        out_list = []
        for index, item in enumerate(node):
            child = path + (index,)
            if lc is not None:
                line, col = lc.item(index)
                positions[child] = Position((line + 1, col + 1), (line + 1, col + 1))
            out_list.append(_plain(item, child, positions, not_finite))
        return out_list
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        if not math.isfinite(node):
            not_finite.append(path)
            return None  # reported by the loader; None keeps the checks away from NaN arithmetic
        return Decimal(repr(float(node)))
    if isinstance(node, (datetime.date, datetime.datetime)):
        return node.isoformat()[:10]
    if isinstance(node, str):
        return str(node)
    return str(node)
