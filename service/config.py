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
    auth_failures_per_minute: int = 10  # failed sign-ins or tokens per client address, then 429 (0: no limit)
    secure_cookies: bool = False  # Secure on the session cookie always, not only for requests that came over HTTPS
    trusted_proxy: str = ""  # the reverse proxy's address: its X-Forwarded-For/-Proto name the client (serve only)
    connection_limit: int = 500  # open connections served at once (serve only; waitress's default is 100)
    channel_timeout: int = 30  # seconds a connection may send nothing before it is closed (serve only)
    cleanup_interval: int = 5  # seconds between sweeps for such connections (serve only)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        """GF_DATABASE_URL (or DATABASE_URL), GF_POLICIES (or GREENFACTORY_POLICIES), GF_MAX_BODY_BYTES,
        GF_MAX_DOCUMENT_BYTES, and those in _ENV_FIELDS."""
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
        for name, field, kind in _ENV_FIELDS:
            if env.get(name):
                out = replace(out, **{field: kind(env[name])})
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


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


_ENV_FIELDS = (  # (variable, field, conversion)
    ("GF_AUTH_FAILURES_PER_MINUTE", "auth_failures_per_minute", int),
    ("GF_SECURE_COOKIES", "secure_cookies", _flag),
    ("GF_TRUSTED_PROXY", "trusted_proxy", str),
    ("GF_CONNECTION_LIMIT", "connection_limit", int),
    ("GF_CHANNEL_TIMEOUT", "channel_timeout", int),
    ("GF_CLEANUP_INTERVAL", "cleanup_interval", int),
)


def sqlalchemy_url(url: str) -> str:
    """postgres:// and postgresql:// (as platforms write DATABASE_URL) use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
