"""Supporting documents: an enterprise uploads one (multipart/form-data), and it and its region's reviewers and
authorities read it back by the sha256 of its bytes."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, current_app, request, url_for
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import INCLUDE, Schema, fields

from .. import documents
from ..auth import AUTHORITY, ENTERPRISE, REVIEWER, access, principal
from ..http import upload
from ..schemas import Problem

blp = Blueprint("documents", __name__, description="Supporting documents")


class DocumentForm(Schema):
    """The multipart form: the file part, and two optional text parts (read from the form by the view)."""

    file = Upload(required=True, metadata={"description": "The document (PDF, PNG, JPEG, XLSX, DOCX or OFD), with"
                                                          " its file name; its type is read from its bytes"})
    # the patterns of what documents.expected_hash and upload_region read (around spaces; empty means not given)
    sha256 = fields.String(metadata={"pattern": r"^\s*([sS][hH][aA]256:)?([0-9a-fA-F]{64})?\s*$",
                                     "description": "The SHA-256 the client computed, 64 hex digits: the upload is"
                                                    " refused when the bytes received do not match it"})
    region = fields.String(metadata={"pattern": r"^\s*([0-9]{6})?\s*$",
                                     "description": "GB/T 2260 code of the factory's region; only for an enterprise"
                                                    " without a registered factory, whose region is used otherwise"})

    class Meta:
        unknown = INCLUDE  # other parts are ignored, not refused: the document says so (additionalProperties)


# the types a document may be, by its bytes: a client or fuzzer picks the file's part type from these
FILE_TYPES = {"requestBody": {"content": {"multipart/form-data": {"encoding": {
    "file": {"contentType": ", ".join(documents.EXTENSIONS)}}}}}}


class Document(Schema):
    sha256 = fields.String(required=True, metadata={"description": "SHA-256 of the bytes: the document's key"})
    name = fields.String(required=True, metadata={"description": "the file name this enterprise gave it"})
    media_type = fields.String(required=True, metadata={"description": "the type its bytes show"})
    size = fields.Integer(required=True)
    enterprise = fields.String(required=True)
    region = fields.String(required=True)
    uploaded_by = fields.String(required=True, metadata={"description": "token id of the upload"})
    uploaded_at = fields.String(required=True)
    evidence = fields.Dict(required=True, metadata={"description": "the entry to put in a submission's evidence"})


def _settings():
    return current_app.extensions["greenfactory"].settings


def read_upload(storage) -> tuple[str, str, bytes]:
    """The name, declared type and bytes of an uploaded file, reading at most one byte past the limit."""
    data = storage.stream.read(_settings().max_document_bytes + 1)
    return storage.filename, storage.mimetype, data


def dump(upload, content_size: int, media_type: str) -> dict:
    return {"sha256": upload.sha256, "name": upload.name, "media_type": media_type, "size": content_size,
            "enterprise": upload.enterprise, "region": upload.region, "uploaded_by": upload.uploaded_by,
            "uploaded_at": upload.uploaded_at, "evidence": documents.evidence_entry(upload)}


@blp.route("/documents", methods=["POST"])
@blp.doc(operationId="uploadDocument", **FILE_TYPES)
@blp.arguments(DocumentForm, location="files")
@blp.response(201, Document, description="Stored: the bytes were new, or new to this enterprise")
@blp.alt_response(200, schema=Document, description="This enterprise had already uploaded these bytes: its first"
                                                    " upload, unchanged")
@blp.alt_response(413, schema=Problem, description="Larger than max_document_bytes (default 10 MiB)")
@blp.alt_response(415, schema=Problem, description="Not an accepted type by its bytes, or named or declared as"
                                                   " another type")
@blp.alt_response(422, schema=Problem, description="Empty, a sha256 that does not match, or no region to file it"
                                                   " under")
@access(ENTERPRISE)
@upload(lambda settings: settings.max_document_bytes)  # a document may be larger than other request bodies
def upload_document(files: dict):
    """Upload a supporting document as multipart/form-data (part `file`). It is stored once per content, keyed by the
    SHA-256 of its bytes, with the name, type (read from the bytes), size, uploading token and enterprise, in one
    transaction with its audit entry; a refused upload stores nothing. Put the returned `evidence` entry into a
    submission's evidence under the indicator it supports."""
    name, declared, data = read_upload(files["file"])
    checked = documents.check(name, declared, data, request.form.get("sha256"), _settings().max_document_bytes)
    upload, created = documents.store(current_app.extensions["greenfactory"].db, principal(), checked,
                                      request.form.get("region"))
    headers = {"Location": url_for("documents.get_document", sha256=upload.sha256)}
    return dump(upload, checked.size, checked.media_type), 201 if created else 200, headers


@blp.route("/documents/<sha256>", methods=["GET"])
@blp.doc(operationId="getDocument")
@blp.doc(responses={"200": {"description": "The document's bytes, as uploaded; its name in Content-Disposition",
                            "content": {t: {"schema": {"type": "string", "format": "binary"}}
                                        for t in documents.EXTENSIONS}}})
@blp.alt_response(400, schema=Problem, description="Not a sha256")
@blp.alt_response(404, schema=Problem, description="No such document that this token may read")
@access(ENTERPRISE, REVIEWER, AUTHORITY)
def get_document(sha256: str):
    """A document's bytes: for the enterprise that uploaded it, and reviewers and authorities of its region."""
    with current_app.extensions["greenfactory"].db.read() as session:
        upload, content = documents.read(session, principal(), sha256)
    return document_response(upload.name, content.media_type, content.content, content.sha256)


def document_response(name: str, media_type: str, data: bytes, sha256: str) -> Response:
    """The bytes as a download, never rendered in this site's origin (uploads are other people's files)."""
    response = Response(data, mimetype=media_type)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["X-Content-SHA256"] = sha256
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"  # the key is the content
    response.set_etag(sha256)
    return response
