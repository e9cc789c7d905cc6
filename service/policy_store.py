"""Policy versions in the database: the bundled ones recorded at start, drafts uploaded and published.

Each version's YAML is kept as written; it is validated with the engine's loader whenever it is stored
and compiled once per digest. A published version never changes: every write to it is refused (409).
Publishing sets `status: published` in the YAML (comments and layout kept), so the text always says
what the version is, and the digest follows the status.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import Catalog, CompiledPolicy, Issue, PolicyInvalid, UnknownPolicy, compile_policy, load_policy_text
from engine.policy import parse, parse_ref, set_scalar, version_key

from . import audit
from .auth import SYSTEM, Principal
from .db import Database
from .errors import Conflict, NotFound
from .models import PolicyVersion, now

DRAFT, PUBLISHED = "draft", "published"
log = logging.getLogger("greenfactory.service")


class StartupError(Exception):
    """The service cannot start: every issue, each as file:line:col: code message."""

    def __init__(self, issues: tuple[Issue, ...]):
        super().__init__("\n".join(str(i) for i in issues))
        self.issues = issues


def checked_ref(policy_id: str, version: str | None = None) -> tuple[str, str | None]:
    """The id and version of a path, refused (400) unless they match engine.policy.catalog's patterns."""
    try:
        return parse_ref(policy_id if version is None else f"{policy_id}@{version}")
    except UnknownPolicy:  # engine.policy.catalog's message asks for an id@version reference, which a path does not hold
        named = f'Policy "{policy_id}"' + (f' version "{version}"' if version is not None else "")
        raise UnknownPolicy("policy.ref.malformed", f"{named} is not a valid name: an id is lowercase letters, digits"
                            " and - (green-factory), a version letters, digits, '.', '_' and - (2025.1).") from None


def file_name(policy_id: str, version: str) -> str:
    return f"{policy_id}/{version}.yaml"


