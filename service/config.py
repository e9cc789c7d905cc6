"""Settings of the service: defaults, then the environment, then what create_app is given."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

from engine.catalog import DEFAULT_ROOT

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = f"sqlite:///{ROOT / 'var' / 'greenfactory.db'}"
MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE
    policies_dir: Path = DEFAULT_ROOT
    max_body_bytes: int = MIB  # larger request bodies are refused with 413
    page_limit: int = 100  # most items one list page returns
    max_document_bytes: int = 10 * MIB  # largest supporting document; its upload is exempt from max_body_bytes
    max_import_rows: int = 20_000  # most rows one import (API or CLI) takes; the next row is refused with 413

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        """GF_DATABASE_URL (or DATABASE_URL), GF_POLICIES (or GREENFACTORY_POLICIES), GF_MAX_BODY_BYTES,
        GF_MAX_DOCUMENT_BYTES, GF_MAX_IMPORT_ROWS."""
        env = os.environ if env is None else env
        out = cls()
        url = env.get("GF_DATABASE_URL") or env.get("DATABASE_URL")
        if url:
            out = replace(out, database_url=url)
        policies = env.get("GF_POLICIES") or env.get("GREENFACTORY_POLICIES")
        if policies:
            out = replace(out, policies_dir=Path(policies))
        if env.get("GF_MAX_BODY_BYTES"):
            out = replace(out, max_body_bytes=int(env["GF_MAX_BODY_BYTES"]))
        if env.get("GF_MAX_DOCUMENT_BYTES"):
            out = replace(out, max_document_bytes=int(env["GF_MAX_DOCUMENT_BYTES"]))
        if env.get("GF_MAX_IMPORT_ROWS"):
            out = replace(out, max_import_rows=int(env["GF_MAX_IMPORT_ROWS"]))
        return out

    def updated(self, overrides: dict | None) -> "Settings":
        """A copy with the given fields replaced; unknown names are a programming error."""
        if not overrides:
            return self
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        values = dict(overrides)
        if "policies_dir" in values:
            values["policies_dir"] = Path(values["policies_dir"])
        return replace(self, **values)


def sqlalchemy_url(url: str) -> str:
    """postgres:// and postgresql:// (as platforms write DATABASE_URL) use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
