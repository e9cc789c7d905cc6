"""Helpers shared by test modules (fixtures live in conftest.py)."""
from __future__ import annotations

import copy
from pathlib import Path

from engine.intake import parse_submission

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "submissions"


def submit(cp, raw: dict, **changes):
    """parse_submission of a copy of raw with top-level keys replaced (None removes the key)."""
    doc = copy.deepcopy(raw)
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return parse_submission(cp.policy, doc)
