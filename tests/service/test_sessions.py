"""Sign-in and sessions, on SQLite and PostgreSQL: only local redirects after signing in, signing out ends the
session on the server, failed sign-ins and tokens are limited per address, cookies are Secure over HTTPS, and the
API docs carry the pages' protection headers."""
from __future__ import annotations

import re

import pytest
from service_helpers import sign_in_page


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
