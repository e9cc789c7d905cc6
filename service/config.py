"""Settings of the service and the command line: defaults, then the environment, then what create_app or the
command line is given. This is the one place that reads the environment, and it does so only when asked
(Settings.from_env), never at import."""
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
    secret_key: str | None = None  # signs the pages' session cookies; when unset, read from (or made in) the file
    secret_key_file: Path | None = None  # default: the user's state folder, never inside the checkout
    fault: str = ""  # test-only: "<audit action>[@n]" kills the process at that write (service/faults.py)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        """GF_DATABASE_URL (or DATABASE_URL), GF_POLICIES (or GREENFACTORY_POLICIES), GF_MAX_BODY_BYTES,
        GF_MAX_DOCUMENT_BYTES, GF_SECRET_KEY, GF_SECRET_KEY_FILE (default under XDG_STATE_HOME or HOME), GF_FAULT."""
        env = os.environ if env is None else env
        out = cls(secret_key_file=_state_dir(env) / "secret_key")
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
        if env.get("GF_SECRET_KEY"):
            out = replace(out, secret_key=env["GF_SECRET_KEY"])
        if env.get("GF_SECRET_KEY_FILE"):
            out = replace(out, secret_key_file=Path(env["GF_SECRET_KEY_FILE"]))
        if env.get("GF_FAULT"):
            out = replace(out, fault=env["GF_FAULT"])
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


def sqlalchemy_url(url: str) -> str:
    """postgres:// and postgresql:// (as platforms write DATABASE_URL) use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
