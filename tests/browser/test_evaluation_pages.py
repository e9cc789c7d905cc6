"""The evaluation pages in a real browser, over the demo population's stored evaluations: the list, one evaluation
(a gate, an indicator row with its bar), a trace link followed to its policy line, and the comparison page with a
highlighted changed row."""
from __future__ import annotations

import re

from .conftest import ARTIFACTS, screenshot

PAIRS = (("green-factory@2025.1", "green-factory-js@2025.1"), ("green-factory@2025.1", "green-factory@2026.1"),
         ("green-factory-js@2025.1", "green-factory-js@2026.1"))


def open_first_evaluation(site, page) -> str:
    page.goto(f"{site.url}/evaluations")
    rows = page.locator("table.evaluations tbody tr")
    assert rows.count() > 0, "the demo population has no evaluation in the reviewer's region"
    screenshot(page, "evaluations-list")
    rows.first.locator("a").first.click()
    page.wait_for_url(re.compile(r".*/evaluations/[0-9a-f-]{36}$"))
    return page.url.rsplit("/", 1)[1]


def test_an_evaluation_shows_its_gates_and_indicators_and_a_trace_link_lands_on_its_policy_line(site, signed_in):
    page = signed_in("reviewer")
    open_first_evaluation(site, page)

    gate = page.locator("tr.gate").first
    assert gate.locator(".badge").inner_text() in ("passed", "failed", "undetermined")
    assert gate.locator("td.reason").inner_text().startswith("Gate ")
    assert re.fullmatch(r"line \d+", gate.locator("a.policy-line").inner_text())

    row = page.locator("tr.indicator.scored:has(.bar)").first
    baseline = row.locator(".baseline-value").first.inner_text()
    leading = row.locator(".leading-value").first.inner_text()
    assert float(baseline) != float(leading)
    assert row.locator(".ends").first.inner_text().split() == [baseline, leading]
    width = row.locator(".bar .fill").first.evaluate("e => e.style.width")
    assert re.fullmatch(r"\d+(\.\d)?%", width) and 0 <= float(width[:-1]) <= 100
    assert row.locator("td.points strong").inner_text() in row.locator("td.reason").inner_text()
    assert row.locator(".standard cite").first.inner_text()
    screenshot(page, "evaluation")

    link = row.locator("td:last-child a.policy-line")
    href = link.get_attribute("href")
    match = re.fullmatch(r"/policies/([a-z0-9-]+)/versions/([0-9A-Za-z._-]+)#L(\d+)", href)
    assert match, href
    with page.expect_navigation() as navigation:
        link.click()
    assert navigation.value.ok, navigation.value.status
    assert page.url == f"{site.url}{href}"
    target = page.locator(":target")
    assert target.get_attribute("id") == f"L{match[3]}"
    box = target.bounding_box()
    assert box and 0 <= box["y"] < page.viewport_size["height"]  # scrolled to the rule's line
    page.screenshot(path=str(ARTIFACTS / "evaluation-policy-line.png"))  # what is in view: the line


def test_the_page_reads_in_chinese_too(site, signed_in):
    page = signed_in("reviewer", lang="zh")
    open_first_evaluation(site, page)
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("tr.gate td.reason").first.inner_text().startswith("门槛")
    assert "分" in page.locator("tr.indicator.scored td.reason").first.inner_text()
    screenshot(page, "evaluation-zh")


def test_the_comparison_highlights_a_changed_row(site, signed_in):
    page = signed_in("reviewer")
    open_first_evaluation(site, page)
    page.click("#compare-link")
    page.wait_for_url(re.compile(r".*/compare\?evaluation="))
    for before, after in PAIRS:
        page.select_option("#v-from", before)
        page.select_option("#v-to", after)
        with page.expect_navigation():
            page.click("form.versions button[type=submit]")
        if page.locator("tr.changed").count():
            break
    changed, same = page.locator("tr.changed").first, page.locator("tr.same")
    assert changed.count() == 1, "no pair of versions changes a rule of this submission"
    assert page.locator("#v-from").input_value() == before and page.locator("#v-to").input_value() == after
    colour = changed.locator("td").first.evaluate("e => getComputedStyle(e).backgroundColor")
    if same.count():
        assert colour != same.first.locator("td").first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert changed.locator("td.delta").inner_text() != "0.00" or changed.locator(".badge").count()
    assert re.fullmatch(r"[+-]?\d+(\.\d+)?", page.locator("#total-delta").inner_text())
    screenshot(page, "comparison")
