"""Shared fixtures: the bundled policies, the mini fixture policy, example submissions."""
from __future__ import annotations

import json

import pytest

from engine import Catalog, compile_policy, load_policy_file

from tests.support import EXAMPLES, ROOT


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


@pytest.fixture(autouse=True, scope="session")
def state_home(tmp_path_factory):
    """Apps made by tests keep what they make for themselves (the secret key) in a temporary state folder, not the
    user's; servers started as subprocesses inherit it."""
    patch = pytest.MonkeyPatch()
    patch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))
    yield
    patch.undo()


def pytest_collection_modifyitems(items):
    """The browser tests start Chromium against a served demo: slow, like the tests marked one by one."""
    browser = ROOT / "tests" / "browser"
    for item in items:
        if browser in item.path.parents:
            item.add_marker(pytest.mark.slow)
