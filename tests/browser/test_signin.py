"""Sign-in in a real browser: a token signs in, a bad one is refused, the language switches, sign-out works."""
from __future__ import annotations

from .conftest import screenshot


def test_a_page_needs_signing_in_and_comes_back_after(site, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site.url}/?lang=en")
    assert "/signin" in page.url
    page.fill("#token", "gf_" + "x" * 43)
    page.click("form button[type=submit]")
    assert page.get_by_role("alert").inner_text().startswith("The token is unknown")
    page.fill("#token", site.tokens["reviewer"])
    page.click("form button[type=submit]")
    page.wait_for_url(f"{site.url}/")
    assert page.locator(".who").get_attribute("data-role") == "reviewer"
    screenshot(page, "signin-home")
    page.click("text=中文")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "审核员" in page.locator(".who").inner_text()
    page.click("header form button")
    page.wait_for_url(f"{site.url}/signin")
    page.goto(f"{site.url}/")
    assert "/signin" in page.url
    context.close()
