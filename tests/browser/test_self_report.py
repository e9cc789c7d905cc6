"""The self-report in a real browser, as the enterprise: fields checked as they are typed, a PDF attached to an
indicator and uploaded at once, the report submitted, and the evaluation shown with its score and trace."""
from __future__ import annotations

from playwright.sync_api import expect

from .conftest import screenshot

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
DATA = {"energy_intensity_output": "30", "carbon_intensity": "75.4", "water_intensity_output": "0.8",
        "water_reuse_rate": "88", "solid_waste_utilisation": "92.5", "land_productivity": "1.3"}


def field(page, name: str):
    return page.locator(f'[name="{name}"]:not([type=hidden])')


def error_of(page, name: str):
    return page.locator(f'.field[data-field="{name}"] .field-error')


def test_an_enterprise_fills_in_checks_attaches_and_submits(site, signed_in):
    page = signed_in("enterprise")
    page.goto(f"{site.url}/self-report?lang=en&policy=green-factory@2025.1")
    assert field(page, "enterprise.uscc").input_value() == site.enterprise_uscc
    assert field(page, "enterprise.region").input_value() == site.region
    field(page, "period").fill("2025")
    if not field(page, "enterprise.industry_code").input_value():
        field(page, "enterprise.industry_code").fill("2110")

    share = field(page, "data.renewable_share")
    share.press_sequentially("150")  # typed: checked at each key, out of the policy's 0–100
    assert share.get_attribute("aria-invalid") == "true"
    assert error_of(page, "data.renewable_share").is_visible()
    screenshot(page, "self-report-invalid-field")
    share.fill("")
    share.press_sequentially("35.5")
    assert share.get_attribute("aria-invalid") is None
    assert error_of(page, "data.renewable_share").is_hidden()

    energy = field(page, "energy_use_tce")
    energy.press_sequentially("24OO")  # letters O for zeros
    assert energy.get_attribute("aria-invalid") == "true"
    energy.fill("2400")
    assert energy.get_attribute("aria-invalid") is None
    field(page, "output_value").fill("80000")
    for name, value in DATA.items():
        field(page, f"data.{name}").fill(value)
    field(page, "facts.legal_manufacturer").select_option("true")

    field(page, "evidence.energy_intensity").set_input_files(
        files=[{"name": "energy-statistics-2025.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    attached = page.locator('.field[data-field="evidence.energy_intensity"] ul.attached li a')
    attached.wait_for()
    assert attached.inner_text() == "energy-statistics-2025.pdf"
    assert page.locator('input[type=hidden][name="evidence.energy_intensity"]').count() == 1
    screenshot(page, "self-report-filled")

    page.click("#submit-report")
    page.wait_for_url(f"{site.url}/evaluations/**")
    score = page.locator("#score")
    assert score.inner_text().replace(".", "", 1).isdigit()
    assert page.locator("#rule-energy_intensity").count() == 1
    assert "energy-statistics-2025.pdf" in page.locator("#indicators").inner_text()
    screenshot(page, "self-report-evaluation")


def test_a_wrong_file_is_marked_at_its_field(site, signed_in):
    page = signed_in("enterprise")
    page.goto(f"{site.url}/self-report?lang=en&policy=green-factory@2025.1")
    upload = field(page, "evidence.carbon_intensity")
    upload.set_input_files(files=[{"name": "notes.pdf", "mimeType": "application/pdf", "buffer": b"not a pdf"}])
    error = error_of(page, "evidence.carbon_intensity")
    expect(upload).to_have_attribute("aria-invalid", "true")  # a locator wait: the page's CSP forbids eval
    assert "PDF" in error.inner_text()  # the server's refusal names the accepted types
    assert page.locator('.field[data-field="evidence.carbon_intensity"] ul.attached li').count() == 0
    upload.set_input_files(files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"text"}])
    assert upload.get_attribute("aria-invalid") == "true"  # refused here, before any upload
    screenshot(page, "self-report-wrong-file")
