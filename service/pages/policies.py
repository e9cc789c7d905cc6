"""Policy pages for every role: the policies and their versions, one version's YAML as written with an anchor per
line (a trace link …/versions/2026.1#L42 lands on line 42), and the diff of two versions.

Drafts are shown to policy admins only, through the same store and comparison calls as the API
(PolicyStore.policies/versions/version, service.comparisons.diff), so a page shows nothing the API would refuse.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import orjson
from flask import current_app, get_flashed_messages, render_template, request

from engine import UnknownPolicy
from engine.policy import parse_ref, version_key

from .. import comparisons
from ..auth import POLICY_ADMIN
from ..errors import BadRequest, NotFound
from ..models import PolicyVersion
from ..policy_store import DRAFT, PolicyStore
from . import blp, signin
from .signin import page

EVERYONE = ("enterprise", "reviewer", "authority", "policy_admin")
KINDS = ("changed", "added", "removed", "renamed")  # the diff page's groups, in this order
SHORT_DIGEST = 12  # hex digits shown; the full digest is in the title attribute and on the version page


def store() -> PolicyStore:
    return current_app.extensions["greenfactory"].store


def sees_drafts() -> bool:
    return signin.current().role == POLICY_ADMIN


@contextmanager
def refs_checked() -> Iterator[None]:
    """A malformed reference is the API's 400, an unknown one its 404: as an error page, never a traceback."""
    try:
        yield
    except UnknownPolicy as exc:
        raise (BadRequest if exc.code == "policy.ref.malformed" else NotFound)(exc.code, exc.message) from None


def short(digest: str) -> str:
    return digest.split(":", 1)[-1][:SHORT_DIGEST]


def numbered_lines(text: str) -> list[str]:
    """The lines as the YAML reader counts them: \\n, \\r\\n and a lone \\r each end one."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def visible_versions() -> list[tuple[dict, list[PolicyVersion]]]:
    """Each policy with its versions, newest first, as the signed-in role may list them."""
    drafts = sees_drafts()
    with store().db.read() as session:
        return [(item, store().versions(session, item["id"], drafts)[::-1])
                for item in store().policies(session, drafts)]


@blp.route("/policies")
@page(*EVERYONE)
def policies():
    listing = visible_versions()
    refs = [row.ref for _, rows in listing for row in rows]
    return render_template("policies.html", listing=listing, refs=refs, short=short, DRAFT=DRAFT)


def version_context(policy_id: str, version: str) -> dict:
    """What the version page shows: the row, its compiled policy's sources, its lines, its neighbours."""
    drafts = sees_drafts()
    with refs_checked(), store().db.read() as session:
        row = store().version(session, policy_id, version, drafts)
        siblings = store().versions(session, policy_id, drafts)
    policy = store().compiled(row).policy
    sources = [(s, (policy.positions.get(("sources", n)) or None)) for n, s in enumerate(policy.sources)]
    older = [r for r in siblings if version_key(r.version) < version_key(row.version)]
    return {"row": row, "policy": policy, "sources": sources, "lines": numbered_lines(row.text),
            "previous": older[-1] if older else None, "short": short, "DRAFT": DRAFT,
            "suggested_version": next_version(row.version, {r.version for r in siblings})}


def next_version(version: str, taken: set[str]) -> str | None:
    """A free version after this one, by its last number (2026.1 -> 2026.2): the new-draft form's hint."""
    head, dot, last = version.rpartition(".")
    if not dot or not last.isdigit():
        return None
    number = int(last) + 1
    while f"{head}.{number}" in taken:
        number += 1
    return f"{head}.{number}"


def render_version(policy_id: str, version: str, status: int = 200, **extra):
    """The version page; the new-draft form re-renders it with its issues (policy_edit.new_draft)."""
    context = version_context(policy_id, version)
    return render_template("policy_version.html", **context, notices=get_flashed_messages(), **extra), status


@blp.route("/policies/<policy_id>/versions/<version>")
@page(*EVERYONE)
def policy_version(policy_id: str, version: str):
    return render_version(policy_id, version)


def shown(value) -> str:
    """A changed value as a reader sees it: a scalar as itself, a table or condition as compact JSON."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 if isinstance(value, (dict, list)) else 0).decode()


@blp.route("/policies/diff")
@page(*EVERYONE)
def policy_diff():
    before, after = (request.args.get("from") or "").strip(), (request.args.get("to") or "").strip()
    refs = [row.ref for _, rows in visible_versions() for row in rows]
    result, groups = None, []
    if before and after:
        with refs_checked():
            result = comparisons.diff(store(), signin.current(), before, after)
        groups = [(kind, [c for c in result["changes"] if c["kind"] == kind]) for kind in KINDS]
        groups = [(kind, changes) for kind, changes in groups if changes]
    elif before or after:
        raise BadRequest("request.diff.refs", "Choose both versions: from=id@version and to=id@version.")
    sides = {}
    if result:
        sides = {side: parse_ref(result[side]["policy"]) for side in ("from", "to")}
    return render_template("policy_diff.html", refs=refs, before=before, after=after, result=result, groups=groups,
                           sides=sides, shown=shown, short=short)
