"""The policy pages through the test client, on SQLite and PostgreSQL: a version's YAML with one anchor per line and
escaped, drafts for policy admins only, the diff linking lines in both versions, and the editor: validate (issues at
their lines, nothing stored), save, impact (the API's numbers), publish (then read-only), a new draft under a typed
version, and CSRF."""
from __future__ import annotations

import html
import re

from sqlalchemy import select

from engine.policy import DEFAULT_ROOT
from service.models import PolicyVersion

from tests.service.service_helpers import counts, evaluate, page
from tests.service.service_helpers import sign_in_page as sign_in
from tests.service.service_helpers import submission

BASE = "green-factory@2026.1"
VERSION_PAGE = "/policies/green-factory/versions/{}"
EDIT_PAGE = VERSION_PAGE + "/edit"
BUNDLED = (DEFAULT_ROOT / "green-factory" / "2026.1.yaml").read_text(encoding="utf-8")




def stored_text(app, version: str) -> str | None:
    with app.extensions["greenfactory"].db.read() as session:
        row = session.execute(select(PolicyVersion).where(PolicyVersion.policy_id == "green-factory",
                                                          PolicyVersion.version == version)).scalar_one_or_none()
        return row and row.text


def new_draft(client, csrf: str, version: str = "2026.2", source: str = "2026.1"):
    return client.post(VERSION_PAGE.format(source) + "/new-draft", data={"new_version": version, "csrf_token": csrf})


def textarea(text: str) -> str:
    """The editor's text, unescaped (the line break right after <textarea> is the HTML parser's)."""
    return html.unescape(re.search(r'<textarea id="yaml"[^>]*>\n(.*?)</textarea>', text, re.S)[1])


def issue_lines(text: str) -> list[tuple[int, str]]:
    """(line, code) of each issue the page lists."""
    return [(int(line), code) for line, code in
            re.findall(r'<li class="issue" data-line="(\d+)"[^>]*>.*?<code>([^<]+)</code>', text, re.S)]


