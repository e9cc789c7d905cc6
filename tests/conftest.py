"""Shared fixtures: the bundled policies, the mini fixture policy, example submissions."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from engine.catalog import Catalog
from engine.compiler import compile_policy
from engine.intake import parse_submission
from engine.loader import load_policy_file

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "submissions"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.from_dir(ROOT / "policies")


@pytest.fixture(scope="session")
def general(catalog):
    return catalog.get("green-factory@2025.1")


@pytest.fixture(scope="session")
def jiangsu(catalog):
    return catalog.get("green-factory-js@2025.1")


@pytest.fixture(scope="session")
def mini():
    return compile_policy(load_policy_file(ROOT / "tests" / "fixtures" / "mini" / "2025.1.yaml"))


@pytest.fixture
def cement_raw() -> dict:
    return json.loads((EXAMPLES / "cement-plant.json").read_text(encoding="utf-8"))


@pytest.fixture
def general_raw() -> dict:
    return json.loads((EXAMPLES / "general-plant.json").read_text(encoding="utf-8"))


def submit(cp, raw: dict, **changes):
    """parse_submission of a copy of raw with top-level keys replaced (None removes the key)."""
    doc = copy.deepcopy(raw)
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return parse_submission(cp.policy, doc)
