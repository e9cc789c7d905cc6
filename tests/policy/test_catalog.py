"""Policy references and the catalog of versions."""
from __future__ import annotations

import pytest

from engine import UnknownPolicy
from engine.policy import parse_ref, version_key


@pytest.mark.parametrize("ref", ["../etc/passwd", "green-factory@../../x", "a/b@1", "Green@1", "", "x@", "x@1/2", "%2e%2e@1"])
def test_malformed_references_are_refused(ref):
    with pytest.raises(UnknownPolicy) as caught:
        parse_ref(ref)
    assert caught.value.code == "policy.ref.malformed"


def test_reference_parts():
    assert parse_ref("green-factory@2025.1") == ("green-factory", "2025.1")
    assert parse_ref("green-factory") == ("green-factory", None)


def test_versions_order_by_their_numbers():
    assert sorted(["2025.10", "2025.9", "2024.1"], key=version_key) == ["2024.1", "2025.9", "2025.10"]


def test_unknown_policy_and_version_have_their_codes(catalog):
    with pytest.raises(UnknownPolicy) as caught:
        catalog.get("green-factroy@2025.1")
    assert caught.value.code == "policy.unknown"
    with pytest.raises(UnknownPolicy) as caught:
        catalog.get("green-factory@2030.1")
    assert caught.value.code == "policy.version.unknown"


def test_bare_id_means_latest_published(catalog):
    assert catalog.get("green-factory").policy.ref == "green-factory@2026.1"


def test_every_bundled_policy_compiles_once(catalog):
    assert {c.policy.ref for c in catalog.all()} == {"green-factory@2025.1", "green-factory-js@2025.1",
                                                   "green-factory@2026.1", "green-factory-js@2026.1"}