@dataclass
class PolicyStore:
    """Reads and writes policy versions; keeps each compiled policy by digest."""

    db: Database
    _compiled: dict[str, CompiledPolicy]
    _lock: threading.Lock
    _published: dict = field(default_factory=dict)  # id@version -> (row, compiled): published versions never change

    @classmethod
    def open(cls, db: Database) -> "PolicyStore":
        return cls(db, {}, threading.Lock())

    def published(self, ref: str) -> tuple[PolicyVersion, CompiledPolicy]:
        """resolve() without a database round trip for an id@version already seen: it cannot have changed."""
        hit = self._published.get(ref)
        if hit is not None:
            return hit
        with self.db.read() as session:
            found = self.resolve(session, ref)
        if parse_ref(ref)[1] is not None:  # a bare id means the latest, which a publish can change
            self._published[ref] = found
        return found

    # -- compiling -------------------------------------------------------------------------------
    def compiled(self, row: PolicyVersion) -> CompiledPolicy:
        """The compiled policy of a stored version, compiled the first time its digest is seen."""
        cp = self._compiled.get(row.digest)
        if cp is None:
            policy = load_policy_text(row.text, file_name(row.policy_id, row.version), expect_id=row.policy_id,
                                      expect_version=row.version)
            if policy.digest != row.digest:
                raise RuntimeError(f"{row.ref}: stored digest {row.digest} but the text gives {policy.digest}")
            cp = self._remember(compile_policy(policy))
        return cp

    def _remember(self, cp: CompiledPolicy) -> CompiledPolicy:
        with self._lock:
            return self._compiled.setdefault(cp.policy.digest, cp)

    # -- bundled policies ------------------------------------------------------------------------
    def load_bundled(self, root: Path) -> int:
        """Record policies/<id>/<version>.yaml in the database, idempotently by digest; StartupError if one
        does not validate or if a published version on disk differs from the one recorded."""
        try:
            catalog = Catalog.from_dir(root)
        except PolicyInvalid as exc:
            raise StartupError(exc.issues) from None
        recorded, problems = 0, []
        with self.db.write() as session:
            for cp in catalog.all():
                p = cp.policy
                row = _find(session, p.id, p.version)
                if row is not None and row.digest == p.digest:
                    self._remember(cp)
                    continue
                if row is not None and row.status == PUBLISHED:
                    if p.status == PUBLISHED:
                        problems.append(Issue("policy.published.changed", f"{p.ref} is published with digest"
                                              f" {row.digest}, but the file now gives {p.digest}: a published version"
                                              " never changes; give the file a new version.", (), None))
                    continue  # a draft on disk that was published through the API: the database's copy stands
                if row is None:
                    row = PolicyVersion(policy_id=p.id, version=p.version, origin="bundled", created_by=SYSTEM.token_id)
                    session.add(row)
                _fill(row, p.text, p.status, p.digest, p.title.zh, p.title.en)
                if p.status == PUBLISHED:
                    row.published_at, row.published_by = now(), SYSTEM.token_id
                audit.append(session, SYSTEM, "policy.load", p.ref, input_digest=audit.sha256(p.text.encode("utf-8")),
                             policy_digest=p.digest)
                self._remember(cp)
                recorded += 1
            if problems:
                raise StartupError(tuple(problems))
        return recorded

    # -- reading -----------------------------------------------------------------------------------
    def policies(self, session: Session, drafts: bool) -> list[dict]:
        rows = _visible(session, select(PolicyVersion), drafts)
        out: dict[str, dict] = {}
        for row in rows:
            item = out.setdefault(row.policy_id, {"id": row.policy_id, "versions": 0, "latest": None, "title": None})
            item["versions"] += 1
            if row.status == PUBLISHED and (item["latest"] is None or version_key(row.version) > version_key(item["latest"])):
                item["latest"], item["title"] = row.version, {"zh": row.title_zh, "en": row.title_en}
            if item["title"] is None:
                item["title"] = {"zh": row.title_zh, "en": row.title_en}
        return [out[k] for k in sorted(out)]

    def versions(self, session: Session, policy_id: str, drafts: bool) -> list[PolicyVersion]:
        checked_ref(policy_id)
        rows = _visible(session, select(PolicyVersion).where(PolicyVersion.policy_id == policy_id), drafts)
        if not rows:
            raise NotFound("policy.unknown", f'No policy "{policy_id}": list the policies at /api/v1/policies.')
        return sorted(rows, key=lambda r: version_key(r.version))

    def version(self, session: Session, policy_id: str, version: str, drafts: bool) -> PolicyVersion:
        checked_ref(policy_id, version)
        row = _find(session, policy_id, version)
        if row is None or (row.status == DRAFT and not drafts):
            if not _visible(session, select(PolicyVersion).where(PolicyVersion.policy_id == policy_id).limit(1), drafts):
                raise NotFound("policy.unknown", f'No policy "{policy_id}": list the policies at /api/v1/policies.')
            raise NotFound("policy.version.unknown", f'Policy "{policy_id}" has no version "{version}": list its'
                           f" versions at /api/v1/policies/{policy_id}/versions.")
        return row

    def resolve(self, session: Session, ref: str) -> tuple[PolicyVersion, CompiledPolicy]:
        """A published version by id@version, or by bare id for the latest published one."""
        policy_id, version = parse_ref(ref)
        if version is None:
            rows = self.versions(session, policy_id, drafts=False)
            row = rows[-1]
        else:
            row = self.version(session, policy_id, version, drafts=False)
        return row, self.compiled(row)

    # -- writing (each in one transaction with its audit entry) -----------------------------------
    def create_draft(self, who: Principal, policy_id: str, raw: bytes) -> PolicyVersion:
        """A new draft of policy_id; its version is the one the YAML gives."""
        checked_ref(policy_id)
        policy = load_policy_text(raw, f"{policy_id}/upload.yaml", expect_id=policy_id)
        with self.db.read() as session:  # a write to a published version is a 409, whatever else is wrong
            existing = _find(session, policy_id, policy.version)
        if existing is not None:
            raise _exists(existing)
        checked_ref(policy_id, policy.version)
        cp = _draft(policy, raw)
        p = cp.policy
        try:
            with self.db.write() as session:
                existing = _find(session, p.id, p.version)
                if existing is not None:
                    raise _exists(existing)
                row = PolicyVersion(policy_id=p.id, version=p.version, origin="uploaded", created_by=who.token_id)
                _fill(row, p.text, DRAFT, p.digest, p.title.zh, p.title.en)
                session.add(row)
                session.flush()  # a racing upload of the same version fails here, before the audit entry
                audit.append(session, who, "policy.upload", p.ref, input_digest=audit.sha256(raw), policy_digest=p.digest)
        except IntegrityError:
            raise Conflict("policy.version.exists", f"{p.ref} was uploaded at the same moment: upload under a new"
                           " version or replace that draft.") from None
        self._remember(cp)
        return row

    def replace_draft(self, who: Principal, policy_id: str, version: str, raw: bytes) -> PolicyVersion:
        checked_ref(policy_id, version)
        with self.db.read() as session:
            self._writable(session, policy_id, version)
        cp = check_draft(policy_id, version, raw)
        p = cp.policy
        with self.db.write() as session:
            row = self._writable(session, policy_id, version)
            changed = session.execute(
                update(PolicyVersion).where(PolicyVersion.pk == row.pk, PolicyVersion.status == DRAFT)
                .values(text=p.text, digest=p.digest, title_zh=p.title.zh, title_en=p.title.en, updated_at=now()))
            if changed.rowcount != 1:
                raise _published(row.ref)
            audit.append(session, who, "policy.replace", p.ref, input_digest=audit.sha256(raw), policy_digest=p.digest)
        self._remember(cp)
        with self.db.read() as session:
            return _find(session, policy_id, version)

    def delete_draft(self, who: Principal, policy_id: str, version: str) -> None:
        checked_ref(policy_id, version)
        with self.db.write() as session:
            row = self._writable(session, policy_id, version)
            session.delete(row)
            audit.append(session, who, "policy.delete", row.ref, policy_digest=row.digest)

    def publish(self, who: Principal, policy_id: str, version: str) -> PolicyVersion:
        """draft → published, exactly once: the UPDATE only matches while the row is still that draft."""
        checked_ref(policy_id, version)
        with self.db.read() as session:
            row = self._writable(session, policy_id, version)
        text = set_scalar(row.text, ("status",), PUBLISHED)
        policy = load_policy_text(text, file_name(policy_id, version), expect_id=policy_id, expect_version=version)
        cp = self._remember(compile_policy(policy))
        with self.db.write() as session:
            stamp = now()
            changed = session.execute(
                update(PolicyVersion)
                .where(PolicyVersion.pk == row.pk, PolicyVersion.status == DRAFT, PolicyVersion.digest == row.digest)
                .values(status=PUBLISHED, text=text, digest=policy.digest, updated_at=stamp, published_at=stamp,
                        published_by=who.token_id))
            if changed.rowcount != 1:
                raise Conflict("policy.version.changed", f"{row.ref} was published or replaced while this request ran:"
                               " read it again before publishing.")
            audit.append(session, who, "policy.publish", row.ref, input_digest=row.digest, policy_digest=cp.policy.digest)
        with self.db.read() as session:
            return _find(session, policy_id, version)

    def _writable(self, session: Session, policy_id: str, version: str) -> PolicyVersion:
        row = self.version(session, policy_id, version, drafts=True)
        if row.status == PUBLISHED:
            raise _published(row.ref)
        return row


