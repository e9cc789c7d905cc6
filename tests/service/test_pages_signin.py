"""The pages' sign-in, on SQLite and PostgreSQL: API tokens sign in, the session follows revocation, the language
survives signing in, forms need the CSRF token, only local redirects, engine errors become HTML error pages."""
from __future__ import annotations

import re

from sqlalchemy import update

from service.models import Token, now

from tests.service.service_helpers import sign_in_page


def test_a_token_signs_in_and_a_revoked_one_signs_the_pages_out(app, client, tokens):
    sign_in_page(client, tokens["reviewer"])
    home = client.get("/?lang=en")
    assert home.status_code == 200 and 'data-role="reviewer"' in home.get_data(as_text=True)
    with app.extensions["greenfactory"].db.write() as session:
        session.execute(update(Token).where(Token.name == "reviewer").values(revoked_at=now()))
    again = client.get("/")
    assert again.status_code == 302 and again.headers["Location"].startswith("/signin")


def test_an_unknown_token_is_refused_with_the_form_again(client):
    form = client.get("/signin?lang=en").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)[1]
    response = client.post("/signin", data={"token": "gf_" + "x" * 43, "csrf_token": csrf})
    assert response.status_code == 401 and "The token is unknown or revoked" in response.get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused(client, tokens):
    secret = tokens["reviewer"]["Authorization"].split(" ", 1)[1]
    response = client.post("/signin", data={"token": secret})
    assert response.status_code == 400 and "page.csrf" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still signed out


def test_the_language_chosen_before_signing_in_is_kept(client, tokens):
    sign_in_page(client, tokens["reviewer"], lang="en")
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page and "Sign out" in page


def test_after_signing_in_only_a_local_path_is_followed(client, tokens):
    secret = tokens["reviewer"]["Authorization"].split(" ", 1)[1]
    for target, expected in (("/policies", "/policies"), ("//evil.example/x", "/"), ("https://evil.example/", "/"),
                             ("/\\evil.example", "/")):
        form = client.get("/signin").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)[1]
        response = client.post("/signin", data={"token": secret, "csrf_token": csrf, "next": target})
        assert response.status_code == 302 and response.headers["Location"] == expected, target


def test_a_role_without_the_page_gets_a_403_page_and_errors_are_html(client, tokens):
    sign_in_page(client, tokens["policy_admin"])
    forbidden = client.get("/self-report?lang=en")
    assert forbidden.status_code == 403 and forbidden.mimetype == "text/html"
    assert "Your role cannot open this page" in forbidden.get_data(as_text=True)
    unknown = client.get("/policies/no-such-policy/versions/1.0?lang=en")
    assert unknown.status_code == 404 and unknown.mimetype == "text/html"
    malformed = client.get("/policies/diff?from=green-factory@@x&to=green-factory@2025.1&lang=en")
    assert malformed.status_code == 400 and malformed.mimetype == "text/html"


def test_a_lost_database_is_a_503_page_not_a_500(client, tokens, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from service import evaluation

    sign_in_page(client, tokens["reviewer"])

    def lost(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(evaluation, "listing", lost)
    response = client.get("/evaluations?lang=en")
    assert response.status_code == 503 and response.mimetype == "text/html"
    assert response.headers["Retry-After"] == "5"
    assert "database.unavailable" in response.get_data(as_text=True)
    assert "server closed" not in response.get_data(as_text=True)  # no driver text reaches the page
