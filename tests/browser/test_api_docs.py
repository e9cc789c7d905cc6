"""The API docs in a real browser: served with the pages' content policy and frame protection, and Swagger UI still
renders under it (its one inline start-up script is admitted by hash; nothing is refused)."""
from __future__ import annotations


def test_the_api_docs_render_under_the_pages_content_policy(site, browser):
    context = browser.new_context()
    page = context.new_page()
    refused = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text
            else None)
    response = page.goto(f"{site.url}/api/v1/docs")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
    assert page.locator(".opblock").count() > 10  # the operations of the OpenAPI document are listed
    assert refused == []
    context.close()
