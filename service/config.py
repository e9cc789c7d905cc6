"""Settings of the service and the command line: defaults, then the environment, then what create_app or the
command line is given. This is the one place that reads the environment, and it does so only when asked
(Settings.from_env), never at import."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

from engine.policy import DEFAULT_ROOT

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
    secret_key: str | None = None  # signs the pages' session cookies; when unset, read from (or made in) the file
    secret_key_file: Path | None = None  # default: the user's state folder, never inside the checkout
    fault: str = ""  # test-only: "<audit action>[@n]" kills the process at that write (service/faults.py)
    auth_failures_per_minute: int = 10  # failed sign-ins or tokens per client address, then 429 (0: no limit)
    secure_cookies: bool = False  # Secure on the session cookie always, not only for requests that came over HTTPS
    trusted_proxy: str = ""  # the reverse proxy's address: its X-Forwarded-For/-Proto name the client (serve only)
    connection_limit: int = 500  # open connections served at once (serve only; waitress's default is 100)
    channel_timeout: int = 30  # seconds a connection may send nothing before it is closed (serve only)
    cleanup_interval: int = 5  # seconds between sweeps for such connections (serve only)
    max_import_rows: int = 20_000  # most rows one import (API or CLI) takes; the next row is refused with 413

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        """GF_DATABASE_URL (or DATABASE_URL), GF_POLICIES (or GREENFACTORY_POLICIES),
        and the variables of _ENV_FIELDS; the secret key file defaults to one under XDG_STATE_HOME or HOME."""
        env = os.environ if env is None else env
        out = cls(secret_key_file=_state_dir(env) / "secret_key")
        url = env.get("GF_DATABASE_URL") or env.get("DATABASE_URL")
        if url:
            out = replace(out, database_url=url)
        policies = env.get("GF_POLICIES") or env.get("GREENFACTORY_POLICIES")
        if policies:
            out = replace(out, policies_dir=Path(policies))
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
        for name in ("policies_dir", "secret_key_file"):
            if values.get(name) is not None:
                values[name] = Path(values[name])
        return replace(self, **values)


def _state_dir(env) -> Path:
    """Where the service keeps what it makes for itself (the secret key): $XDG_STATE_HOME/greenfactory, else
    ~/.local/state/greenfactory, so that nothing secret is written inside the checkout."""
    base = env.get("XDG_STATE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".local" / "state")
    return Path(base) / "greenfactory"


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


_ENV_FIELDS = (  # (variable, field, conversion)
    ("GF_MAX_BODY_BYTES", "max_body_bytes", int),
    ("GF_MAX_DOCUMENT_BYTES", "max_document_bytes", int),
    ("GF_MAX_IMPORT_ROWS", "max_import_rows", int),
    ("GF_SECRET_KEY", "secret_key", str),
    ("GF_SECRET_KEY_FILE", "secret_key_file", Path),
    ("GF_FAULT", "fault", str),
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
