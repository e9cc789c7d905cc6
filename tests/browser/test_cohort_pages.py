"""The benchmark page and the regional dashboard in Chromium, on the demo population: the enterprise sees its charts
and what it would take; the authority opens its regions, drills into one and follows a factory to its evaluation."""
from __future__ import annotations

import re

from .conftest import screenshot


def test_enterprise_sees_its_benchmark_chart_and_what_it_takes(site, signed_in):
    page = signed_in("enterprise")
    page.click("nav >> text=Benchmark")
    page.wait_for_url(f"{site.url}/benchmark")
    chart = page.locator("figure.chart svg").first
    assert chart.is_visible()
    label = chart.locator("title").first.text_content()
    assert label == "Your score in the sector"
    score = page.locator('[data-field="score"]').text_content()
    assert f"You {score}" in chart.locator("desc").text_content()
    assert chart.locator("rect.bin").count() >= 1
    assert page.locator("#what-it-takes").is_visible()
    assert page.locator("#target-baseline h3").text_content() == "To reach the regional baseline"
    assert page.locator("table.indicators svg").count() == page.locator("table.indicators tbody tr").count() > 0
    screenshot(page, "benchmark-enterprise")
    first_round = page.locator("#round option").first.get_attribute("value")
    page.select_option("#round", first_round)
    page.click("form.choose-round button")
    page.wait_for_url(re.compile(rf".*/benchmark\?round={first_round}$"))
    assert page.locator("figure.chart svg").first.is_visible()


def test_authority_drills_into_a_region_and_opens_a_factory(site, signed_in):
    page = signed_in("authority")
    page.click("nav >> text=Regions")
    page.wait_for_url(f"{site.url}/regions")
    province = site.region[:2] + "0000"
    row = page.locator(f'tr[data-region="{province}"]')
    assert row.is_visible()
    assert page.locator("tr[data-region]").count() >= 1
    assert page.locator("figure.chart svg title").first.text_content()
    screenshot(page, "regions-authority")
    row.locator("a").click()
    page.wait_for_url(re.compile(rf".*/regions/{province}\?round=\w+"))
    factories = page.locator("table.factories tbody tr")
    assert factories.count() > 0
    screenshot(page, "region-drilldown")
    link = factories.first.locator("a.evaluation")
    href = link.get_attribute("href")
    assert re.fullmatch(r"/evaluations/[0-9a-f-]{36}", href)
    with page.expect_response(lambda r: r.url.endswith(href)) as opened:
        link.click()
    page.wait_for_url(f"{site.url}{href}")
    if "pages.evaluation" in site.app.view_functions:  # the evaluation page is built by its own module
        assert opened.value.status == 200
        screenshot(page, "region-factory-evaluation")
    else:
        assert opened.value.status == 404
