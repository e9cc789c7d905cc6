"""The policy pages in a real browser: a trace link lands on its highlighted line; a policy admin makes a draft from
green-factory@2026.1, breaks it in the textarea, validates and is taken to the issue's line, fixes it, tightens a
threshold, saves, runs the impact over the demo population and publishes; the published version is then read-only."""
from __future__ import annotations

from .conftest import ARTIFACTS, screenshot

DRAFT = "2026.7"  # a version no other test makes (the site lives for the whole session)


def viewport_shot(page, name: str) -> None:
    """A screenshot of what is in view: a whole 1,100-line policy is too tall to be useful."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def select_in_textarea(page, needle: str) -> int:
    """Select the first occurrence of needle in the editor (as a double-click would); its line number."""
    return page.evaluate("""needle => {
        const area = document.getElementById("yaml");
        const at = area.value.indexOf(needle);
        if (at < 0) throw new Error("not in the text: " + needle);
        area.focus();
        area.setSelectionRange(at, at + needle.length);
        return area.value.slice(0, at).split("\\n").length;
    }""", needle)


def caret_line(page) -> int:
    return page.evaluate("""() => {
        const area = document.getElementById("yaml");
        return area.value.slice(0, area.selectionStart).split("\\n").length;
    }""")


def test_a_trace_link_lands_on_its_line(site, signed_in):
    page = signed_in("reviewer")
    page.goto(f"{site.url}/policies/green-factory/versions/2026.1#L576")
    target = page.locator(":target")
    assert target.get_attribute("id") == "L576"
    assert target.get_attribute("class") == "line"
    assert "direction: lower" in target.inner_text()
    assert target.evaluate("e => getComputedStyle(e).backgroundColor") != page.locator("#L577").evaluate(
        "e => getComputedStyle(e).backgroundColor")  # highlighted, unlike its neighbour
    box, height = target.bounding_box(), page.viewport_size["height"]
    assert 0 <= box["y"] < height  # scrolled into view
    viewport_shot(page, "policy-version-line")
    page.click("a.ln[href='#L42']")
    assert page.locator(":target").get_attribute("id") == "L42"


def test_the_diff_links_each_change_to_its_line(site, signed_in):
    page = signed_in("enterprise")
    page.goto(f"{site.url}/policies")
    page.select_option("#diff-from", "green-factory@2025.1")
    page.select_option("#diff-to", "green-factory@2026.1")
    page.click("form.diff-form button[type=submit]")
    page.wait_for_url("**/policies/diff?**")
    assert page.locator("tr.change").count() > 0
    screenshot(page, "policy-diff")
    link = page.locator("tr.change a.line-link.to").first
    line = link.get_attribute("href").rsplit("#L", 1)[1]
    link.click()
    page.wait_for_url(f"**/policies/green-factory/versions/2026.1#L{line}")
    assert page.locator(":target").get_attribute("id") == f"L{line}"


def test_a_policy_admin_edits_validates_saves_runs_impact_and_publishes(site, signed_in):
    page = signed_in("policy_admin")
    page.goto(f"{site.url}/policies/green-factory/versions/2026.1")
    page.fill("#new-version", DRAFT)
    page.click("form.new-draft button[type=submit]")
    page.wait_for_url(f"{site.url}/policies/green-factory/versions/{DRAFT}/edit")
    assert page.locator("textarea#yaml").input_value().count(f'version: "{DRAFT}"') == 1

    line = select_in_textarea(page, "direction: lower")  # break it: no such direction
    page.keyboard.type("direction: downwards")
    assert page.locator("#dirty").is_visible()
    page.click("button[value=validate]")
    issue = page.locator(f"li.issue[data-line='{line}']")
    assert "policy.schema.enum" in issue.inner_text()
    assert page.locator("textarea#yaml").input_value().count("direction: downwards") == 1  # the edit is kept
    issue.locator("a.at").click()
    assert caret_line(page) == line
    assert page.locator("#gutter span.current").inner_text() == str(line)
    viewport_shot(page, "policy-edit-issue")

    select_in_textarea(page, "direction: downwards")  # fix it, and tighten the water reuse rate's leading value
    page.keyboard.type("direction: lower")
    select_in_textarea(page, "{leading: 92.22, baseline: 80,")
    page.keyboard.type("{leading: 99, baseline: 80,")
    page.click("button[value=save]")
    page.wait_for_url(f"{site.url}/policies/green-factory/versions/{DRAFT}/edit")
    assert page.locator("p.notice.ok").is_visible()
    assert "{leading: 99, baseline: 80," in page.locator("textarea#yaml").input_value()

    page.click("button[value=impact]")
    impact = page.locator("#impact")
    assert int(page.locator("#impact-compared").inner_text()) >= 400  # the demo population, every round
    assert "green-factory@2026.1" in impact.locator("h2").inner_text()
    assert impact.locator("svg.histogram rect.down").count() > 0  # a stricter leading value only lowers scores
    assert impact.locator("table.movers tr").count() > 1
    impact.evaluate("e => e.scrollIntoView()")
    viewport_shot(page, "policy-edit-impact")

    page.click("button[value=publish]")
    page.wait_for_url(f"{site.url}/policies/green-factory/versions/{DRAFT}")
    assert page.locator("#status").inner_text() == "published"
    page.goto(f"{site.url}/policies/green-factory/versions/{DRAFT}/edit")
    assert page.locator("p.notice.read-only").is_visible()
    assert page.locator("textarea").count() == 0 and page.locator("form.new-draft").is_visible()
    screenshot(page, "policy-edit-published")
