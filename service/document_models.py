"""Tables of the supporting documents: each distinct content once, keyed by its sha256, and who uploaded it.

Two enterprises that upload the same bytes share one stored copy and have one upload record each, so that each
reads its own name for it and reviewers see it in each uploader's region. Alembic revision 0004 creates them."""
from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, now


class DocumentContent(Base):
    """The bytes of a document, stored once however often they are uploaded."""

    __tablename__ = "document_contents"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)  # lowercase hex of the bytes
    media_type: Mapped[str] = mapped_column(String(100))  # as the bytes show it (magic bytes), not as declared
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[str] = mapped_column(String(32), default=now)


class DocumentUpload(Base):
    """An enterprise's upload of a content: the name it gave, the region it reports from, the token that sent it."""

    __tablename__ = "document_uploads"
    __table_args__ = (UniqueConstraint("sha256", "enterprise", name="uq_document_uploads"),
                      Index("ix_document_uploads_region", "region"))

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("document_contents.sha256"))
    enterprise: Mapped[str] = mapped_column(String(18))  # USCC
    region: Mapped[str] = mapped_column(String(6))  # reviewers and authorities of this region may read it
    name: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[str] = mapped_column(String(32))  # token id, as in the audit log
    uploaded_at: Mapped[str] = mapped_column(String(32), default=now)
