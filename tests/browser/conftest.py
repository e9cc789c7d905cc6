"""Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium; `make test` installs it when missing)
against the app served on a loopback port, on a SQLite file holding a small demo population.

Screenshots go to test-artifacts/browser/. Chromium runs headless with the flags this closed network needs (no
background networking, no component updates); nothing is fetched from outside the service.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from service import create_app, demo
from service.auth import new_token
from service.cohort_models import Factory

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("GF_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
DEMO_FACTORIES = 400


@dataclass
class Site:
    url: str
    app: object
    tokens: dict  # role -> secret
    enterprise_uscc: str
    region: str


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    app = create_app({"database_url": f"sqlite:///{folder / 'gf.db'}", "SECRET_KEY": "browser-tests-" + "k" * 32})
    services = app.extensions["greenfactory"]
    demo.load(services.store, factories=DEMO_FACTORIES, say=lambda message: None)
    with services.db.read() as session:
        factory = session.execute(select(Factory).order_by(Factory.pk).limit(1)).scalar_one()
        uscc, region = factory.uscc, factory.region
    province = region[:2] + "0000"
    tokens = {}
    with services.db.write() as session:
        for role, bound in (("enterprise", {"enterprise": uscc}), ("reviewer", {"region": province}),
                            ("authority", {"region": province}), ("policy_admin", {})):
            row, secret = new_token(role, name=f"browser {role}", **bound)
            session.add(row)
            tokens[role] = secret
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Site(f"http://127.0.0.1:{server.server_port}", app, tokens, uscc, region)
    server.shutdown()
    services.db.dispose()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not at {CHROMIUM}: `make test` installs Debian's chromium package; or set"
                    " GF_CHROMIUM.", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def signed_in(site, browser, request):
    """signed_in(role, lang="en") -> a Playwright page signed in as that role; screenshot(name) saves one."""
    contexts = []

    def open_as(role: str, lang: str = "en"):
        context = browser.new_context(locale="en-US" if lang == "en" else "zh-CN", viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{site.url}/signin?lang={lang}")
        page.fill("#token", site.tokens[role])
        page.click("form button[type=submit]")
        page.wait_for_url(f"{site.url}/**")
        assert "/signin" not in page.url, f"signing in as {role} failed"
        return page

    yield open_as
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