def line_of(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


def test_a_version_has_one_anchor_per_line_and_its_header(client, tokens):
    sign_in(client, tokens["enterprise"])
    text = page(client, VERSION_PAGE.format("2026.1") + "?lang=en")
    lines = BUNDLED.split("\n")[:-1]
    anchors = re.findall(r'<span class="line" id="L(\d+)"><a class="ln" href="#L\1">\1</a>', text)
    assert anchors == [str(n) for n in range(1, len(lines) + 1)]
    assert '<span class="line" id="L25"><a class="ln" href="#L25">25</a>id: green-factory</span>' in text
    assert '<a class="ln" href="#L26">26</a>version: &#34;2026.1&#34;</span>' in text  # the text is escaped
    published = client.get("/api/v1/policies/green-factory/versions/2026.1", headers=tokens["enterprise"]).json
    assert published["digest"] in text and "gb-t-36132-2025" in text  # digest and sources in the header
    assert "/new-draft" not in text and "/edit" not in text  # only policy admins make drafts
    page(client, VERSION_PAGE.format("1999.1"), 404)
    page(client, "/policies/no-such-policy/versions/2026.1", 404)


def test_a_draft_is_for_policy_admins_only_and_its_markup_is_escaped(app, client, tokens, tokens_for):
    csrf = sign_in(client, tokens["policy_admin"])
    assert new_draft(client, csrf).headers["Location"].endswith(EDIT_PAGE.format("2026.2"))
    hostile = stored_text(app, "2026.2").replace("\nid: green-factory",
                                                 '\n# <script>alert("x")</script> & co\nid: green-factory')
    response = client.post(EDIT_PAGE.format("2026.2"), data={"csrf_token": csrf, "action": "save", "yaml": hostile})
    assert response.status_code == 302
    text = page(client, VERSION_PAGE.format("2026.2"))
    assert '<script>alert' not in text
    assert '# &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co</span>' in text
    assert "green-factory@2026.2" in page(client, "/policies")
    for role in ("enterprise", "reviewer", "authority"):
        other = app.test_client()
        sign_in(other, tokens[role])
        assert "2026.2" not in page(other, "/policies")
        page(other, VERSION_PAGE.format("2026.2"), 404)
        page(other, EDIT_PAGE.format("2026.2"), 403)
        page(other, "/policies/diff?from=green-factory@2026.1&to=green-factory@2026.2", 404)


def test_the_diff_links_each_change_to_its_line_in_both_versions(client, tokens):
    sign_in(client, tokens["reviewer"])
    text = page(client, "/policies/diff?from=green-factory@2025.1&to=green-factory@2026.1&lang=en")
    api = client.get("/api/v1/policies/diff?from=green-factory@2025.1&to=green-factory@2026.1",
                     headers=tokens["reviewer"]).json
    assert api["changes"]
    assert text.count('<tr class="change">') == len(api["changes"])
    for change in api["changes"]:
        if change["from"]:
            assert f'href="/policies/green-factory/versions/2025.1#L{change["from"]["line"]}"' in text
        if change["to"]:
            assert f'href="/policies/green-factory/versions/2026.1#L{change["to"]["line"]}"' in text
    page(client, "/policies/diff?from=green-factory@2025.1&to=not a ref", 400)


def test_validate_shows_each_issue_at_its_line_and_stores_nothing(app, client, tokens):
    csrf = sign_in(client, tokens["policy_admin"])
    new_draft(client, csrf)
    saved = stored_text(app, "2026.2")
    broken = saved.replace("direction: lower\n", "direction: lowest\n", 1)
    where = line_of(broken, "direction: lowest")
    before = counts(app)
    response = client.post(EDIT_PAGE.format("2026.2"), data={"csrf_token": csrf, "action": "validate", "yaml": broken})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert (where, "policy.schema.enum") in issue_lines(text)
    assert f'<a class="at" href="#L{where}"' in text and f'class="line bad" id="L{where}"' in text
    assert textarea(text) == broken  # the edit is kept
    response = client.post(EDIT_PAGE.format("2026.2"), data={"csrf_token": csrf, "action": "save", "yaml": broken})
    assert response.status_code == 422 and (where, "policy.schema.enum") in issue_lines(response.get_data(as_text=True))
    assert counts(app) == before and stored_text(app, "2026.2") == saved
    fixed = broken.replace("direction: lowest", "direction: lower").replace("\n", "\r\n")  # as a browser sends it
    response = client.post(EDIT_PAGE.format("2026.2"), data={"csrf_token": csrf, "action": "validate", "yaml": fixed})
    assert response.status_code == 200 and 'id="check-ok"' in response.get_data(as_text=True)
    assert counts(app) == before


def test_impact_shows_the_apis_numbers_for_the_saved_draft(app, client, tokens):
    plant = submission()
    assert plant["data"]["water_reuse_rate"] == 88  # between baseline 80 and leading 92.22 in 2026.1
    assert evaluate(client, tokens["enterprise"], plant, BASE).status_code == 201
    csrf = sign_in(client, tokens["policy_admin"])
    new_draft(client, csrf)
    stricter = stored_text(app, "2026.2").replace("{leading: 92.22, baseline: 80,", "{leading: 99, baseline: 80,", 1)
    response = client.post(EDIT_PAGE.format("2026.2"), data={"csrf_token": csrf, "action": "save", "yaml": stricter})
    assert response.status_code == 302
    response = client.post(EDIT_PAGE.format("2026.2"), data={"csrf_token": csrf, "action": "impact", "yaml": stricter})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    api = client.post("/api/v1/impact", json={"from": BASE, "to": "green-factory@2026.2"},
                      headers=tokens["policy_admin"]).json
    assert api["score_delta"]["down"] == 1
    assert f'<span class="big" id="impact-compared">{api["population"]["compared"]}</span>' in text
    mover = api["movers"][0]
    scores = f'{mover["from"]["score"]} → {mover["to"]["score"]}'
    assert f'<td class="num">{scores}</td><td class="num">{mover["delta"]}</td>' in text
    assert '<rect class="down"' in text
    assert textarea(text) == stricter


def test_publish_makes_the_version_read_only(app, client, tokens):
    csrf = sign_in(client, tokens["policy_admin"])
    new_draft(client, csrf)
    saved = stored_text(app, "2026.2")
    edited = saved.replace("\nid: green-factory", "\n# not saved\nid: green-factory")
    response = client.post(EDIT_PAGE.format("2026.2"), data={"csrf_token": csrf, "action": "publish", "yaml": edited})
    assert response.status_code == 409 and stored_text(app, "2026.2") == saved  # unsaved edits are not published
    response = client.post(EDIT_PAGE.format("2026.2"), data={"csrf_token": csrf, "action": "publish", "yaml": saved})
    assert response.headers["Location"].endswith(VERSION_PAGE.format("2026.2"))
    assert "status: published" in stored_text(app, "2026.2")
    before = counts(app)
    for action in ("save", "publish", "validate"):
        response = client.post(EDIT_PAGE.format("2026.2"), data={"csrf_token": csrf, "action": action, "yaml": edited})
        assert response.status_code == 409
        assert "policy.version.published" in response.get_data(as_text=True)
    assert counts(app) == before
    text = page(client, EDIT_PAGE.format("2026.2"))
    assert "<textarea" not in text and 'action="/policies/green-factory/versions/2026.2/new-draft"' in text


def test_a_new_draft_needs_a_free_valid_version(app, client, tokens):
    csrf = sign_in(client, tokens["policy_admin"])
    before = counts(app)
    response = new_draft(client, csrf, version="2026.1")
    assert response.status_code == 409 and "policy.version.published" in response.get_data(as_text=True)
    response = new_draft(client, csrf, version="")
    assert response.status_code == 422 and "page.version.missing" in response.get_data(as_text=True)
    response = new_draft(client, csrf, version="2026/2")
    assert response.status_code == 422 and 'aria-invalid="true"' in response.get_data(as_text=True)
    assert counts(app) == before
    assert new_draft(client, csrf, version="2027.1").status_code == 302
    assert 'version: "2027.1"' in stored_text(app, "2027.1") and "status: draft" in stored_text(app, "2027.1")


def test_a_form_without_its_csrf_token_is_refused(app, client, tokens):
    csrf = sign_in(client, tokens["policy_admin"])
    new_draft(client, csrf)
    before, saved = counts(app), stored_text(app, "2026.2")
    for action in ("save", "publish"):
        response = client.post(EDIT_PAGE.format("2026.2"), data={"action": action, "yaml": saved + "# more\n"})
        assert response.status_code == 400 and "page.csrf" in response.get_data(as_text=True)
    response = client.post(VERSION_PAGE.format("2026.1") + "/new-draft", data={"new_version": "2026.3",
                                                                              "csrf_token": "forged"})
    assert response.status_code == 400
    assert counts(app) == before and stored_text(app, "2026.2") == saved
