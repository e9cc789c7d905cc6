"""The benchmark page and the regional dashboard through the test client, on SQLite and PostgreSQL: who sees which
region, the numbers on the page equal the API's for the same principal, and every chart is well-formed SVG whose
counts add up to the API's distribution."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from engine.submission import AUTHORITIES, with_check_digit
from service.auth import new_token

from tests.service.cohort_helpers import run_cohort
from tests.service.service_helpers import NINGBO_USCC

SVG = "{http://www.w3.org/2000/svg}"
OTHER_APPLICANT = with_check_digit("91330212MA0000009")


class Fields(HTMLParser):
    """The text of every element with data-field, under the data-* key of the row around it ("" outside rows)."""

    def __init__(self, html: str):
        super().__init__()
        self.rows: dict[str, dict[str, str]] = {}
        self._row, self._field, self._tag, self._text = "", None, None, []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr":
            self._row = next((v for k, v in attrs.items() if k.startswith("data-") and k != "data-field"), "")
        if "data-field" in attrs and self._field is None:
            self._field, self._tag, self._text = attrs["data-field"], tag, []

    def handle_endtag(self, tag):
        if self._field is not None and tag == self._tag:
            self.rows.setdefault(self._row, {})[self._field] = "".join(self._text).strip()
            self._field = None
        if tag == "tr":
            self._row = ""

    def handle_data(self, data):
        if self._field is not None:
            self._text.append(data)


def secret(headers: dict) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def page_client(app, headers: dict):
    """A test client signed in to the pages with the token behind these API headers."""
    client = app.test_client()
    form = client.get("/signin").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    r = client.post("/signin", data={"token": secret(headers), "csrf_token": csrf})
    assert r.status_code == 302
    return client


def svgs(html: str) -> list[ET.Element]:
    """Every inline chart, parsed as XML (a malformed one fails here)."""
    found = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    return [ET.fromstring(s) for s in found]


def bin_total(chart: ET.Element) -> int:
    """The peers a histogram draws: the sum of its bars' counts (each bar's <title> is "low–high: count")."""
    return sum(int(rect.find(f"{SVG}title").text.rsplit(": ", 1)[1]) for rect in chart.iter(f"{SVG}rect"))


@pytest.fixture
def world(app, client, tokens):
    return run_cohort(client, tokens)


def enterprise_headers(app, uscc: str) -> dict:
    with app.extensions["greenfactory"].db.write() as session:
        row, token = new_token("enterprise", enterprise=uscc, name=f"pages {uscc}")
        session.add(row)
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("uscc", [NINGBO_USCC, OTHER_APPLICANT])
def test_benchmark_page_shows_the_api_numbers_and_charts(app, client, tokens, world, uscc):
    headers = tokens["enterprise"] if uscc == NINGBO_USCC else enterprise_headers(app, uscc)
    api = client.get(f"/api/v1/rounds/2026/factories/{uscc}/benchmark", headers=headers).json
    takes = {t: client.get(f"/api/v1/rounds/2026/factories/{uscc}/what-it-takes?target={t}", headers=headers).json
             for t in ("baseline", "next_grade")}
    r = page_client(app, headers).get("/benchmark?lang=en")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    rows = Fields(html).rows
    top = rows[""]
    assert (top["score"], top["grade"], top["rank"], top["cohort_size"], top["percentile"]) == (
        api["score"], api["grade"], str(api["rank"]), str(api["cohort_size"]), f"{api['percentile']} %")
    for gap in api["gaps"]:  # every indicator with the API's points
        assert rows[gap["rule"]]["points"].split(" / ")[0] == gap["points"]
    charts = svgs(html)
    assert len(charts) == 1 + len(api["gaps"])  # the score, then one per indicator
    overall = charts[0]
    said = overall.find(f"{SVG}desc").text.split("; ")
    assert overall.get("role") == "img" and f"You {api['score']}" in said
    assert f"Regional baseline {takes['baseline']['about']['mean']}" in said
    assert bin_total(overall) == sum(c["count"] for c in api["distribution"]["scores"]) == 5
    for chart, gap in zip(charts[1:], api["gaps"]):
        assert bin_total(chart) == sum(c["count"] for c in api["distribution"]["points"][gap["rule"]])
        assert f"You {gap['points']}" in chart.find(f"{SVG}desc").text.split("; ")
    needed = 0
    for target, answer in takes.items():  # what it takes: the goal and each indicator's value needed, as the API says
        section = html.split(f'id="target-{target}"')[1].split("</section>")[0]
        if answer["goal"] is not None:
            assert f'data-field="goal">{answer["goal"]}<' in section
        for change in (c for c in answer["changes"] if c["reachable"]):
            assert Fields(section).rows[change["rule"]]["required"] == change["required"]
            needed += 1
    if uscc == NINGBO_USCC:  # the best of the round: at the baseline, and the sector too small for A+
        assert needed == 0 and "Reached already" in html and "too small for grade A+" in html
    else:
        assert needed > 0 and top["grade"] == "B"


def test_benchmark_page_names_its_round_and_refuses_what_the_api_refuses(app, client, tokens, world):
    enterprise = page_client(app, tokens["enterprise"])
    assert Fields(enterprise.get("/benchmark?round=2026").get_data(as_text=True)).rows[""]["score"]
    r = enterprise.get("/benchmark?round=1999&lang=en")
    assert r.status_code == 404 and "round.unknown" in r.get_data(as_text=True)
    assert page_client(app, tokens["authority"]).get("/benchmark").status_code == 403
    signed_out = app.test_client().get("/benchmark")
    assert signed_out.status_code == 302 and "/signin" in signed_out.headers["Location"]


def test_an_enterprise_without_an_evaluation_gets_a_clear_page(app, tokens, world):
    r = page_client(app, tokens["other_enterprise"]).get("/benchmark?lang=en")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="no-evaluation"' in html and "no evaluation in any round" in html
    assert "<svg" not in html


def test_regions_follow_the_authorities_api_scope_and_numbers(app, client, tokens, world):
    api = client.get("/api/v1/authorities/330200/rounds", headers=tokens["authority"]).json["rounds"][-1]
    html = page_client(app, tokens["authority"]).get("/regions").get_data(as_text=True)
    rows = Fields(html).rows
    assert set(rows) - {""} == {"330200"}  # an authority of Ningbo sees Ningbo only
    assert rows["330200"] == {"existing": str(api["existing"]), "applicants": str(api["applicants"]),
                              "baseline": api["baseline"], "mean": api["mean_applicant_score"],
                              "recommended": str(api["recommended"]), "approved": str(api["approved"]),
                              "approval_rate": "–" if api["approval_rate"] is None else
                              f"{Decimal(api['approval_rate']) * 100:.1f} %"}
    (chart,) = svgs(html)
    assert api["baseline"] in chart.find(f"{SVG}desc").text
    reviewer = Fields(page_client(app, tokens["reviewer"]).get("/regions").get_data(as_text=True)).rows
    assert set(reviewer) - {""} == {"330000", "330200"}  # Zhejiang, then Ningbo under it
    admin = Fields(page_client(app, tokens["policy_admin"]).get("/regions").get_data(as_text=True)).rows
    assert admin["330200"] == rows["330200"]
    admin_html = page_client(app, tokens["policy_admin"]).get("/regions").get_data(as_text=True)
    assert admin_html.count("<tr data-region=") == len(AUTHORITIES)
    assert page_client(app, tokens["enterprise"]).get("/regions").status_code == 403


def test_region_drilldown_lists_the_factories_and_refuses_other_regions(app, client, tokens, world):
    authority = page_client(app, tokens["authority"])
    r = authority.get("/regions/330200?round=2026&lang=en")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    rows = Fields(html).rows
    listed = {k: v for k, v in rows.items() if len(k) == 18}
    assert len(listed) == 7  # five existing, two applicants
    for uscc in (NINGBO_USCC, OTHER_APPLICANT):
        entry = client.get(f"/api/v1/factories/{uscc}", headers=tokens["authority"]).json["rounds"][0]
        assert (listed[uscc]["score"], listed[uscc]["grade"]) == (entry["score"], entry["grade"] or "–")
        assert f'href="/evaluations/{entry["evaluation"]}"' in html
    for chart in svgs(html):
        assert chart.find(f"{SVG}title").text
    assert bin_total(svgs(html)[0]) == 2  # the two applicants' scores
    assert authority.get("/regions/330200?round=1999").status_code == 404
    elsewhere = page_client(app, tokens["authority_elsewhere"]).get("/regions/330200?lang=en")
    assert elsewhere.status_code == 404 and "authority.unknown" in elsewhere.get_data(as_text=True)
    assert authority.get("/regions/999999").status_code == 404
    admin = page_client(app, tokens["policy_admin"]).get("/regions/330200").get_data(as_text=True)
    assert 'id="no-listing"' in admin and NINGBO_USCC not in admin  # the API lists factories to regions' staff only
