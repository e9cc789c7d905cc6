"""Change one scalar in a policy's YAML text and nothing else: comments, layout and key order survive."""
from __future__ import annotations

import json
import re
from decimal import Decimal

from ruamel.yaml import YAML
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

PLAIN = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`](?:[^:#,\[\]{}\n]*[^\s:#,\[\]{}])?")


def set_scalar(text: str, path: tuple, value) -> str:
    """text with the scalar at path (mapping keys and sequence indexes) replaced by value's YAML spelling."""
    node = YAML(typ="rt").compose(text)
    for n, part in enumerate(path):
        where = "/".join(map(str, path[:n])) or "the top level"
        if isinstance(node, MappingNode):
            node = next((v for k, v in node.value if isinstance(k, ScalarNode) and k.value == str(part)), None)
            if node is None:
                raise ValueError(f"No key {part!r} under {where}.")
        elif isinstance(node, SequenceNode):
            if not isinstance(part, int) or isinstance(part, bool) or not 0 <= part < len(node.value):
                raise ValueError(f"No item {part!r} under {where}, which is a list of {len(node.value)}.")
            node = node.value[part]
        else:
            raise ValueError(f"Cannot look up {part!r} under {where}: it is a scalar.")
    if not isinstance(node, ScalarNode):
        raise ValueError(f"The value at {'/'.join(map(str, path)) or 'the top level'} is a mapping or a list, not a scalar.")
    if node.style in ("|", ">"):
        raise ValueError(f"The value at {'/'.join(map(str, path))} is a block scalar; edit it by hand.")
    return text[: node.start_mark.index] + spelling(value) + text[node.end_mark.index:]


def spelling(value) -> str:
    """How value is written in a policy: numbers as str(Decimal) or int, strings quoted only when needed."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a finite number.")
        text = str(value)
        return format(value, "f") if "E" in text else text
    if isinstance(value, str):
        plain = PLAIN.fullmatch(value) and YAML(typ="safe", pure=True).load(value) == value
        return value if plain else json.dumps(value, ensure_ascii=False)
    raise TypeError(f"Cannot write a {type(value).__name__} as a YAML scalar.")
