"""Supporting documents: checked, then stored content-addressed, each upload in one transaction with its audit entry.

A document's key is the sha256 of its bytes; the same bytes are stored once however many enterprises upload them
(document_contents), and each enterprise's upload is recorded with the name it gave and the region it reports from
(document_uploads). The type is what the bytes show (magic bytes), never only what the client declares; a declared
type or a file extension that says otherwise is refused too, since it means the wrong file was picked. Reads follow
the evaluations' scope: the uploading enterprise, and reviewers and authorities of its region.
"""
from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.submission import region_problem

from . import audit
from .auth import ENTERPRISE, REGIONAL, Principal, region_prefix
from .cohort_models import Factory
from .db import Database
from .document_models import DocumentContent, DocumentUpload
from .errors import BadRequest, Forbidden, NotFound, PayloadTooLarge, Unprocessable, UnsupportedMediaType
from .models import AuditHead

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
OFD = "application/ofd"  # GB/T 33190, the format of Chinese electronic invoices and official documents
# the allow-list: media type -> the file extensions that may name it
EXTENSIONS = {PDF: (".pdf",), PNG: (".png",), JPEG: (".jpg", ".jpeg"), XLSX: (".xlsx",), DOCX: (".docx",),
              OFD: (".ofd",)}
TYPE_NAMES = {PDF: "PDF", PNG: "PNG", JPEG: "JPEG", XLSX: "XLSX", DOCX: "DOCX", OFD: "OFD"}
UNDECLARED = ("", "application/octet-stream")  # what clients send when they do not know the type
NAME_MAX = 200  # as the submission schema's document name
_HEX = re.compile(r"[0-9a-f]{64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Checked:
    """A document that passed every check, ready to store."""

    name: str
    media_type: str
    sha256: str  # lowercase hex
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


def sniff(data: bytes) -> str | None:
    """The allowed media type the bytes are, by their magic bytes (and, for ZIP containers, their parts)."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"PK\x03\x04"):
        try:  # only the central directory is read: nothing is decompressed
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, ValueError):
            return None
        if "[Content_Types].xml" in names:
            if any(n.startswith("xl/") for n in names):
                return XLSX
            if any(n.startswith("word/") for n in names):
                return DOCX
        if "OFD.xml" in names:
            return OFD
    return None


def clean_name(name: str | None) -> str:
    """The file name without any folder a browser or client put before it; refused when empty or unusable."""
    base = re.split(r"[\\/]", name or "")[-1].strip()
    if not base:
        raise Unprocessable("document.name.missing", "The document has no file name: send it as a file with its name.")
    if len(base) > NAME_MAX:
        raise Unprocessable("document.name.too_long", f"The file name has {len(base)} characters: shorten it to at"
                            f" most {NAME_MAX}.")
    if _CONTROL.search(base):
        raise Unprocessable("document.name.invalid", "The file name contains control characters: rename the file.")
    return base


def expected_hash(text: str | None) -> str | None:
    """The sha256 a client says it sends: 64 hex digits, optionally after "sha256:"; None when not given."""
    if text is None or not text.strip():
        return None
    value = text.strip().lower().removeprefix("sha256:")
    if not _HEX.fullmatch(value):
        raise Unprocessable("document.sha256.malformed", "The expected sha256 is not 64 hexadecimal digits: send the"
                            " file's SHA-256 in hex, or leave it out.")
    return value


def allowed_types() -> str:
    return ", ".join(TYPE_NAMES.values())


def check(name: str | None, declared_type: str | None, data: bytes, expected: str | None, max_bytes: int) -> Checked:
    """The document if it may be stored: within the size limit, of an allowed type by its bytes (and not declared
    or named as another), and with the sha256 the client expected; else the refusal (413, 415 or 422)."""
    name = clean_name(name)
    if len(data) > max_bytes:
        raise PayloadTooLarge("document.too_large", f"The document is {len(data)} bytes; at most {max_bytes} are"
                              " accepted: send a smaller or compressed file.")
    if not data:
        raise Unprocessable("document.empty", "The document is empty: attach the file itself.")
    media_type = sniff(data)
    if media_type is None:
        raise UnsupportedMediaType("document.type.unsupported", f"The file is not one of the accepted types"
                                   f" ({allowed_types()}) by its content: convert it, e.g. print it to PDF.")
    declared = (declared_type or "").split(";")[0].strip().lower()
    suffix = PurePosixPath(name).suffix.lower()
    if declared not in UNDECLARED and declared != media_type or suffix and suffix not in EXTENSIONS[media_type]:
        raise UnsupportedMediaType("document.type.mismatch", f'The content is {TYPE_NAMES[media_type]} but the file'
                                   f' is named or declared as something else ("{name}", {declared or "no type"}):'
                                   " check that you picked the right file, or rename it.")
    digest = hashlib.sha256(data).hexdigest()
    expected = expected_hash(expected)
    if expected is not None and expected != digest:
        raise Unprocessable("document.sha256.mismatch", f"The document's sha256 is {digest}, not the {expected}"
                            " expected: the file changed or was damaged on the way; send it again.")
    return Checked(name, media_type, digest, data)


def upload_region(session: Session, who: Principal, given: str | None) -> str:
    """The region an upload is filed under: the enterprise's registered factory's, or the one given when it has
    none registered. A given region that differs from the registered one is refused."""
    registered = session.execute(select(Factory.region).where(Factory.uscc == who.enterprise)).scalar_one_or_none()
    given = (given or "").strip() or None
    if given is not None and region_problem(given):
        raise Unprocessable("document.region.invalid", region_problem(given))
    if registered is not None and given is not None and given != registered:
        raise Unprocessable("document.region.mismatch", f"The enterprise's factory is registered in region"
                            f" {registered}: upload under that region, or leave the region out.")
    region = registered or given
    if region is None:
        raise Unprocessable("document.region.missing", "The enterprise has no registered factory: give the region"
                            " code of the factory the document is for (e.g. 320500).")
    return region


def store(db: Database, who: Principal, doc: Checked, region: str | None = None) -> tuple[DocumentUpload, bool]:
    """Record the enterprise's upload of doc (and the bytes, unless already stored), with its audit entry, in one
    transaction. Returns the upload and whether anything was written: the same enterprise sending the same bytes
    again gets its first upload back and writes nothing."""
    if who.role != ENTERPRISE or not who.enterprise:
        raise Forbidden("auth.role.forbidden", "Only an enterprise token uploads documents.")
    with db.write() as session:
        # concurrent uploads of the same new bytes take turns here, as every audited write does
        session.execute(select(AuditHead.id).where(AuditHead.id == 1).with_for_update())
        existing = session.execute(select(DocumentUpload).where(DocumentUpload.sha256 == doc.sha256,
                                                                DocumentUpload.enterprise == who.enterprise)
                                   ).scalar_one_or_none()
        if existing is not None:
            return existing, False
        region = upload_region(session, who, region)
        if session.get(DocumentContent, doc.sha256) is None:
            session.add(DocumentContent(sha256=doc.sha256, media_type=doc.media_type, size=doc.size, content=doc.data))
        upload = DocumentUpload(sha256=doc.sha256, enterprise=who.enterprise, region=region, name=doc.name,
                                uploaded_by=who.token_id)
        session.add(upload)
        session.flush()  # defaults (uploaded_at) filled in before the caller reads them
        audit.append(session, who, "document.upload", f"document:{doc.sha256}", input_digest=f"sha256:{doc.sha256}")
    return upload, True


def _visible(who: Principal):
    """The condition on document_uploads of what this principal may read, or None for nothing."""
    if who.role == ENTERPRISE and who.enterprise:
        return DocumentUpload.enterprise == who.enterprise
    if who.role in REGIONAL and who.region:
        return DocumentUpload.region.startswith(region_prefix(who.region), autoescape=True)
    return None


def checked_key(sha256: str) -> str:
    if not _HEX.fullmatch(sha256 or ""):
        raise BadRequest("document.sha256.malformed", "A document is addressed by the sha256 of its bytes: 64"
                         " lowercase hexadecimal digits.")
    return sha256


def read(session: Session, who: Principal, sha256: str) -> tuple[DocumentUpload, DocumentContent]:
    """The upload this principal may see and the bytes; the same 404 for a document it may not read as for none."""
    checked_key(sha256)
    where = _visible(who)
    upload = None if where is None else session.execute(
        select(DocumentUpload).where(DocumentUpload.sha256 == sha256, where).order_by(DocumentUpload.pk).limit(1)
    ).scalar_one_or_none()
    if upload is None:
        raise NotFound("document.unknown", f'No document "{sha256}" that this token may read: upload it first, or'
                       " check the hash.")
    return upload, session.get(DocumentContent, sha256)


def uploads_of(session: Session, who: Principal, hashes: list[str]) -> dict[str, DocumentUpload]:
    """This enterprise's uploads among the hashes, by hash (hashes it has not uploaded are left out)."""
    wanted = [h for h in hashes if _HEX.fullmatch(h)]
    if who.role != ENTERPRISE or not wanted:
        return {}
    rows = session.execute(select(DocumentUpload).where(DocumentUpload.enterprise == who.enterprise,
                                                        DocumentUpload.sha256.in_(wanted))).scalars()
    return {row.sha256: row for row in rows}


def readable(session: Session, who: Principal, hashes: list[str]) -> set[str]:
    """The hashes among these whose document this principal may open (as read() would let it)."""
    wanted = [h for h in hashes if _HEX.fullmatch(h)]
    where = _visible(who)
    if where is None or not wanted:
        return set()
    return set(session.execute(select(DocumentUpload.sha256).where(DocumentUpload.sha256.in_(wanted), where)).scalars())


def evidence_entry(upload: DocumentUpload) -> dict:
    """The submission's evidence item for an upload (schemas/submission.schema.json#/$defs/document)."""
    return {"name": upload.name, "sha256": upload.sha256, "uploaded_by": upload.uploaded_by}