def check_draft(policy_id: str, version: str, raw: bytes | str) -> CompiledPolicy:
    """The text a replace_draft of policy_id@version would store, checked and compiled but not stored; PolicyInvalid
    with every issue when it would be refused (the pages' Validate button)."""
    return _draft(load_policy_text(raw, file_name(policy_id, version), expect_id=policy_id, expect_version=version), raw)


def _draft(policy, raw: bytes | str) -> CompiledPolicy:
    """A validated upload, compiled; refused unless it says status: draft."""
    if policy.status != DRAFT:
        where = parse(raw, policy.file).locate(("status",))
        raise PolicyInvalid((Issue("policy.status.not_draft", "An upload is a draft: write status: draft, then"
                                   " publish it with POST …/publish.", ("status",), where),))
    return compile_policy(policy)


def _find(session: Session, policy_id: str, version: str) -> PolicyVersion | None:
    return session.execute(select(PolicyVersion).where(PolicyVersion.policy_id == policy_id,
                                                       PolicyVersion.version == version)).scalar_one_or_none()


def _visible(session: Session, query, drafts: bool) -> list[PolicyVersion]:
    if not drafts:
        query = query.where(PolicyVersion.status == PUBLISHED)
    return list(session.execute(query).scalars())


def _fill(row: PolicyVersion, text: str, status: str, digest: str, title_zh: str, title_en: str) -> None:
    row.text, row.status, row.digest, row.title_zh, row.title_en, row.updated_at = text, status, digest, title_zh, title_en, now()


def _published(ref: str) -> Conflict:
    return Conflict("policy.version.published", f"{ref} is published and never changes: upload a new version instead.")


def _exists(row: PolicyVersion) -> Conflict:
    if row.status == PUBLISHED:
        return _published(row.ref)
    return Conflict("policy.version.exists", f"{row.ref} already exists as a draft: replace it with PUT, or upload a"
                    " new version.")
