"""The reviewers' lists of a round, flags and removals, are paged with a cursor like every other list, on SQLite and
PostgreSQL: every entry once across the pages, in order, and the last page says there is no next one."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from service.cohort_models import RoundEntry

from tests.service.cohort_helpers import run_cohort


@pytest.fixture
def flagged_round(app, client, tokens):
    """The Ningbo round of seven entries, every one flagged for review and for removal."""
    run_cohort(client, tokens)
    with app.extensions["greenfactory"].db.write() as session:
        session.execute(update(RoundEntry).values(flags="implausible_range:water_reuse_rate", removal="gate_failed"))


@pytest.mark.parametrize("listing", ["flags", "removals"])
def test_flags_and_removals_are_paged_with_a_cursor(client, tokens, flagged_round, listing):
    whole = client.get(f"/api/v1/rounds/2026/{listing}?limit=500", headers=tokens["reviewer"]).json
    assert len(whole["items"]) == 7 and whole["next"] is None
    seen, address, pages = [], f"/api/v1/rounds/2026/{listing}?limit=3", 0
    while address:
        page = client.get(address, headers=tokens["reviewer"])
        assert page.status_code == 200 and len(page.json["items"]) <= 3
        seen += page.json["items"]
        address, pages = page.json["next"], pages + 1
    assert pages == 3 and seen == whole["items"]


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "after=0", "after=x"])
def test_a_bad_page_request_is_refused(client, tokens, flagged_round, query):
    r = client.get(f"/api/v1/rounds/2026/flags?{query}", headers=tokens["reviewer"])
    assert r.status_code == 422 and r.json["code"] == "request.invalid"
