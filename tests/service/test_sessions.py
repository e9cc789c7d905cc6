"""Sign-in and sessions, on SQLite and PostgreSQL: only local redirects after signing in, signing out ends the
session on the server, failed sign-ins and tokens are limited per address, cookies are Secure over HTTPS, and the
API docs carry the pages' protection headers."""
from __future__ import annotations

import re

import pytest

from tests.service.service_helpers import sign_in_page


def _csrf(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/signin").get_data(as_text=True))[1]


def _secret(headers: dict) -> str:
    return headers["Authorization"].split(" ", 1)[1]


@pytest.mark.parametrize("target", ["/\t/evil.example", "/%09/evil.example", "/\n/evil.example", "/\r\nX-A: b",
                                    "/\\evil.example", "\\\\evil.example", "/%5C%5Cevil.example", "//evil.example",
                                    "/%2F/evil.example", "https://evil.example/", "javascript:alert(1)",
                                    " /\t/evil.example"])
def test_signing_in_never_leaves_the_site(client, tokens, target):
    response = client.post("/signin", data={"token": _secret(tokens["reviewer"]), "csrf_token": _csrf(client),
                                            "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/", repr(target)


def test_a_local_path_with_a_query_is_followed(client, tokens):
    response = client.post("/signin", data={"token": _secret(tokens["reviewer"]), "csrf_token": _csrf(client),
                                            "next": "/evaluations?lang=en&after=3"})
    assert response.headers["Location"] == "/evaluations?lang=en&after=3"


def test_a_cookie_copied_before_signing_out_is_refused_after(client, tokens):
    csrf = sign_in_page(client, tokens["reviewer"])
    copied = client.get_cookie("session").value
    assert client.post("/signout", data={"csrf_token": csrf}).status_code == 302
    client.set_cookie("session", copied)  # as a thief who copied the cookie would send it
    again = client.get("/")
    assert again.status_code == 302 and again.headers["Location"].startswith("/signin")


def test_signing_out_ends_only_that_session(app, client, tokens):
    other = app.test_client()
    sign_in_page(other, tokens["reviewer"])
    csrf = sign_in_page(client, tokens["reviewer"])
    client.post("/signout", data={"csrf_token": csrf})
    assert other.get("/").status_code == 200  # the same token signed in elsewhere stays signed in


def test_failed_tokens_are_logged_without_the_token_and_limited_per_address(make_app, tokens_for, caplog):
    app = make_app(auth_failures_per_minute=3)
    good = tokens_for(app)["reviewer"]
    client = app.test_client()
    wrong = "gf_" + "w" * 43
    for _ in range(3):
        assert client.get("/api/v1/evaluations", headers={"Authorization": f"Bearer {wrong}"}).status_code == 401
    limited = client.get("/api/v1/evaluations", headers=good)  # even a good token: the address is guessing
    assert limited.status_code == 429 and limited.mimetype == "application/problem+json"
    assert limited.json["code"] == "auth.throttled" and 1 <= int(limited.headers["Retry-After"]) <= 60
    elsewhere = client.get("/api/v1/evaluations", headers=good, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert elsewhere.status_code == 200  # other addresses are not affected
    failures = [r for r in caplog.records if r.name == "greenfactory.auth"]
    assert len(failures) == 3 and all("127.0.0.1" in r.getMessage() for r in failures)
    assert not any(wrong in r.getMessage() or wrong[3:20] in r.getMessage() for r in caplog.records)


def test_failed_sign_ins_are_limited_per_address(make_app, tokens_for):
    app = make_app(auth_failures_per_minute=2)
    good = _secret(tokens_for(app)["reviewer"])
    client = app.test_client()
    for _ in range(2):
        assert client.post("/signin", data={"token": "gf_" + "x" * 43, "csrf_token": _csrf(client)}).status_code == 401
    limited = client.post("/signin", data={"token": good, "csrf_token": _csrf(client)})
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert client.get("/").status_code == 302  # not signed in


def test_the_session_cookie_is_secure_over_https_and_when_configured(make_app, tokens_for):
    app = make_app()
    secret = _secret(tokens_for(app)["reviewer"])
    plain, tls = app.test_client(), app.test_client()
    assert "Secure" not in plain.get("/signin").headers["Set-Cookie"]
    form = tls.get("/signin", base_url="https://localhost")
    assert "Secure" in form.headers["Set-Cookie"]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.get_data(as_text=True))[1]
    signed_in = tls.post("/signin", data={"token": secret, "csrf_token": csrf}, base_url="https://localhost")
    assert signed_in.status_code == 302 and "Secure" in signed_in.headers["Set-Cookie"]
    always = make_app(secure_cookies=True).test_client()
    assert "Secure" in always.get("/signin").headers["Set-Cookie"]


def test_the_api_docs_carry_the_pages_protection_headers(client):
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and docs.headers["X-Frame-Options"] == "DENY"
    csp = docs.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp and "script-src 'self' 'sha256-" in csp
    assert "unsafe-inline' " not in csp.split("script-src", 1)[1]  # scripts: only this service's and the one hashed


def test_an_expired_session_is_refused(app, client, tokens):
    from sqlalchemy import update

    from service.models import PageSession

    sign_in_page(client, tokens["reviewer"])
    with app.extensions["greenfactory"].db.write() as session:
        session.execute(update(PageSession).values(expires_at="2000-01-01T00:00:00.000000Z"))
    again = client.get("/")
    assert again.status_code == 302 and again.headers["Location"].startswith("/signin")
